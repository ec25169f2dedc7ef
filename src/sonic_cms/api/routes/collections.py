"""``/api/collections``: SonicJS's public collection routes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from sonic_cms.api.caching import cached_route
from sonic_cms.api.deps import CtxDep
from sonic_cms.api.models import common as docs
from sonic_cms.api.openapi import NOT_MODIFIED, PUBLIC, DocumentedRoute, ok
from sonic_cms.api.responses import JSONBytesResponse
from sonic_cms.api.routes._io import json_object, public_document, query_pairs
from sonic_cms.content import collections, rows
from sonic_cms.content import items as content
from sonic_cms.content.lists import list_content
from sonic_cms.pagination import complete_list

router = APIRouter(tags=["collections"], route_class=DocumentedRoute)


@router.get(
    "/api/collections",
    summary="Active collections",
    responses={**ok(docs.CollectionList), **NOT_MODIFIED},
    openapi_extra=PUBLIC,
)
@cached_route("collection", "list")
async def list_collections(request: Request, ctx: CtxDep) -> Any:
    """Active collections, ``schema`` as an object."""
    rows = await ctx.run_read(lambda: collections.list_collections(ctx))
    return complete_list(rows, ctx.clock.now_ms())


@router.get(
    "/api/collections/{name}",
    summary="One collection",
    responses={**ok(docs.CollectionEnvelope), **NOT_MODIFIED},
    openapi_extra=PUBLIC,
)
@cached_route("collection", "item")
async def get_collection(request: Request, name: str, ctx: CtxDep) -> Any:
    """By name (or id); 404 ``Collection not found``."""
    row = await ctx.run_read(lambda: collections.get_collection(ctx, name))
    return {"data": row}


@router.get(
    "/api/collections/{name}/content",
    summary="Content of a collection",
    responses={**ok(docs.ContentList), **NOT_MODIFIED},
    openapi_extra={**PUBLIC, "parameters": docs.LIST_PARAMETERS},
)
@cached_route("content", "list")
async def list_collection_content(request: Request, name: str, ctx: CtxDep) -> Any:
    """The same query language as ``/api/content``, with the collection's data fields."""
    pairs = query_pairs(request)
    document = await ctx.run_read(lambda: list_content(ctx, pairs, name))
    return await public_document(ctx, document)


@router.post(
    "/api/collections/{name}/content",
    status_code=201,
    summary="Create an item",
    responses=ok(docs.ContentEnvelope, 201),
    openapi_extra=docs.body(docs.ContentUpdate),
)
async def create_in_collection(request: Request, name: str, ctx: CtxDep) -> JSONBytesResponse:
    """Like ``POST /api/content`` with the collection from the path."""
    body = await json_object(request)
    body.pop("collectionId", None)
    item = await ctx.run_write(lambda: content.create_item(ctx, {**body, "collectionId": name}))
    return JSONBytesResponse({"data": item}, status_code=201, headers={"ETag": rows.etag_of(item)})
