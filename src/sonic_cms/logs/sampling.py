"""Which requests become ``api`` records: every unusual one, routine ones up to a rate.

An ``api`` record per request cost a busy server a database row per request (and, before
revision 0012, a change-log row too). Operators need every error, every write and every slow
request; of routine successful reads a steady trickle shows traffic on the logs page as well as
all of them would. So routine requests are logged up to ``log_routine_requests_per_second`` per
process (a token bucket: a quiet site still logs every request, a busy one a bounded stream),
and each routine record says how many routine requests went unlogged since the previous one
(``data.unlogged_since_previous``), so counts can be scaled back up.
"""

from __future__ import annotations

import time
from collections.abc import Callable

#: Methods that change nothing: their successful, fast requests are "routine".
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_routine(method: str, status: int, duration_ms: float, slow_ms: int) -> bool:
    """Whether a request may go unlogged: a safe method, answered below 400, not slow."""
    return method in SAFE_METHODS and status < 400 and duration_ms < slow_ms


class RoutineSampler:
    """A token bucket over routine requests; not thread-safe (one event loop calls it)."""

    def __init__(self, per_second: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_second
        #: A burst of up to one second's allowance (at least one record).
        self.capacity = max(per_second, 1.0)
        self._monotonic = monotonic
        self._tokens = self.capacity
        self._last = monotonic()
        #: Routine requests not logged since the last routine record.
        self.unlogged = 0

    def admit(self) -> int | None:
        """Take a routine request: the number of routine requests left unlogged before it when
        it is to be logged, None when it is not."""
        if self.rate <= 0:
            self.unlogged += 1
            return None
        now = self._monotonic()
        self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens < 1.0:
            self.unlogged += 1
            return None
        self._tokens -= 1.0
        skipped, self.unlogged = self.unlogged, 0
        return skipped
