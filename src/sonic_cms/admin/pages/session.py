"""Who is looking at an admin page: the API's cookie authentication, read for a page.

A signed-out visitor (no cookie, or an expired or revoked one) is sent to the sign-in page
rather than shown a JSON 401; the service calls behind each page still check permissions.
"""

from __future__ import annotations

from fastapi import Request

from sonic_cms.actors import Actor
from sonic_cms.admin.templating import admin_of
from sonic_cms.context import Context
from sonic_cms.errors import Unauthorized

LOGIN_PATH = "/admin/login"


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
