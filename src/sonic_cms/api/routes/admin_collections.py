"""``/admin/api/collections`` and ``/admin/api/stats``: collection management and counts."""

from __future__ import annotations

from fastapi import APIRouter, Request

from sonic_cms.api.deps import CtxDep
from sonic_cms.api.models import admin as _docs_admin
from sonic_cms.api.models import common as docs
from sonic_cms.api.openapi import PUBLIC, DocumentedRoute, ok
from sonic_cms.api.responses import JSONBytesResponse
from sonic_cms.api.routes._io import json_object
from sonic_cms.content import collections
from sonic_cms.content.lists import content_stats
from sonic_cms.errors import Unauthorized

router = APIRouter(tags=["admin"], route_class=DocumentedRoute)


@router.get(
    "/admin/api/collections",
    summary="All collections, inactive ones included",
    responses=ok(docs.CollectionList),
    openapi_extra=PUBLIC,  # anonymous callers get the active ones, as from /api/collections
)
async def all_collections(ctx: CtxDep) -> JSONBytesResponse:
    """Every collection the actor may manage."""
    rows = await ctx.run_read(lambda: collections.list_collections(ctx, include_inactive=True))
    return JSONBytesResponse({"data": rows, "meta": {"count": len(rows)}})


@router.post(
    "/admin/api/collections",
    status_code=201,
    summary="Create a collection",
    responses=ok(docs.CollectionEnvelope, 201),
    openapi_extra=docs.body(docs.CollectionCreate),
)
async def create(request: Request, ctx: CtxDep) -> JSONBytesResponse:
    """422 with per-field details for a bad name or schema; 409 for a taken name."""
    body = await json_object(request)
    row = await ctx.run_write(lambda: collections.create_collection(ctx, body))
    return JSONBytesResponse({"data": row}, status_code=201)


@router.patch(
    "/admin/api/collections/{key}",
    summary="Change a collection",
    responses=ok(docs.CollectionEnvelope),
    openapi_extra=docs.body(docs.CollectionUpdate),
)
async def patch(request: Request, key: str, ctx: CtxDep) -> JSONBytesResponse:
    """A config-managed collection answers 409."""
    body = await json_object(request)
    row = await ctx.run_write(lambda: collections.update_collection(ctx, key, body))
    return JSONBytesResponse({"data": row})


@router.delete(
    "/admin/api/collections/{key}",
    summary="Delete an empty collection",
    responses=ok(docs.Success),
)
async def remove(key: str, ctx: CtxDep) -> JSONBytesResponse:
    """A collection that has content answers 400; a managed one 409."""
    await ctx.run_write(lambda: collections.delete_collection(ctx, key))
    return JSONBytesResponse({"success": True})


@router.get(
    "/admin/api/stats",
    summary="Content counts per status and per collection",
    responses=ok(_docs_admin.StatsEnvelope),
)
async def stats(ctx: CtxDep) -> JSONBytesResponse:
    """Counts of what the signed-in actor may read."""
    if not ctx.actor.is_authenticated:
        raise Unauthorized("Authentication required")
    return JSONBytesResponse({"data": await ctx.run_read(lambda: content_stats(ctx))})
