"""Comment moderation: the queue and approving, marking as spam or deleting comments, one or
many (``comments.moderate``, checked by :mod:`sonic_cms.comments.moderation`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field

from sonic_cms.api.bodies import StrictModel, no_nul_in_params
from sonic_cms.api.deps import CtxDep
from sonic_cms.api.models import comments as cdocs
from sonic_cms.api.openapi import DocumentedRoute, ok
from sonic_cms.api.params import int_query, only_params
from sonic_cms.api.queries import only_known_params
from sonic_cms.api.responses import JSONBytesResponse
from sonic_cms.api.routes.comments.readers import CommentId
from sonic_cms.comments import moderation

router = APIRouter(
    tags=["comments"], dependencies=[Depends(no_nul_in_params)], route_class=DocumentedRoute
)


class ModerationBody(StrictModel):
    """``POST /admin/api/comments/bulk``: one action for many comments."""

    action: Literal["approve", "spam", "delete"]
    ids: list[CommentId] = Field(min_length=1)


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
