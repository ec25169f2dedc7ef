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
from sonic_cms.api.context import AppContext
from sonic_cms.api.errors import install_error_handlers
from sonic_cms.api.middleware import BodyLimitMiddleware, RequestIdMiddleware
from sonic_cms.api.responses import JSONBytesResponse
from sonic_cms.api.routes import health
from sonic_cms.clock import Clock, SystemClock
from sonic_cms.config import Settings, load_settings
from sonic_cms.db import migrate
from sonic_cms.db.engine import Database
from sonic_cms.services.server_duties import server_duties

logger = logging.getLogger("sonic_cms")


def create_app(
    settings: Settings, *, db: Database | None = None, clock: Clock | None = None
) -> FastAPI:
    """Build the application for ``settings``; ``db`` and ``clock`` may be injected by tests."""
    context = AppContext(
        settings=settings, db=db or Database(settings), clock=clock or SystemClock()
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.auto_migrate:
            applied = await context.db.run_write(migrate.upgrade, context.db)
            if applied:
                logger.info("applied migrations: %s", ", ".join(applied))
        async with server_duties(context.db):  # issue 8: server lock, time-travel snapshots
            yield
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
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, default_limit=settings.max_body_bytes)
    app.add_middleware(RequestIdMiddleware)
    app.include_router(health.router)
    return app


def app_from_environment() -> FastAPI:
    """The app uvicorn's factory mode builds in each worker, from the environment."""
    return create_app(load_settings())
