"""Start-up and shut-down: migrations, plugins, log writer, the periodic log pruning, and the
app:* and db:migrate hooks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI

from sonic_cms.api.context import AppContext
from sonic_cms.db import migrate
from sonic_cms.system_logs.handler import SystemLogHandler
from sonic_cms.system_logs.retention import prune

logger = logging.getLogger("sonic_cms")


def build_lifespan(
    context: AppContext, owns_db: bool
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The lifespan of an app built on ``context``."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        handler = _start_logging(context)
        applied: list[str] = []
        if context.settings.auto_migrate:
            applied = await context.db.run_write(migrate.upgrade, context.db)
            if applied:
                logger.info("applied migrations: %s", ", ".join(applied))
        await context.db.run_write(context.plugins.ensure_core)
        hooks = context.hooks
        hooks.action("db:migrate", {"applied": applied})
        hooks.action("app:init", {"version": app.version, "env": context.settings.env})
        pruner = _start_pruner(context)
        healer = _start_cache_healer(context)
        hooks.action("app:ready", {"version": app.version})
        try:
            yield
        finally:
            hooks.action("app:shutdown", {})
            for task in (pruner, healer):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            context.plugins.close()
            logging.getLogger("sonic_cms").removeHandler(handler)
            context.logs.close()
            await context.cache.close()
            if owns_db:
                context.db.dispose()

    return lifespan


def _start_logging(context: AppContext) -> SystemLogHandler:
    context.logs.start()
    handler = SystemLogHandler(context.logs)
    root = logging.getLogger("sonic_cms")
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    root.addHandler(handler)
    return handler


def _start_cache_healer(context: AppContext) -> asyncio.Task[None] | None:
    if context.cache.redis is None:
        return None
    interval = context.settings.cache_redis_retry_seconds

    async def loop() -> None:
        while True:
            await asyncio.sleep(interval)
            await context.cache.heal()

    return asyncio.create_task(loop(), name="cache-healer")


def _start_pruner(context: AppContext) -> asyncio.Task[None] | None:
    interval = context.settings.log_prune_interval_seconds
    if interval <= 0 or not context.settings.log_to_database:
        return None

    async def loop() -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                result = await context.db.run_write(prune, context.db, context.clock.now_ms())
                if result.total:
                    logger.info("pruned %d system log records", result.total)
            except Exception:
                logger.exception("system log pruning failed")

    return asyncio.create_task(loop(), name="system-log-pruner")
