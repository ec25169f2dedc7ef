"""``/admin/api-tokens``: create, list and revoke API tokens.

Everything goes through :mod:`sonic_cms.auth.api_tokens`, the service behind ``/api/tokens``:
the checklist offers only the signed-in user's own permissions, and the service refuses a
crafted request for more (403 ``token_escalation``). A new token's secret is rendered once, in
the answer to the create form (never in a URL, never stored), with a copy button
(``static/js/api-tokens.js``). With ``api_tokens.manage`` the list shows everyone's tokens.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from sonic_cms.actors import Actor
from sonic_cms.admin.pages.editorial.item_panel import PROPAGATED
from sonic_cms.admin.pages.frame import PageActor, context_for, frame_values, page
from sonic_cms.admin.security import check_csrf, page_headers
from sonic_cms.admin.templating import admin_of
from sonic_cms.auth import api_tokens
from sonic_cms.content import includes
from sonic_cms.context import Context
from sonic_cms.errors import ServiceError
from sonic_cms.inputs.integers import MAX_EPOCH_MS
from sonic_cms.inputs.text import CONTROL_MESSAGE, has_control

router = APIRouter(include_in_schema=False)
PATH = "/admin/api-tokens"
#: Result messages a redirect may ask for (a key, never text from the URL).
NOTICES = {"revoked": "The token was revoked: it is refused from the next request on."}


def permission_groups(actor: Actor) -> list[tuple[str, list[str]]]:
    """The actor's own permissions by category: what a new token may hold."""
    groups: dict[str, list[str]] = {}
    for name in sorted(actor.permissions):
        groups.setdefault(name.split(".", 1)[0], []).append(name)
    return sorted(groups.items())


def list_values(ctx: Context) -> dict[str, Any]:
    """The tokens the actor may see (everyone's with ``api_tokens.manage``) and their owners;
    call inside ``ctx.run_read``."""
    everyone = ctx.actor.can("api_tokens.manage")
    tokens = api_tokens.list_tokens(ctx, all_users=everyone)
    owners = includes.people(ctx, [t["user_id"] for t in tokens]) if everyone else {}
    now = ctx.clock.now_ms()
    rows = [
        t
        | {
            "owner": (owners.get(t["user_id"]) or {}).get("name") or t["user_id"],
            "expired": t["expires_at"] is not None and t["expires_at"] <= now,
        }
        for t in tokens
    ]
    return {
        "tokens": rows,
        "everyone": everyone,
        "can_create": ctx.actor.can("api_tokens.create") and ctx.actor.kind != "token",
        "can_revoke": ctx.actor.can("api_tokens.delete"),
        "groups": permission_groups(ctx.actor),
    }


async def tokens_page(request: Request, actor: Actor, status: int = 200, **extra: Any) -> Response:
    """The page; ``extra``: the form's values and errors, or the token just created."""
    ctx = context_for(request, actor)
    values = await ctx.run_read(lambda: list_values(ctx) | frame_values(ctx, current=PATH))
    notice = NOTICES.get(request.query_params.get("done", ""))
    defaults: dict[str, Any] = {"form": {}, "errors": {}, "created": None, "notice": notice}
    return page(
        request,
        actor,
        "api_tokens.html",
        crumbs=[("API tokens", None)],
        status=status,
        **(defaults | values | extra),
    )


@router.get(PATH)
async def tokens(request: Request, actor: PageActor) -> Response:
    """The list, and the create form."""
    return await tokens_page(request, actor)


def parse_expiry(raw: str) -> int | None:
    """A ``datetime-local`` value read as UTC -> epoch ms; ValueError when it is not one."""
    if not raw:
        return None
    moment = datetime.fromisoformat(raw)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    value = int(moment.timestamp() * 1000)
    if not 0 <= value <= MAX_EPOCH_MS:
        raise ValueError("out of range")
    return value


@router.post(PATH)
async def create(request: Request, actor: PageActor) -> Response:
    """Create a token; the answer (not a redirect: the secret must not enter a URL or the
    history) shows its secret once. 422 with the problems next to their fields."""
    await check_csrf(request, admin_of(request).settings, actor.session_id)
    form = await request.form()
    name = str(form.get("name") or "").strip()
    chosen = [p for p in form.getlist("permissions") if isinstance(p, str)]
    raw_expiry = str(form.get("expires_at") or "").strip()
    kept = {"name": name, "permissions": chosen, "expires_at": raw_expiry}
    errors: dict[str, str] = {}
    if has_control(name):
        errors["name"] = CONTROL_MESSAGE
    try:
        expires_at = parse_expiry(raw_expiry)
    except ValueError:
        errors["expires_at"] = "must be a date and time"
        expires_at = None
    ctx = context_for(request, actor)
    if not errors:
        try:
            row, secret = await ctx.run_write(
                lambda: api_tokens.create_token(
                    ctx, name=name, permissions=chosen, expires_at=expires_at
                )
            )
        except ServiceError as exc:
            if exc.status in PROPAGATED:
                raise
            errors = {str(d.get("path")): str(d.get("message")) for d in exc.details}
        else:
            return await tokens_page(request, actor, status=201, created=row | {"secret": secret})
    return await tokens_page(
        request,
        actor,
        status=422,
        form=kept,
        errors=errors,
        error="The token was not created: see the problems marked below.",
    )


@router.post(PATH + "/{token_id}/revoke")
async def revoke(request: Request, actor: PageActor, token_id: str) -> Response:
    """Revoke one token (the service's own/anyone's rule; 404 for one not visible)."""
    await check_csrf(request, admin_of(request).settings, actor.session_id)
    ctx = context_for(request, actor)
    await ctx.run_write(lambda: api_tokens.revoke_token(ctx, token_id))
    return page_headers(RedirectResponse(PATH + "?done=revoked", status_code=303))
