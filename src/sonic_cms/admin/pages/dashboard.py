"""``/admin``: the dashboard. Each panel is one domain service's answer for the signed-in
user (counts per collection and status, my drafts, my review queue, upcoming schedules, recent
changes); a panel the user may not see is left out, not emptied by a rule of its own."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from sonic_cms.admin.pages.frame import PageActor, context_for, frame_values, page
from sonic_cms.content import collections, lists
from sonic_cms.content.access import STATUSES
from sonic_cms.context import Context
from sonic_cms.workflow import scheduling, transitions

router = APIRouter(include_in_schema=False)
PANEL_SIZE = 5


def dashboard_values(ctx: Context) -> dict[str, Any]:
    """Every panel's data, read for ``ctx.actor``."""
    actor = ctx.actor
    user_id = str(actor.user_id)
    mine = [("author", user_id), ("status", "draft"), ("sort", "-updated_at")]
    recent = [("sort", "-updated_at"), ("limit", str(PANEL_SIZE))]
    stats = lists.content_stats(ctx)
    values: dict[str, Any] = {
        "stats": stats,
        "display_names": {c["name"]: c["display_name"] for c in collections.list_collections(ctx)},
        "statuses": STATUSES,  # what content_stats counts; review and schedules have panels
        "my_drafts": lists.list_content(ctx, [*mine, ("limit", str(PANEL_SIZE))])["data"],
        "recent": lists.list_content(ctx, recent)["data"],
        "queue": None,
        "schedules": None,
    }
    if actor.can("content.review"):
        values["queue"] = transitions.review_queue(ctx, limit=PANEL_SIZE)
    if actor.can("workflow.read"):
        values["schedules"] = scheduling.list_schedules(ctx, status="pending", limit=PANEL_SIZE)
    return values | frame_values(ctx, current="dashboard", stats=stats)


@router.get("/admin")
@router.get("/admin/")
async def dashboard(request: Request, actor: PageActor) -> Response:
    """The dashboard (a signed-out visitor is sent to the sign-in page)."""
    ctx = context_for(request, actor)
    values = await ctx.run_read(lambda: dashboard_values(ctx))
    return page(request, actor, "dashboard.html", crumbs=[("Dashboard", None)], **values)
