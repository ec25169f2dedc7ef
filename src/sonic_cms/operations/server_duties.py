"""What a running server does for operations: hold the database's server lock, take snapshots.

The app's lifespan enters :func:`server_duties` once per worker. While it is held, `sonic db
restore` and `time-travel restore` refuse to run (`server_lock`); the snapshot task takes a
time-travel snapshot every ``time_travel_interval_seconds`` and prunes what is past retention.
With several workers, a worker skips its turn when a recent snapshot already exists.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread

from sonic_cms.context import Context
from sonic_cms.operations import time_travel
from sonic_cms.operations.server_lock import server_presence

logger = logging.getLogger("sonic_cms.time_travel")


@asynccontextmanager
async def server_duties(ctx: Context) -> AsyncIterator[None]:
    """Hold the server lock and run the snapshot task for the server's lifetime."""
    settings = ctx.settings
    with server_presence(settings):
        if settings.auto_migrate:
            await ctx.run_write(lambda: time_travel.refresh_capture(ctx))
        task = None
        if settings.time_travel_interval_seconds > 0:
            task = asyncio.create_task(_snapshot_loop(ctx))
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task


async def _snapshot_loop(ctx: Context) -> None:
    interval = ctx.settings.time_travel_interval_seconds
    while True:
        await asyncio.sleep(interval)
        try:
            await anyio.to_thread.run_sync(snapshot_if_due, ctx)
        except Exception:  # a failed snapshot must never stop the server
            logger.exception("time-travel snapshot failed")


def snapshot_if_due(ctx: Context) -> time_travel.Snapshot | None:
    """Take a snapshot and prune, unless another worker took one within 90% of the interval."""
    snapshots = time_travel.list_snapshots(ctx)
    with ctx.db.read() as conn:
        now = time_travel.db_now_ms(conn)
    due_after = ctx.settings.time_travel_interval_seconds * 900
    if snapshots and now - snapshots[-1].taken_at_ms < due_after:
        return None
    snapshot = time_travel.take_snapshot(ctx)
    time_travel.prune(ctx, snapshot.taken_at_ms)
    logger.info("time-travel snapshot %s", snapshot.path)
    return snapshot
