"""What every signed-in page shares: who is looking, and the page rendered inside the shell.

A page handler takes ``actor: PageActor`` (a signed-out visitor never reaches it: the
:class:`SignInRequired` handler sends them to the sign-in page, or tells htmx to), reads its
values through the domain services with :func:`context_for`, and answers with :func:`page`,
which adds the sidebar and user menu and renders with the CSRF token of the actor's session.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Request
from starlette.responses import RedirectResponse, Response

from sonic_cms.actors import Actor
from sonic_cms.admin.pages.session import (
    HOME,
    page_actor,
    refresh_address,
    safe_next,
    services_for,
)
from sonic_cms.admin.pages.shell import shell_values
from sonic_cms.admin.security import page_headers
from sonic_cms.admin.templating import render
from sonic_cms.auth import user_admin
from sonic_cms.context import Context
from sonic_cms.site_settings import store as site_settings

#: Breadcrumbs after "Admin": (label, href or None for the current page).
Crumbs = Sequence[tuple[str, str | None]]


class SignInRequired(Exception):
    """Raised by :data:`PageActor` for a signed-out visitor; answered by :func:`to_sign_in`."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


async def require_actor(request: Request) -> Actor:
    """The signed-in user, or :class:`SignInRequired` naming the page they wanted."""
    actor = await page_actor(request)
    if actor is None:
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(wanted)
    return actor


PageActor = Annotated[Actor, Depends(require_actor)]


async def to_sign_in(request: Request, exc: Exception) -> Response:
    """Send a visitor without a valid access token through the session refresh (which renews
    an expired one from the refresh cookie, or goes on to the sign-in page), then back to the
    page they wanted; for htmx, a full-page redirect back to the page they are on."""
    assert isinstance(exc, SignInRequired)
    wanted = exc.path
    if request.headers.get("hx-request"):
        current = urlsplit(request.headers.get("hx-current-url", ""))
        wanted = current.path + (f"?{current.query}" if current.query else "")
    target = refresh_address(safe_next(wanted) or HOME)
    if request.headers.get("hx-request"):
        response: Response = Response(status_code=204, headers={"hx-redirect": target})
    else:
        response = RedirectResponse(target, status_code=303)
    return page_headers(response)


def context_for(request: Request, actor: Actor) -> Context:
    """The service context acting for the signed-in ``actor``."""
    return services_for(request, actor)


def frame_values(
    ctx: Context, *, current: str, stats: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The shell's values (navigation, the signed-in user); call inside ``ctx.run_read``.
    ``stats``: the page's own :func:`~sonic_cms.content.lists.content_stats`, when it has one."""
    user = user_admin.get_user(ctx, str(ctx.actor.user_id))
    site_name = site_settings.current(ctx).site_name  # cached per process: no query per page
    return {"user": user, "site_name": site_name} | shell_values(ctx, current=current, stats=stats)


def page(
    request: Request,
    actor: Actor,
    template: str,
    *,
    crumbs: Crumbs,
    status: int = 200,
    **values: Any,
) -> Response:
    """Render ``template`` inside the shell; ``values`` must include :func:`frame_values`."""
    return render(
        request, template, session_id=actor.session_id, status=status, crumbs=crumbs, **values
    )
