"""``create_app(settings)``: the FastAPI application, with no module-level state.

Tests build as many isolated apps as they like; ``sonic serve`` builds one per worker through
:func:`app_from_environment`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from starlette.types import ASGIApp

from sonic_cms import __version__
from sonic_cms.admin import install_admin
from sonic_cms.admin.web import WebBindings
from sonic_cms.api.auth import (
    REFRESH_COOKIE,
    authenticate,
    clear_session_cookies,
    set_plain_cookie,
    set_session_cookies,
)
from sonic_cms.api.context import AppContext
from sonic_cms.api.errors import install_error_handlers
from sonic_cms.api.lifespan import build_lifespan
from sonic_cms.api.maintenance import MaintenanceMiddleware
from sonic_cms.api.middleware import (
    BodyLimitMiddleware,
    CorsMiddleware,
    CorsPolicy,
    RefuseNulInUrlMiddleware,
    RequestIdMiddleware,
)
from sonic_cms.api.openapi import install_docs
from sonic_cms.api.plugin_mount import mount_plugin_routes
from sonic_cms.api.request_log import RequestLogger, RequestLogMiddleware
from sonic_cms.api.response_cache import ResponseCacheMiddleware
from sonic_cms.api.responses import JSONBytesResponse
from sonic_cms.api.routes import (
    account,
    api_tokens,
    collections,
    comments,
    content,
    files,
    health,
    media,
    system,
    translations,
    workflow,
)
from sonic_cms.api.routes import auth as auth_routes
from sonic_cms.api.routes.admin import cache as cache_routes
from sonic_cms.api.routes.admin import collections as admin_collections
from sonic_cms.api.routes.admin import logs as log_routes
from sonic_cms.api.routes.admin import permissions as permissions_admin
from sonic_cms.api.routes.admin import plugins as plugin_routes
from sonic_cms.api.routes.admin import settings as settings_admin
from sonic_cms.api.routes.admin import users as users_admin
from sonic_cms.api.routes.admin import webhooks as webhook_routes
from sonic_cms.api.routes.auth import client_ip
from sonic_cms.api.routes.health import HealthProbes
from sonic_cms.clock import Clock
from sonic_cms.config import Settings, load_settings
from sonic_cms.db.engine import Database
from sonic_cms.logs.scrub import install_access_log_scrubber
from sonic_cms.logs.writer import LogWriter
from sonic_cms.metrics.exposition import PATH as METRICS_PATH
from sonic_cms.metrics.exposition import metrics_route
from sonic_cms.metrics.multiprocess import forget_at_exit
from sonic_cms.plugins.spec import PluginSpec
from sonic_cms.runtime import build_runtime
from sonic_cms.storage import Storage

logger = logging.getLogger("sonic_cms")


def build_context(
    settings: Settings,
    db: Database | None = None,
    clock: Clock | None = None,
    storage: Storage | None = None,
    plugins: Iterable[PluginSpec] = (),
) -> AppContext:
    """The app's collaborators: the composition root's runtime plus the log writer."""
    runtime = build_runtime(settings, db=db, clock=clock, storage=storage, plugins=plugins)
    writer = LogWriter(settings, runtime.db, runtime.clock)
    return AppContext(runtime, writer)


class SonicApp(FastAPI):
    """FastAPI with the response cache's fast path in front of its whole middleware stack
    (Starlette builds the stack on the first request; ``fast_path`` wraps what it built)."""

    fast_path: Callable[[ASGIApp], ASGIApp] | None = None

    def build_middleware_stack(self) -> ASGIApp:
        """The stack Starlette builds, behind the fast path when there is one."""
        stack = super().build_middleware_stack()
        return stack if self.fast_path is None else self.fast_path(stack)


def _telemetry(enabled: bool) -> TelemetryConfig:
    return {"tracing": enabled, "metrics": enabled, "logs": enabled}


def create_app(
    settings: Settings,
    *,
    db: Database | None = None,
    clock: Clock | None = None,
    storage: Storage | None = None,
    plugins: Iterable[PluginSpec] = (),
    owns_process: bool = False,
) -> FastAPI:
    """Build the application for ``settings``; ``db``, ``clock``, ``storage`` and extra
    ``plugins`` may be injected by tests; ``owns_process`` when it is its process's only app
    (a server worker)."""
    context = build_context(settings, db, clock, storage, plugins)
    app = SonicApp(
        title="sonic-cms",
        version=__version__,
        description="A headless CMS for Python with SonicJS's data model and REST contract.",
        default_response_class=JSONBytesResponse,
        docs_url=None,
        redoc_url=None,
        telemetry=_telemetry(settings.telemetry_enabled),
        lifespan=build_lifespan(context, owns_db=db is None, owns_process=owns_process),
    )
    app.state.ctx = context
    #: When this app was built, for ``/api/system/health``'s ``uptime``.
    app.state.started_ms = context.clock.now_ms()
    app.state.authenticate = authenticate
    install_error_handlers(app)
    request_log = RequestLogger(context)
    # In front of everything: cached hits skip the whole stack (api/response_cache.py).
    # In front of that, the health probes (api/routes/health.py).
    app.fast_path = lambda stack: HealthProbes(
        ResponseCacheMiddleware(stack, context, CorsPolicy(settings), request_log),
        context,
        request_log.lines,
    )
    app.add_middleware(MaintenanceMiddleware, context=context)
    app.add_middleware(RefuseNulInUrlMiddleware)
    app.add_middleware(
        BodyLimitMiddleware,
        default_limit=settings.max_body_bytes,
        upload_limit=settings.media_max_bytes + settings.media_multipart_overhead_bytes,
    )
    app.add_middleware(CorsMiddleware, settings=settings)
    app.add_middleware(RequestLogMiddleware, context=context, logger=request_log)
    app.add_middleware(RequestIdMiddleware)
    for module in (
        health,
        system,
        collections,
        content,
        translations,
        admin_collections,
        workflow,
        media,
        files,
        auth_routes,
        account,
        users_admin,
        permissions_admin,
        api_tokens,
        plugin_routes,
        log_routes,
        cache_routes,
        settings_admin,
        webhook_routes,
        comments,
    ):
        app.include_router(module.router)
    if settings.metrics_enabled:
        app.add_route(METRICS_PATH, metrics_route(settings), ["GET"], include_in_schema=False)
    mount_plugin_routes(app, context.plugins.registry)
    web = WebBindings(
        authenticate,
        set_session_cookies,
        clear_session_cookies,
        set_plain_cookie,
        client_ip,
        refresh_token=lambda request: request.cookies.get(REFRESH_COOKIE),
    )
    install_admin(app, settings, web)
    install_docs(app)
    return app


def app_from_environment() -> FastAPI:
    """The app uvicorn's factory mode builds in each worker, from the environment (after
    uvicorn has configured its loggers, so the access-log scrubber stays attached)."""
    install_access_log_scrubber()
    forget_at_exit()
    return create_app(load_settings(), owns_process=True)
