"""``/admin/roles``: the grid of roles and their permissions.

The grid is :func:`sonic_cms.auth.roles.list_permissions` (``users.read``), the service behind
``GET /admin/api/permissions``; each toggle is :func:`roles.grant` or :func:`roles.revoke`
(``roles.manage``), the services behind ``POST/DELETE /admin/api/roles/{role}/permissions``, so
their rules hold here too: the admin role keeps every permission (409, shown as a toast) and
only a holder of ``roles.manage`` changes anything (403 for a crafted request; the grid is
read-only for everyone else). Each toggle is an htmx post answered with the grid and a toast.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from sonic_cms.admin.pages.editorial.item_panel import attempt, checked_form
from sonic_cms.admin.pages.frame import PageActor, context_for, frame_values, page
from sonic_cms.admin.security import page_headers
from sonic_cms.admin.templating import render
from sonic_cms.auth import roles
from sonic_cms.context import Context
from sonic_cms.db.records import ROLES

router = APIRouter(include_in_schema=False)
PATH = "/admin/roles"


def grid_values(ctx: Context) -> dict[str, Any]:
    """Every permission (grouped by category) with the roles holding it; call inside
    ``ctx.run_read``."""
    permissions = roles.list_permissions(ctx)
    ordered = sorted(permissions, key=lambda p: (str(p["category"] or "other"), str(p["name"])))
    groups = [
        (category, list(items))
        for category, items in groupby(ordered, key=lambda p: str(p["category"] or "other"))
    ]
    return {"roles": ROLES, "groups": groups, "can_manage": ctx.actor.can("roles.manage")}


@router.get(PATH)
async def roles_page(request: Request, actor: PageActor) -> Response:
    """The grid (403 from the service without ``users.read``)."""
    ctx = context_for(request, actor)
    values = await ctx.run_read(lambda: grid_values(ctx) | frame_values(ctx, current=PATH))
    return page(request, actor, "roles.html", crumbs=[("Roles", None)], **values)


@router.post(PATH + "/{role}/toggle")
async def toggle(request: Request, actor: PageActor, role: str) -> Response:
    """Grant (``grant=1``) or revoke (``grant=0``) one permission of ``role``."""
    form = await checked_form(request, actor)
    permission = form.get("permission", "")
    granting = form.get("grant") == "1"
    ctx = context_for(request, actor)
    if granting:
        toast = await attempt(
            ctx,
            lambda: roles.grant(ctx, role=role, permission=permission),
            f"{role} may now use {permission}.",
        )
    else:
        toast = await attempt(
            ctx,
            lambda: roles.revoke(ctx, role=role, permission=permission),
            f"{role} no longer has {permission}.",
        )
    if not request.headers.get("hx-request"):
        return page_headers(RedirectResponse(PATH, status_code=303))
    values = await ctx.run_read(lambda: grid_values(ctx))
    message, ok = toast
    return render(
        request,
        "_roles_swap.html",
        session_id=actor.session_id,
        toast=message,
        toast_ok=ok,
        **values,
    )
