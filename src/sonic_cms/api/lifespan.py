"""Start-up and shut-down: migrations, plugins, log writer, the periodic log pruning, and the
app:* and db:migrate hooks."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI

from sonic_cms.actors import SYSTEM
from sonic_cms.api.background import start_background_tasks, stop_background_tasks
from sonic_cms.api.context import AppContext
from sonic_cms.content.collection_sync import summary_line, sync_collections
from sonic_cms.db import migrate
from sonic_cms.logs.handler import SystemLogHandler
from sonic_cms.logs.retention import prune
from sonic_cms.operations.server_duties import server_duties
from sonic_cms.plugins import hookspecs

logger = logging.getLogger("sonic_cms")


def build_lifespan(
    context: AppContext, owns_db: bool, *, owns_process: bool = False
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The lifespan of an app built on ``context``; ``owns_process``: the app is the only one
    in its process (a server worker), so it may freeze the start-up heap (:func:`freeze_heap`)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        handler = _start_logging(context)
        applied: list[str] = []
        if context.settings.auto_migrate:
            applied = await context.services.run_write(lambda: migrate.upgrade(context.db))
            if applied:
                logger.info("applied migrations: %s", ", ".join(applied))
        await context.services.run_write(context.plugins.ensure_core)
        _warn_without_public_url(context)
        await _sync_collections(context)
        hooks = context.hooks
        hooks.action(hookspecs.DB_MIGRATE, {"applied": applied})
        hooks.action(hookspecs.APP_INIT, {"version": app.version, "env": context.settings.env})
        pruner = _start_pruner(context)
        healer = _start_cache_healer(context)
        flusher = _start_cache_stats_flusher(context)
        background = start_background_tasks(context)
        hooks.action(hookspecs.APP_READY, {"version": app.version})
        if owns_process:
            freeze_heap()
        try:
            # The server lock (restore refuses while it is held) and time-travel snapshots.
            async with server_duties(context.services):
                yield
        finally:
            hooks.action(hookspecs.APP_SHUTDOWN, {})
            await stop_background_tasks(background)
            for task in (pruner, healer, flusher):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            context.plugins.close()
            logging.getLogger("sonic_cms").removeHandler(handler)
            context.logs.close()
            context.cache.detach(context.db)
            await context.cache.close()
            if owns_db:
                context.db.dispose()

    return lifespan


def freeze_heap() -> None:
    """Move every object alive once the server is ready out of the cyclic collector's reach.

    A worker holds about 200,000 container objects after start-up (modules, functions, the
    routes, pydantic models), and a full collection walks them all: 100 to 180 ms with the event
    loop stopped, a few times a minute under load (bench/README.md, "Mixed load"). They live as
    long as the process, so collecting once and freezing them (``gc.freeze``, as the gc module's
    documentation advises for long-running servers) leaves later collections only what requests
    made since. Never called where several apps share a process (the tests): what is frozen is
    never freed.
    """
    gc.collect()
    gc.freeze()


async def _sync_collections(context: AppContext) -> None:
    settings = context.settings
    if settings.collections_sync_on_start and settings.collections_dir.is_dir():
        ctx = context.services.acting_as(SYSTEM)
        results = await ctx.run_write(lambda: sync_collections(ctx, settings.collections_dir))
        logger.info("%s", summary_line(results))


def _start_logging(context: AppContext) -> SystemLogHandler:
    context.logs.start()
    handler = SystemLogHandler(context.logs)
    root = logging.getLogger("sonic_cms")
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    root.addHandler(handler)
    return handler


def _start_cache_healer(context: AppContext) -> asyncio.Task[None] | None:
    return _every_while_redis(
        context, context.settings.cache_redis_retry_seconds, context.cache.heal, "cache-healer"
    )


def _start_cache_stats_flusher(context: AppContext) -> asyncio.Task[None] | None:
    """Add this process's cache counters to Redis's sums every ``cache_stats_flush_seconds``
    (docs/cache.md, "Counters across processes")."""
    return _every_while_redis(
        context,
        context.settings.cache_stats_flush_seconds,
        context.cache.flush_stats,
        "cache-stats-flusher",
    )


def _every_while_redis(
    context: AppContext, interval: float, step: Callable[[], Awaitable[object]], name: str
) -> asyncio.Task[None] | None:
    """A task running ``step`` every ``interval`` seconds, when Redis is configured."""
    if context.cache.redis is None:
        return None

    async def loop() -> None:
        while True:
            await asyncio.sleep(interval)
            await step()

    return asyncio.create_task(loop(), name=name)


def _start_pruner(context: AppContext) -> asyncio.Task[None] | None:
    interval = context.settings.log_prune_interval_seconds
    if interval <= 0 or not context.settings.log_to_database:
        return None

    async def loop() -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                result = await context.services.run_write(lambda: prune(context.services))
                if result.total:
                    logger.info("pruned %d system log records", result.total)
            except Exception:
                logger.exception("system log pruning failed")

    return asyncio.create_task(loop(), name="system-log-pruner")


def _warn_without_public_url(context: AppContext) -> None:
    """Outside development an unset SONIC_PUBLIC_URL leaves no origin to accept cookie writes
    from (the request's Host is never trusted) and points mail links at the loopback."""
    settings = context.settings
    if settings.env != "development" and not settings.public_url:
        logger.warning(
            "SONIC_PUBLIC_URL is not set: cookie-authenticated writes are refused unless their "
            "origin is in SONIC_CSRF_TRUSTED_ORIGINS, and mail links point at %s",
            settings.site_url,
        )
