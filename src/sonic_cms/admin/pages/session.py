"""Who is looking at an admin page: the API's cookie authentication, read for a page.

A signed-out visitor (no cookie, or an expired or revoked one) is sent to the sign-in page
rather than shown a JSON 401; the service calls behind each page still check permissions.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from fastapi import Request

from sonic_cms.actors import Actor
from sonic_cms.admin.templating import admin_of
from sonic_cms.context import Context
from sonic_cms.errors import Unauthorized

LOGIN_PATH = "/admin/login"
HOME = "/admin"
#: Where a page sends a visitor it does not recognise: the refresh cookie rides only to
#: ``/auth`` paths, so only there can an expired access token be renewed.
REFRESH_PATH = "/auth/refresh-session"


def safe_next(wanted: str | None) -> str | None:
    """``wanted`` when it is an admin page of this server (path and query), else None.

    A ``next`` address comes from the query string, so anyone can write a link with one; only
    a local ``/admin`` path is followed, never an absolute, scheme-relative (``//host``) or
    backslash address, which a browser would take to another site.
    """
    if not wanted or any(c in wanted for c in "\\\r\n\t") or wanted.startswith("//"):
        return None
    parts = urlsplit(wanted)
    if parts.scheme or parts.netloc or parts.fragment:
        return None
    if parts.path != HOME and not parts.path.startswith(HOME + "/"):
        return None
    return wanted


def login_address(wanted: str) -> str:
    """The sign-in page, asked to return to ``wanted`` afterwards (the dashboard needs no
    ``next``)."""
    return LOGIN_PATH if wanted in {HOME, HOME + "/"} else f"{LOGIN_PATH}?next={quote(wanted)}"


def refresh_address(wanted: str) -> str:
    """The address that renews an expired session, then returns to ``wanted``."""
    return f"{REFRESH_PATH}?next={quote(wanted)}"


async def page_actor(request: Request) -> Actor | None:
    """The signed-in user behind the request, or None when signed out."""
    try:
        actor = await admin_of(request).web.authenticate(request)
    except Unauthorized:
        return None
    if actor.kind != "user" or actor.user_id is None:
        return None
    request.state.user_id = actor.user_id  # for the request log
    return actor


def services_for(request: Request, actor: Actor | None) -> Context:
    """The service context acting for ``actor`` (for nobody when None)."""
    services: Context = request.app.state.ctx.services
    return services if actor is None else services.acting_as(actor)
