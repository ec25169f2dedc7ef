"""/admin/cache: stats, clear, invalidate (``operations.cache_admin``: admin only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import Field

from sonic_cms.api.deps import ContextDep, CtxDep
from sonic_cms.api.models import admin as adocs
from sonic_cms.api.openapi import DocumentedRoute, ok
from sonic_cms.api.params import only_params
from sonic_cms.inputs.bodies import KnownFields
from sonic_cms.operations import cache_admin

router = APIRouter(prefix="/admin/cache", tags=["cache"], route_class=DocumentedRoute)


class InvalidateBody(KnownFields):
    """A glob over keys, ``namespace:type:identifier:version`` (``content:*``)."""

    pattern: Annotated[
        str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9:*?_\-.\[\]]+$")
    ]


@router.get("/stats", dependencies=[Depends(only_params())], responses=ok(adocs.CacheStatsEnvelope))
async def stats(ctx: CtxDep, app: ContextDep) -> dict[str, Any]:
    """Hits, misses, sets, evictions and errors per tier, with sizes."""
    return {"data": await cache_admin.stats(ctx, app.cache)}


@router.get(
    "/stats/{namespace}",
    dependencies=[Depends(only_params())],
    responses=ok(adocs.CacheStatsEnvelope),
)
async def namespace_stats(ctx: CtxDep, app: ContextDep, namespace: str) -> dict[str, Any]:
    """The counters of one namespace."""
    return {"data": await cache_admin.stats(ctx, app.cache, namespace)}


@router.post("/clear", responses=ok(adocs.ClearedEnvelope))
async def clear(ctx: CtxDep, app: ContextDep) -> dict[str, Any]:
    """Drop everything, in every tier and (through the generations) every process."""
    return {"data": await cache_admin.clear(ctx, app.cache)}


@router.post("/clear/{namespace}", responses=ok(adocs.ClearedEnvelope))
async def clear_namespace(ctx: CtxDep, app: ContextDep, namespace: str) -> dict[str, Any]:
    """Drop one namespace."""
    return {"data": await cache_admin.clear(ctx, app.cache, namespace)}


@router.post("/invalidate", responses=ok(adocs.ClearedEnvelope))
async def invalidate(ctx: CtxDep, app: ContextDep, body: InvalidateBody) -> dict[str, Any]:
    """Drop keys matching ``pattern`` and move the generations of the namespaces it touches."""
    return {"data": await cache_admin.invalidate(ctx, app.cache, body.pattern)}
