"""Periodic tasks the server runs beside requests: the scheduler executor, the writer of API
token uses (``last_used_at``, kept off the request path) and the webhook delivery worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError

from sonic_cms.actors import SYSTEM
from sonic_cms.api.context import AppContext
from sonic_cms.auth.api_tokens import write_touches
from sonic_cms.webhooks import worker as webhook_worker
from sonic_cms.workflow.executor import run_forever

logger = logging.getLogger("sonic_cms.api")

#: How often queued API token uses are written.
TOUCH_FLUSH_SECONDS = 1.0


@dataclass
class Background:
    """The periodic tasks of one server, and the flag their worker threads watch."""

    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    #: Set at shutdown before the tasks are cancelled: work running in a thread (a scheduler
    #: pass) cannot be cancelled, so it checks this between units of work.
    stopping: threading.Event = field(default_factory=threading.Event)


def start_background_tasks(context: AppContext) -> Background:
    """Start every enabled periodic task; returns them for :func:`stop_background_tasks`."""
    background = Background()
    interval = context.settings.scheduler_interval_seconds
    if interval > 0:
        executor = run_forever(context.services.acting_as(SYSTEM), interval, background.stopping)
        background.tasks.append(asyncio.create_task(executor))
    background.tasks.append(asyncio.create_task(_write_token_uses_forever(context)))
    if context.settings.webhooks_enabled:
        deliveries = webhook_worker.run_forever(
            context.services.acting_as(SYSTEM), background.stopping
        )
        background.tasks.append(asyncio.create_task(deliveries))
    return background


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


async def stop_background_tasks(background: Background) -> None:
    """Tell the threads to stop, cancel the tasks and wait for them to finish."""
    background.stopping.set()
    for task in background.tasks:
        task.cancel()
    for task in background.tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
