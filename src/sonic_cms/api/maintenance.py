"""Maintenance mode: 503 with ``Retry-After`` to everyone but those who may end it.

While the ``maintenance_mode`` site setting is on, every request is answered ``503
maintenance`` before routing, except:

- the health routes (``/health``, ``/api/system/health``, ``/api/system/ping``), so load
  balancers and monitors keep their view;
- sign-in and sign-out (``/auth/login``, ``/auth/refresh``, ``/admin/login``, the session
  refresh, logout) and the admin's static files, so an admin can get in to turn it off;
- callers holding ``settings.update`` (admins by default), signed in by cookie or bearer token.

A signed-out visitor asking for an admin page is sent through the session refresh to the
sign-in page, as the page itself would. The middleware sits outside the response cache's
fast path, so no cached answer is served while maintenance is on (admins send credentials,
which always bypass the cache).
"""

from __future__ import annotations

import logging

from fastapi import Request
from sqlalchemy.exc import DBAPIError
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sonic_cms.admin.assets import PREFIX as ADMIN_STATIC
from sonic_cms.admin.pages.session import LOGIN_PATH, REFRESH_PATH, refresh_address
from sonic_cms.api.context import AppContext
from sonic_cms.api.errors import error_response
from sonic_cms.api.middleware import header_value
from sonic_cms.api.response_cache import has_credentials
from sonic_cms.errors import ServiceError, Unauthorized
from sonic_cms.operations.settings_admin import UPDATE_PERMISSION

logger = logging.getLogger("sonic_cms.maintenance")

#: Paths that answer whatever the mode.
OPEN_PATHS = frozenset(
    {
        "/health",
        "/api/system/health",
        "/api/system/ping",
        "/auth/login",
        "/auth/refresh",
        "/auth/logout",
        LOGIN_PATH,
        REFRESH_PATH,
        "/admin/logout",
    }
)
MESSAGE = "The site is down for maintenance; please try again later"

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Down for maintenance</title></head>
<body><main><h1>Down for maintenance</h1><p>{message}.</p></main></body></html>
"""


def is_open(path: str) -> bool:
    """Whether ``path`` answers during maintenance whoever asks."""
    return path in OPEN_PATHS or path.startswith(ADMIN_STATIC + "/")


class MaintenanceMiddleware:
    """Answers 503 while maintenance mode is on (see the module docstring)."""

    def __init__(self, app: ASGIApp, context: AppContext) -> None:
        self.app = app
        self.context = context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_open(scope["path"]) or not await self._on():
            await self.app(scope, receive, send)
            return
        verdict = await self._verdict(scope)
        if verdict == "pass":
            await self.app(scope, receive, send)
            return
        await self._refuse(scope, signed_out=verdict == "signed_out")(scope, receive, send)

    async def _on(self) -> bool:
        try:
            settings = await self.context.site_settings()
        except DBAPIError:
            # Not migrated yet (no settings table) or the database is down: the route
            # answers for itself (health says which); maintenance cannot be on unread.
            logger.warning("site settings unreadable; maintenance mode taken as off")
            return False
        return settings.maintenance_mode

    @staticmethod
    async def _verdict(scope: Scope) -> str:
        """``pass`` (may end maintenance), ``signed_out`` or ``refused``."""
        if not has_credentials(scope):
            return "signed_out"
        request = Request(scope)
        try:
            actor = await request.app.state.authenticate(request)
        except Unauthorized:
            return "signed_out"
        except ServiceError:
            return "refused"
        return "pass" if actor.can(UPDATE_PERMISSION) else "refused"

    def _refuse(self, scope: Scope, *, signed_out: bool) -> Response:
        path: str = scope["path"]
        if _admin_page(path) and scope["method"] == "GET" and signed_out:
            return RedirectResponse(refresh_address(path), status_code=303)
        headers = {
            "Retry-After": str(self.context.settings.maintenance_retry_after_seconds),
            "Cache-Control": "no-store",
        }
        if _admin_page(path) or "text/html" in (header_value(scope, b"accept") or ""):
            return HTMLResponse(_PAGE.format(message=MESSAGE), status_code=503, headers=headers)
        return error_response(503, MESSAGE, "maintenance", headers=headers)


def _admin_page(path: str) -> bool:
    return (path == "/admin" or path.startswith("/admin/")) and not path.startswith("/admin/api")
