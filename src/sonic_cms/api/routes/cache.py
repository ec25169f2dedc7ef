"""/admin/cache: stats, clear, invalidate. Admin only (SonicJS left these open)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from sonic_cms.actors import Actor
from sonic_cms.api.deps import ActorDep, ContextDep
from sonic_cms.api.models import admin as adocs
from sonic_cms.api.openapi import DocumentedRoute, ok
from sonic_cms.api.params import only_params
from sonic_cms.cache import NAMESPACES
from sonic_cms.errors import NotFound

router = APIRouter(prefix="/admin/cache", tags=["cache"], route_class=DocumentedRoute)


class InvalidateBody(BaseModel):
    """A glob over keys, ``namespace:type:identifier:version`` (``content:*``)."""

    model_config = ConfigDict(extra="forbid")

    pattern: Annotated[
        str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9:*?_\-.\[\]]+$")
    ]


def _admin(actor: Actor) -> None:
    actor.require("settings.update")


def _namespace(namespace: str) -> str:
    if namespace not in NAMESPACES:
        raise NotFound(f"Unknown cache namespace {namespace!r}", code="unknown_namespace")
    return namespace


@router.get("/stats", dependencies=[Depends(only_params())], responses=ok(adocs.CacheStatsEnvelope))
async def stats(ctx: ContextDep, actor: ActorDep) -> dict[str, Any]:
    """Hits, misses, sets, evictions and errors per tier, with sizes."""
    _admin(actor)
    return {"data": await ctx.cache.stats()}


@router.get(
    "/stats/{namespace}",
    dependencies=[Depends(only_params())],
    responses=ok(adocs.CacheStatsEnvelope),
)
async def namespace_stats(ctx: ContextDep, actor: ActorDep, namespace: str) -> dict[str, Any]:
    """The counters of one namespace."""
    _admin(actor)
    return {"data": await ctx.cache.stats(_namespace(namespace))}


@router.post("/clear", responses=ok(adocs.ClearedEnvelope))
async def clear(ctx: ContextDep, actor: ActorDep) -> dict[str, Any]:
    """Drop everything, in every tier and (through the generations) every process."""
    _admin(actor)
    return {"data": await ctx.cache.clear()}


@router.post("/clear/{namespace}", responses=ok(adocs.ClearedEnvelope))
async def clear_namespace(ctx: ContextDep, actor: ActorDep, namespace: str) -> dict[str, Any]:
    """Drop one namespace."""
    _admin(actor)
    return {"data": await ctx.cache.clear(_namespace(namespace))}


@router.post("/invalidate", responses=ok(adocs.ClearedEnvelope))
async def invalidate(ctx: ContextDep, actor: ActorDep, body: InvalidateBody) -> dict[str, Any]:
    """Drop keys matching ``pattern`` and move the generations of the namespaces it touches."""
    _admin(actor)
    return {"data": await ctx.cache.invalidate_pattern(body.pattern)}
