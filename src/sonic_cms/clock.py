"""The one source of time, so scheduling and retention are testable without sleeping.

Timestamps are integer milliseconds since the epoch, as SonicJS's ``Date.now()`` stores them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the time in epoch milliseconds."""

    def now_ms(self) -> int:
        """Milliseconds since the epoch."""
        ...


class SystemClock:
    """The wall clock."""

    def now_ms(self) -> int:
        """Milliseconds since the epoch, from the system clock."""
        return time.time_ns() // 1_000_000


@dataclass
class FrozenClock:
    """A clock that moves only when told to; for tests."""

    current_ms: int

    def now_ms(self) -> int:
        """The frozen time."""
        return self.current_ms

    def advance(self, milliseconds: int) -> None:
        """Move the clock forward."""
        self.current_ms += milliseconds


def utc_datetime(epoch_ms: int) -> datetime:
    """A naive UTC datetime for the seed's DATETIME columns (their CURRENT_TIMESTAMP is UTC)."""
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).replace(tzinfo=None)


def epoch_ms(value: datetime) -> int:
    """Epoch milliseconds of a DATETIME column's value (naive means UTC)."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return int(aware.timestamp() * 1000)


def iso_utc(epoch_ms: int) -> str:
    """JavaScript's ``Date.toISOString()`` of ``epoch_ms`` (``2026-01-28T17:01:55.123Z``): the
    format SonicJS's ``timestamp`` fields use, so its clients parse ours unchanged."""
    seconds, millis = divmod(epoch_ms, 1000)
    moment = datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=millis * 1000)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
