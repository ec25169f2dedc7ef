"""``create_app(settings)``: the FastAPI application, with no module-level state.

Tests build as many isolated apps as they like; ``sonic serve`` builds one per worker through
:func:`app_from_environment`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from sonic_cms import __version__
from sonic_cms.api.auth import authenticate
from sonic_cms.api.background import start_background_tasks, stop_background_tasks
from sonic_cms.api.context import AppContext
from sonic_cms.api.errors import install_error_handlers
from sonic_cms.api.middleware import BodyLimitMiddleware, RequestIdMiddleware
from sonic_cms.api.responses import JSONBytesResponse
from sonic_cms.api.routes import (
    account,
    admin_collections,
    api_tokens,
    collections,
    content,
    files,
    health,
    media,
    permissions_admin,
    users_admin,
    workflow,
)
from sonic_cms.api.routes import auth as auth_routes
from sonic_cms.clock import Clock, SystemClock
from sonic_cms.config import Settings, load_settings
from sonic_cms.db import migrate
from sonic_cms.db.engine import Database
from sonic_cms.services.actors import SYSTEM
from sonic_cms.services.collection_sync import summary_line, sync_collections
from sonic_cms.services.server_duties import server_duties
from sonic_cms.storage import Storage, build_storage

logger = logging.getLogger("sonic_cms")


def create_app(
    settings: Settings,
    *,
    db: Database | None = None,
    clock: Clock | None = None,
    storage: Storage | None = None,
) -> FastAPI:
    """Build the application for ``settings``; ``db``, ``clock``, ``storage`` may be injected."""
    context = AppContext(
        settings=settings, db=db or Database(settings), clock=clock or SystemClock()
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.auto_migrate:
            applied = await context.db.run_write(migrate.upgrade, context.db)
            if applied:
                logger.info("applied migrations: %s", ", ".join(applied))
        if settings.collections_sync_on_start and settings.collections_dir.is_dir():
            results = await context.db.run_write(
                sync_collections, context.db, SYSTEM, context.clock, settings.collections_dir
            )
            logger.info("%s", summary_line(results))
        background = start_background_tasks(context)
        # The server lock (restore refuses while it is held) and time-travel snapshots.
        async with server_duties(context.db):
            yield
        await stop_background_tasks(background)
        if db is None:
            context.db.dispose()

    app = FastAPI(
        title="sonic-cms",
        version=__version__,
        description="A headless CMS for Python with SonicJS's data model and REST contract.",
        default_response_class=JSONBytesResponse,
        lifespan=lifespan,
    )
    app.state.ctx = context
    app.state.authenticate = authenticate
    app.state.storage = storage or build_storage(settings, context.clock)
    install_error_handlers(app)
    app.add_middleware(
        BodyLimitMiddleware,
        default_limit=settings.max_body_bytes,
        upload_limit=settings.media_max_bytes + settings.media_multipart_overhead_bytes,
    )
    app.add_middleware(RequestIdMiddleware)
    app.include_router(health.router)
    app.include_router(collections.router)
    app.include_router(content.router)
    app.include_router(admin_collections.router)
    app.include_router(workflow.router)
    app.include_router(media.router)
    app.include_router(files.router)
    app.include_router(auth_routes.router)
    app.include_router(account.router)
    app.include_router(users_admin.router)
    app.include_router(permissions_admin.router)
    app.include_router(api_tokens.router)
    return app


def app_from_environment() -> FastAPI:
    """The app uvicorn's factory mode builds in each worker, from the environment."""
    return create_app(load_settings())
