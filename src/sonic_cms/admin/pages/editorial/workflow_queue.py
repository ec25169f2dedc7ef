"""``/admin/workflow``: the review queue.

The queue is ``workflow.transitions.review_queue``, the service behind ``GET
/api/workflow/queue`` (pending-review content the reviewer may act on: never their own, not
approved by them yet in this round); approving and rejecting are ``transitions.transition``, so
the service decides, and a crafted request gets its 403.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from sonic_cms.admin.pages.editorial.item_panel import attempt, checked_form
from sonic_cms.admin.pages.frame import PageActor, context_for, frame_values, page
from sonic_cms.admin.security import page_headers
from sonic_cms.admin.templating import render
from sonic_cms.content import collections, includes
from sonic_cms.context import Context
from sonic_cms.workflow import transitions

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
#: The two decisions a reviewer takes from the queue, and the workflow state each moves to.
DECISIONS = {"approve": ("approved", "Approved"), "reject": ("rejected", "Rejected")}


def queue_values(ctx: Context, offset: int = 0) -> dict[str, Any]:
    """The queue's page at ``offset``, each item with its collection and author names."""
    found = transitions.review_queue(ctx, limit=PAGE_SIZE, offset=offset)
    names = {c["id"]: c["display_name"] for c in collections.list_collections(ctx)}
    people = includes.people(ctx, [i["author_id"] for i in found["items"]])
    items = [
        i
        | {
            "collection": names.get(i["collection_id"], i["collection_id"]),
            "author": (people.get(i["author_id"]) or {}).get("name") or "someone",
        }
        for i in found["items"]
    ]
    previous = max(offset - PAGE_SIZE, 0) if offset else None
    following = offset + PAGE_SIZE if offset + PAGE_SIZE < found["total"] else None
    return {
        "queue": items,
        "total": found["total"],
        "offset": offset,
        "previous": previous,
        "following": following,
    }


def offset_of(raw: str | None) -> int:
    """A page offset from the query string (anything else: the first page)."""
    return int(raw) if raw and raw.isdigit() and len(raw) < 9 else 0


@router.get("/admin/workflow")
async def review_queue(request: Request, actor: PageActor) -> Response:
    """Items waiting for the signed-in reviewer (403 from the service without content.review)."""
    ctx = context_for(request, actor)
    offset = offset_of(request.query_params.get("offset"))
    values = await ctx.run_read(
        lambda: queue_values(ctx, offset) | frame_values(ctx, current="review")
    )
    return page(request, actor, "workflow_queue.html", crumbs=[("Review queue", None)], **values)


@router.post("/admin/workflow/{content_id}/review")
async def post_review(content_id: str, request: Request, actor: PageActor) -> Response:
    """Approve or reject ``content_id`` with an optional comment; htmx gets the queue again
    and a toast, a plain post a 303 to the queue."""
    form = await checked_form(request, actor)
    ctx = context_for(request, actor)
    state, done = DECISIONS.get(form.get("decision", ""), (form.get("decision", ""), "Done"))
    comment = form.get("comment", "").strip() or None
    title = form.get("title", "") or "the item"
    message, ok = await attempt(
        ctx, lambda: transitions.transition(ctx, content_id, state, comment), f"{done}: {title}"
    )
    if not request.headers.get("hx-request"):
        return page_headers(RedirectResponse("/admin/workflow", status_code=303))
    values = await ctx.run_read(lambda: queue_values(ctx))
    return render(
        request,
        "_workflow_queue_swap.html",
        session_id=actor.session_id,
        toast=message,
        toast_ok=ok,
        **values,
    )
