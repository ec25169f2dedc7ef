"""Comments: an item's thread, posting and replying, the author's edits, and moderation.

Every rule lives in :mod:`sonic_cms.comments`; these routes parse and render. The thread is
read uncached (it differs per reader: their own pending comments are in it).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field

from sonic_cms.api.bodies import StrictModel, no_nul_in_params
from sonic_cms.api.deps import CtxDep
from sonic_cms.api.models import comments as cdocs
from sonic_cms.api.openapi import PUBLIC, DocumentedRoute, ok
from sonic_cms.api.params import int_query, only_params
from sonic_cms.api.queries import only_known_params
from sonic_cms.api.responses import JSONBytesResponse
from sonic_cms.comments import moderation, posting, threads

router = APIRouter(
    tags=["comments"], dependencies=[Depends(no_nul_in_params)], route_class=DocumentedRoute
)
#: Ids are text keys; none is longer or holds a control character.
CommentId = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]+$")]


class NewComment(StrictModel):
    """``POST /api/content/{id}/comments``: the text, and the comment it answers."""

    body: str = Field(description="Plain text; HTML is stored and returned as written")
    parent_id: CommentId | None = None


class CommentEdit(StrictModel):
    """``PUT /api/comments/{id}``: the author's new text."""

    body: str


class ModerationBody(StrictModel):
    """``POST /admin/api/comments/bulk``: one action for many comments."""

    action: Literal["approve", "spam", "delete"]
    ids: list[CommentId] = Field(min_length=1)


@router.get(
    "/api/content/{item_id}/comments",
    summary="An item's comments, as a tree",
    dependencies=[Depends(only_params())],
    responses=ok(cdocs.CommentThread),
    openapi_extra=PUBLIC,
)
async def thread(item_id: str, ctx: CtxDep) -> JSONBytesResponse:
    """Approved comments (and the caller's own pending ones) with their replies; 404 as
    reading the item would be, or ``comments_disabled``."""
    document = await ctx.run_read(lambda: threads.comment_tree(ctx, item_id))
    return JSONBytesResponse(document)


@router.post(
    "/api/content/{item_id}/comments",
    status_code=201,
    summary="Comment on an item, or reply to a comment",
    dependencies=[Depends(only_params())],
    responses=ok(cdocs.CommentEnvelope, 201),
)
async def post(item_id: str, body: NewComment, ctx: CtxDep) -> JSONBytesResponse:
    """Signed-in callers who may read the item. ``pending`` unless the caller's role is
    trusted; 422 for a bad body or parent, 429 past the per-user rate limit."""
    comment = await ctx.run_write(
        lambda: posting.post_comment(ctx, item_id, body.body, body.parent_id)
    )
    return JSONBytesResponse({"data": comment}, status_code=201)


@router.put(
    "/api/comments/{comment_id}",
    summary="Edit one's own comment",
    dependencies=[Depends(only_params())],
    responses=ok(cdocs.CommentEnvelope),
)
async def edit(comment_id: str, body: CommentEdit, ctx: CtxDep) -> JSONBytesResponse:
    """The author only, within the edit window (403 ``not_comment_author``,
    ``edit_window_closed``)."""
    comment = await ctx.run_write(lambda: posting.edit_comment(ctx, comment_id, body.body))
    return JSONBytesResponse({"data": comment})


@router.delete(
    "/api/comments/{comment_id}",
    summary="Delete one's own comment",
    dependencies=[Depends(only_params())],
    responses=ok(cdocs.CommentEnvelope),
)
async def delete_own(comment_id: str, ctx: CtxDep) -> JSONBytesResponse:
    """The author only, within the edit window; the comment's status becomes ``deleted``."""
    comment = await ctx.run_write(lambda: posting.delete_own_comment(ctx, comment_id))
    return JSONBytesResponse({"data": comment})


@router.get("/admin/api/comments", summary="The moderation queue", responses=ok(cdocs.CommentQueue))
async def queue(
    request: Request,
    ctx: CtxDep,
    status: Annotated[str, Query(max_length=20)] = "pending",
    content_id: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, int_query(ge=1, le=1_000_000)] = 1,
    limit: Annotated[int, int_query(ge=1, le=100)] = 50,
) -> dict[str, Any]:
    """Comments in ``status`` (pending, approved, spam, deleted or all), oldest first, with
    their item (``comments.moderate``)."""
    only_known_params(request, "status", "content_id", "page", "limit")
    return await ctx.run_read(
        lambda: moderation.comment_queue(ctx, status, page=page, limit=limit, content_id=content_id)
    )


@router.post(
    "/admin/api/comments/bulk",
    summary="Approve, mark as spam or delete many comments",
    dependencies=[Depends(only_params())],
    responses=ok(cdocs.ModerationResult),
)
async def bulk(body: ModerationBody, ctx: CtxDep) -> JSONBytesResponse:
    """All or nothing: 404 naming the ids that are no comment, nothing changed
    (``comments.moderate``)."""
    result = await ctx.run_write(lambda: moderation.moderate(ctx, body.action, body.ids))
    return JSONBytesResponse(result)


@router.post(
    "/admin/api/comments/{comment_id}/{action}",
    summary="Approve, mark as spam or delete one comment",
    dependencies=[Depends(only_params())],
    responses=ok(cdocs.ModerationResult),
)
async def moderate_one(
    comment_id: str, action: Literal["approve", "spam", "delete"], ctx: CtxDep
) -> JSONBytesResponse:
    """As the bulk route, for one comment (``comments.moderate``)."""
    result = await ctx.run_write(lambda: moderation.moderate(ctx, action, [comment_id]))
    return JSONBytesResponse(result)
