"""Periodic tasks the server runs beside requests: the scheduler executor and the writer of API
token uses (``last_used_at``, kept off the request path)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.exc import SQLAlchemyError

from sonic_cms.actors import SYSTEM
from sonic_cms.api.context import AppContext
from sonic_cms.auth.api_tokens import write_touches
from sonic_cms.workflow.executor import run_forever

logger = logging.getLogger("sonic_cms.api")

#: How often queued API token uses are written.
TOUCH_FLUSH_SECONDS = 1.0


def start_background_tasks(context: AppContext) -> list[asyncio.Task[None]]:
    """Start every enabled periodic task; returns them for :func:`stop_background_tasks`."""
    tasks = []
    interval = context.settings.scheduler_interval_seconds
    if interval > 0:
        executor = run_forever(context.services.acting_as(SYSTEM), interval)
        tasks.append(asyncio.create_task(executor))
    tasks.append(asyncio.create_task(_write_token_uses_forever(context)))
    return tasks


async def write_token_uses(context: AppContext) -> None:
    """Write the API token uses queued so far (one transaction); a failure is logged and the
    uses are dropped: ``last_used_at`` is a hint, and the next use queues a write again."""
    uses = context.token_touches.take()
    if not uses:
        return
    ctx = context.services.acting_as(SYSTEM)
    try:
        await ctx.run_write(lambda: write_touches(ctx, uses))
    except SQLAlchemyError:
        logger.warning("could not record the use of %d API token(s)", len(uses))


async def _write_token_uses_forever(context: AppContext) -> None:
    try:
        while True:
            await asyncio.sleep(TOUCH_FLUSH_SECONDS)
            await write_token_uses(context)
    finally:
        # Cancelled at shutdown: what was queued is written before the server exits.
        await asyncio.shield(write_token_uses(context))


async def stop_background_tasks(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel the tasks and wait for them to finish."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
