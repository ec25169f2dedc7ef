"""Periodic tasks the server runs beside requests (the scheduler executor, ...)."""

from __future__ import annotations

import asyncio
import contextlib

from sonic_cms.actors import SYSTEM
from sonic_cms.api.context import AppContext
from sonic_cms.workflow.executor import run_forever


def start_background_tasks(context: AppContext) -> list[asyncio.Task[None]]:
    """Start every enabled periodic task; returns them for :func:`stop_background_tasks`."""
    tasks = []
    interval = context.settings.scheduler_interval_seconds
    if interval > 0:
        executor = run_forever(context.services.acting_as(SYSTEM), interval)
        tasks.append(asyncio.create_task(executor))
    return tasks


async def stop_background_tasks(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel the tasks and wait for them to finish."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
