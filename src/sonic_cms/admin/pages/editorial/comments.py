"""``/admin/comments``: the comment moderation page (``comments.moderate``).

A tab per status with its count, the queue of that status oldest first (author, the item it is
about, the text escaped by the template), and approve / spam / delete for one comment or the
selected ones. Every change is ``comments.moderation.moderate``, the service behind the API and
the CLI, so a crafted post without the permission gets the service's 403.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from sonic_cms.admin.pages.editorial.item_panel import attempt
from sonic_cms.admin.pages.frame import PageActor, context_for, frame_values, page
from sonic_cms.admin.security import check_csrf, page_headers
from sonic_cms.admin.templating import admin_of, render
from sonic_cms.comments import moderation
from sonic_cms.context import Context

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
TABS = (("pending", "Pending"), ("approved", "Approved"), ("spam", "Spam"), ("deleted", "Deleted"))
DONE = {"approve": "Approved", "spam": "Marked as spam", "delete": "Deleted"}


def page_of(raw: str | None) -> int:
    """A page number from the query string (anything else: the first page)."""
    return int(raw) if raw and raw.isdigit() and 0 < len(raw) < 7 and int(raw) > 0 else 1


def status_of(raw: str | None) -> str:
    """A tab's status from the query string (anything else: pending)."""
    return raw if raw in dict(TABS) else "pending"


def queue_values(ctx: Context, status: str, page_number: int) -> dict[str, Any]:
    """The tab's page of comments, the tabs' counts and the paging links."""
    found = moderation.comment_queue(ctx, status, page=page_number, limit=PAGE_SIZE)
    paging = found["meta"]["pagination"]
    return {
        "comments": found["data"],
        "tab": status,
        "tabs": TABS,
        "counts": moderation.status_counts(ctx),
        "page_number": page_number,
        "previous": page_number - 1 if paging["hasPrev"] else None,
        "following": page_number + 1 if paging["hasNext"] else None,
    }


@router.get("/admin/comments")
async def comments_page(request: Request, actor: PageActor) -> Response:
    """The moderation queue of one status (403 from the service without the permission)."""
    ctx = context_for(request, actor)
    status = status_of(request.query_params.get("status"))
    number = page_of(request.query_params.get("page"))
    values = await ctx.run_read(
        lambda: queue_values(ctx, status, number) | frame_values(ctx, current="comments")
    )
    return page(request, actor, "comments.html", crumbs=[("Comments", None)], **values)


@router.post("/admin/comments/moderate")
async def moderate(request: Request, actor: PageActor) -> Response:
    """Approve, spam or delete the selected comments, or the one whose button was pressed
    (``single`` = ``action:id``); htmx gets the queue again and a toast, a plain post a 303."""
    await check_csrf(request, admin_of(request).settings, actor.session_id)
    form = await request.form()
    status = status_of(str(form.get("status", "")))
    single = str(form.get("single", ""))
    action, _, one = single.partition(":")
    if not single:
        action = str(form.get("action", ""))
    ids = [one] if single else [str(v) for v in form.getlist("ids")]
    ctx = context_for(request, actor)
    done = f"{DONE.get(action, 'Done')}: {len(ids)} comment(s)"
    message, ok = await attempt(ctx, lambda: moderation.moderate(ctx, action, ids), done)
    if not request.headers.get("hx-request"):
        target = f"/admin/comments?status={status}"
        return page_headers(RedirectResponse(target, status_code=303))
    values = await ctx.run_read(lambda: queue_values(ctx, status, 1))
    return render(
        request,
        "_comments_swap.html",
        session_id=actor.session_id,
        toast=message,
        toast_ok=ok,
        **values,
    )
