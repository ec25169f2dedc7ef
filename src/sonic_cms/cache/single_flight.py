"""One refresh at a time: concurrent requests that find a per-process view stale await the same
refresh instead of each running its own.

The plugin set (trusted for ``SONIC_PLUGIN_STATUS_TTL_MS``) and the site settings (for
``SONIC_SITE_SETTINGS_CACHE_TTL_SECONDS``) go stale for every in-flight request at the same
moment. On PostgreSQL each request then read them again in a worker thread of its own, one after
the other behind the plugin runtime's lock: 16 reads in a row once a second at 16 connections,
while the response cache's fast path stood aside for all of them (bench/README.md, "The
refresh herd").
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class SingleFlight(Generic[T]):
    """Runs ``call`` once for all the callers that arrive while it runs."""

    def __init__(self) -> None:
        self._running: asyncio.Future[T] | None = None

    async def run(self, call: Callable[[], Awaitable[T]]) -> T:
        """The result of the call in flight, or of a new one; its exception if it fails.

        A caller that goes away (a client disconnect) does not cancel the call for the others:
        it runs as its own task, and each caller waits through a shield.
        """
        running = self._running
        loop = asyncio.get_running_loop()
        if running is None or running.done() or running.get_loop() is not loop:
            running = self._running = asyncio.ensure_future(call())
            # retrieved even when every caller went away: no "never retrieved" warning
            running.add_done_callback(lambda done: done.cancelled() or done.exception())
        return await asyncio.shield(running)
