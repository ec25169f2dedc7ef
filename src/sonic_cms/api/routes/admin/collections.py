"""``/admin/api/collections`` and ``/admin/api/stats``: collection management and counts.

Each answer holds the one Collection representation under ``data``; the routes SonicJS clients
call also carry SonicJS's own top-level keys beside it (its admin list's ``count`` and
``timestamp``; its create's ``id, name, displayName, description, created_at``; its get's
fields), so those clients read what they read from SonicJS.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from sonic_cms.api.deps import CtxDep
from sonic_cms.api.models import admin as _docs_admin
from sonic_cms.api.models import common as docs
from sonic_cms.api.models import schema_check as _docs_check
from sonic_cms.api.openapi import PUBLIC, DocumentedRoute, ok
from sonic_cms.api.responses import JSONBytesResponse
from sonic_cms.api.routes._io import json_object
from sonic_cms.content import collections, schema_check
from sonic_cms.content.lists import content_stats
from sonic_cms.errors import Unauthorized, ValidationFailed
from sonic_cms.inputs.bodies import check_fields
from sonic_cms.pagination import complete_list

router = APIRouter(tags=["admin"], route_class=DocumentedRoute)


@router.get(
    "/admin/api/collections",
    summary="All collections, inactive ones included",
    responses=ok(docs.AdminCollectionList),
    openapi_extra=PUBLIC,  # anonymous callers get the active ones, as from /api/collections
)
async def all_collections(ctx: CtxDep) -> JSONBytesResponse:
    """Every collection the actor may manage."""
    rows = await ctx.run_read(lambda: collections.list_collections(ctx, include_inactive=True))
    document = complete_list(rows, ctx.clock.now_ms())
    meta = document["meta"]
    return JSONBytesResponse({**document, "count": meta["count"], "timestamp": meta["timestamp"]})


@router.get(
    "/admin/api/collections/{key}",
    summary="One collection, inactive ones included",
    responses=ok(docs.CollectionDetail),
    openapi_extra=PUBLIC,  # anonymous callers see active ones, as from /api/collections/{name}
)
async def one_collection(key: str, ctx: CtxDep) -> JSONBytesResponse:
    """By id (or name); 404 ``Collection not found``. SonicJS answers the collection's fields
    at the top level: they are there too, beside ``data``."""
    row = await ctx.run_read(lambda: collections.get_collection(ctx, key))
    return JSONBytesResponse({**row, "data": row})


@router.post(
    "/admin/api/collections",
    status_code=201,
    summary="Create a collection",
    responses=ok(docs.CollectionCreated, 201),
    openapi_extra=docs.body(docs.CollectionCreate),
)
async def create(request: Request, ctx: CtxDep) -> JSONBytesResponse:
    """SonicJS's ``{name, displayName, description}`` is enough (the schema defaults to an
    object with no fields). 422 with per-field details for a bad or unknown field; 409 for a
    taken name."""
    body = await json_object(request)
    row = await ctx.run_write(lambda: collections.create_collection(ctx, body))
    sonicjs = {
        "id": row["id"],
        "name": row["name"],
        "displayName": row["display_name"],
        "description": row["description"],
        "created_at": row["created_at"],
    }
    return JSONBytesResponse({"data": row, **sonicjs}, status_code=201)


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


@router.post(
    "/admin/api/collections/{key}/schema/check",
    summary="Dry-run a schema change against every item",
    responses=ok(_docs_check.SchemaCheckEnvelope),
    openapi_extra=docs.body(_docs_check.SchemaCheckBody),
)
async def check_schema(request: Request, key: str, ctx: CtxDep) -> JSONBytesResponse:
    """Validates each existing item of the collection against the proposed ``schema`` with the
    rules every content write uses, and writes nothing. Needs ``collections.update``; 422 when
    the proposed schema itself is invalid (the details the update would give), 404 for an
    unknown collection. A config-managed collection may be checked too (its schema changes in
    its file). ``failed`` counts the items an unchanged update would refuse; ``failures`` lists
    the first 20 with their first 5 errors; ``undeclared`` counts keys the items hold that the
    schema does not declare (kept on update, so not failures)."""
    body = await json_object(request)
    check_fields(body, ("schema",))
    if "schema" not in body:
        raise ValidationFailed(
            "Invalid fields: schema", details=[{"path": "schema", "message": "is required"}]
        )
    result = await ctx.run_read(lambda: schema_check.check_schema(ctx, key, body["schema"]))
    return JSONBytesResponse({"data": result})


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
