"""One load at a time: concurrent requests that need the same stale or missing fact await the
same load instead of each running its own.

The plugin set (trusted for ``SONIC_PLUGIN_STATUS_TTL_MS``) and the site settings (for
``SONIC_SITE_SETTINGS_CACHE_TTL_SECONDS``) go stale for every in-flight request at the same
moment. On PostgreSQL each request then read them again in a worker thread of its own, one after
the other behind the plugin runtime's lock: 16 reads in a row once a second at 16 connections,
while the response cache's fast path stood aside for all of them (bench/README.md, "The
refresh herd"). A remembered credential expires for every request carrying it at once, too.

A flight is keyed. Callers pass what the load's answer depends on besides time, such as the
cache generations read before it, so that a caller that arrives after a write never joins a load
that began before the write: it starts its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class SingleFlight(Generic[T]):
    """Runs ``call`` once per key for all the callers that arrive while it runs."""

    def __init__(self) -> None:
        # Only flights in progress: an entry leaves when its call ends.
        self._running: dict[Hashable, asyncio.Future[T]] = {}

    async def run(self, call: Callable[[], Awaitable[T]], key: Hashable = None) -> T:
        """The result of the call in flight for ``key``, or of a new one; its exception if it
        fails.

        A caller that goes away (a client disconnect) does not cancel the call for the others:
        it runs as its own task, and each caller waits through a shield.
        """
        running = self._running.get(key)
        loop = asyncio.get_running_loop()
        if running is None or running.done() or running.get_loop() is not loop:
            running = self._running[key] = asyncio.ensure_future(call())
            running.add_done_callback(lambda done: self._landed(key, done))
        return await asyncio.shield(running)

    def _landed(self, key: Hashable, done: asyncio.Future[T]) -> None:
        if self._running.get(key) is done:
            del self._running[key]
        # retrieved even when every caller went away: no "never retrieved" warning
        if not done.cancelled():
            done.exception()

    def __len__(self) -> int:
        """Flights in progress."""
        return len(self._running)
