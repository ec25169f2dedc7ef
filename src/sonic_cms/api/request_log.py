"""Per-request logging and the request:* hooks, as pure ASGI middleware.

An ``api`` record (request_id, user_id, ip, user agent, method, url with secret query
parameters masked, status, duration in ms) is queued for the background writer, so the response
never waits on the database. Errors, writes and slow requests are always logged; routine
successful reads up to ``log_routine_requests_per_second`` per process
(:mod:`sonic_cms.logs.sampling`). A successful fetch of one of the admin's static files (hashed,
cached for a year, several per page) is never logged: it says nothing an operator needs and
would bury the page views around it; a failed one still is. ``request:start`` filters may refuse
a request (their 4xx names the plugin); ``request:end`` and ``request:error`` actions run after
the response. Nothing of this is built for a request no hook and no record will read.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sonic_cms.admin.assets import PREFIX as ADMIN_STATIC
from sonic_cms.api.context import AppContext
from sonic_cms.api.errors import error_response
from sonic_cms.logs.sampling import RoutineSampler, is_routine
from sonic_cms.logs.scrub import scrub_query, scrub_text
from sonic_cms.logs.stdout import request_lines
from sonic_cms.metrics.recorders import RequestMetrics
from sonic_cms.plugins import hookspecs
from sonic_cms.plugins.hooks import HookBus, HookCancelled

logger = logging.getLogger("sonic_cms.api")


HookPhases = tuple[tuple[hookspecs.Hook, hookspecs.Phase], ...]
#: Hooks that see every request.
REQUEST_HOOKS: HookPhases = (
    (hookspecs.REQUEST_START, "filter"),
    (hookspecs.REQUEST_START, "action"),
    (hookspecs.REQUEST_END, "action"),
    (hookspecs.REQUEST_ERROR, "action"),
)


def has_request_hooks(hooks: HookBus, hooks_of: HookPhases = REQUEST_HOOKS) -> bool:
    """Whether any handler of ``hooks_of`` (by default every ``request:*`` hook) would run."""
    return any(hooks.has(hook, phase) for hook, phase in hooks_of)


class RequestLogger:
    """Decides which requests become records and queues them (one per app, shared by the
    middleware and the response cache's fast path)."""

    def __init__(self, context: AppContext) -> None:
        self.context = context
        settings = context.settings
        self.sampler = RoutineSampler(settings.log_routine_requests_per_second)
        self.slow_ms = settings.log_slow_request_ms
        self._static = ADMIN_STATIC + "/"
        #: One JSON line per request on stdout (None unless SONIC_LOG_FORMAT is json).
        self.lines = request_lines(settings)
        self.metrics = RequestMetrics() if settings.metrics_enabled else None

    def record(
        self, scope: Scope, info: dict[str, Any] | None, status: int, started: float
    ) -> dict[str, Any] | None:
        """Write the request's stdout line and count it in the metrics (each when on), and queue
        its record when it is to be logged; returns the request's info (built here if it had to
        be, so the hooks after it reuse it)."""
        duration = (time.perf_counter() - started) * 1000
        if self.lines is not None:
            self.lines.emit(scope, status, duration)
        if self.metrics is not None:
            self.metrics.observe(scope, status, duration / 1000)
        path: str = scope["path"]
        if status < 400 and path.startswith(self._static):
            return info
        extra: dict[str, Any] = {}
        if is_routine(scope["method"], status, duration, self.slow_ms):
            unlogged = self.sampler.admit()
            if unlogged is None:
                return info
            if unlogged:
                extra["data"] = {"unlogged_since_previous": unlogged}
        if info is None:
            info = _request_info(scope)
        state = scope.get("state", {})
        level = "error" if status >= 500 else "warn" if status >= 400 else "info"
        self.context.logs.submit(
            {
                "level": level,
                "category": "api",
                "message": f"{info['method']} {info['path']} {status}",
                "request_id": state.get("request_id"),
                "user_id": state.get("user_id"),
                "ip_address": info["ip_address"],
                "user_agent": info["user_agent"],
                "method": info["method"],
                "url": info["url"],
                "status_code": status,
                "duration": int(duration),
                "source": "http",
                **extra,
            }
        )
        return info


class RequestLogMiddleware:
    """Fires request hooks and logs HTTP requests in the ``api`` category."""

    def __init__(self, app: ASGIApp, context: AppContext, logger: RequestLogger) -> None:
        self.app = app
        self.context = context
        self.logger = logger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        context = self.context
        if context.plugins.stale():
            await _refresh_plugins(context)
        started = time.perf_counter()
        hooks = context.hooks
        hooked = has_request_hooks(hooks, REQUEST_HOOKS[:2])  # request:start's
        info = _request_info(scope) if hooked else None
        if info is not None:
            try:
                hooks.filter(hookspecs.REQUEST_START, info)
            except HookCancelled as cancel:
                response = error_response(
                    cancel.status, cancel.message, cancel.code, cancel.details
                )
                await response(scope, receive, send)
                self.logger.record(scope, info, cancel.status, started)
                return
            hooks.action(hookspecs.REQUEST_START, info)
        status = 500

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        except BaseException:
            info = self.logger.record(scope, info, 500, started)
            self._after(scope, info, hookspecs.REQUEST_ERROR, 500)
            raise
        info = self.logger.record(scope, info, status, started)
        if status >= 500:
            self._after(scope, info, hookspecs.REQUEST_ERROR, status)
        self._after(scope, info, hookspecs.REQUEST_END, status)

    def _after(
        self, scope: Scope, info: dict[str, Any] | None, hook: hookspecs.Hook, status: int
    ) -> None:
        """Run ``hook``'s actions, building the payload only when a handler wants it."""
        if self.context.hooks.has(hook, "action"):
            payload = info if info is not None else _request_info(scope)
            self.context.hooks.action(hook, {**payload, "status_code": status})


async def _refresh_plugins(context: AppContext) -> None:
    try:
        await context.refresh_plugins()
    except SQLAlchemyError:
        # The database is down: keep the plugins known so far and let the route answer
        # for itself (/health says 503 with the reason, not a 500 from here).
        logger.warning("plugin refresh skipped: the database did not answer")


def _request_info(scope: Scope) -> dict[str, Any]:
    query = scope.get("query_string", b"").decode("latin-1")
    path = scope.get("path", "")
    client = scope.get("client")
    agent = None
    for key, value in scope.get("headers", ()):
        if key == b"user-agent":
            agent = scrub_text(value.decode("latin-1"))[:500]
    return {
        "method": scope.get("method", ""),
        "path": path,
        "url": f"{path}?{scrub_query(query)}" if query else path,
        "ip_address": client[0] if client else None,
        "user_agent": agent,
        "request_id": scope.get("state", {}).get("request_id"),
    }
