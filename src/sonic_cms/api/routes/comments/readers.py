"""Comments as readers and authors use them: an item's thread, posting and replying, and
the author's own edits and deletions.

The thread is read uncached: it differs per reader (their own pending comments are in it).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import Field

from sonic_cms.api.bodies import StrictModel, no_nul_in_params
from sonic_cms.api.deps import CtxDep
from sonic_cms.api.models import comments as cdocs
from sonic_cms.api.openapi import PUBLIC, DocumentedRoute, ok
from sonic_cms.api.params import only_params
from sonic_cms.api.responses import JSONBytesResponse
from sonic_cms.comments import posting, threads

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
