"""SonicJS's system routes: ``GET /api`` (the OpenAPI document) and ``/api/system/*``.

Anyone may call them, as in SonicJS; what reveals configuration (database host, Redis host,
storage backend, environment) is added only for callers holding ``settings.read``.
"""

from __future__ import annotations

import anyio.to_thread
from fastapi import APIRouter, Request

from sonic_cms.api.deps import CtxDep
from sonic_cms.api.models import admin as docs
from sonic_cms.api.openapi import PUBLIC, DocumentedRoute, ok
from sonic_cms.api.responses import JSONBytesResponse
from sonic_cms.clock import iso_utc
from sonic_cms.operations import health, system_info

router = APIRouter(tags=["system"], route_class=DocumentedRoute)


@router.get(
    "/api",
    summary="This OpenAPI document (as /openapi.json)",
    responses=ok(docs.OpenAPIDocument),
    openapi_extra=PUBLIC,
)
async def api_document(request: Request) -> JSONBytesResponse:
    """SonicJS answers ``GET /api`` with its OpenAPI document; so do we, the same JSON as
    ``/openapi.json``."""
    return JSONBytesResponse(request.app.openapi())


@router.get(
    "/api/system/health",
    summary="Database, cache and storage checks",
    responses={
        **ok(docs.SystemHealth),
        503: {"model": docs.SystemHealth, "description": "The database does not answer"},
    },
    openapi_extra=PUBLIC,
)
async def system_health(request: Request, ctx: CtxDep) -> JSONBytesResponse:
    """Each dependency checked and timed; ``degraded`` when the cache or storage fails."""
    checks = {
        "database": await ctx.run_read(lambda: health.database_check(ctx)),
        "cache": await health.cache_check(request.app.state.ctx.cache),
        "storage": await anyio.to_thread.run_sync(lambda: health.storage_check(ctx)),
    }
    now = ctx.clock.now_ms()
    status = health.overall_status(checks)
    body = {
        "status": status,
        "timestamp": iso_utc(now),
        "uptime": max(0, now - request.app.state.started_ms),
        "checks": checks,
    }
    if system_info.shows_configuration(ctx):
        body["environment"] = ctx.settings.env
        body["configuration"] = health.configuration(ctx)
    return JSONBytesResponse(body, status_code=503 if status == "unhealthy" else 200)


@router.get(
    "/api/system/info",
    summary="Name, version, endpoints and features",
    responses=ok(docs.SystemInfo),
    openapi_extra=PUBLIC,
)
async def info(request: Request, ctx: CtxDep) -> JSONBytesResponse:
    """SonicJS's info document; ``configuration`` for callers holding settings.read."""
    app_ctx = request.app.state.ctx
    caching = app_ctx.cache.enabled and app_ctx.plugins.is_active("cache")
    return JSONBytesResponse(system_info.system_info(ctx, caching=caching))


@router.get(
    "/api/system/stats",
    summary="Counts of content, media and users",
    responses=ok(docs.SystemStats),
    openapi_extra=PUBLIC,
)
async def stats(ctx: CtxDep) -> JSONBytesResponse:
    """Counts of what the caller may read (``null`` where it may read nothing)."""
    return JSONBytesResponse(await ctx.run_read(lambda: system_info.system_stats(ctx)))


@router.get(
    "/api/system/ping",
    summary="Is the database answering",
    responses={
        **ok(docs.Ping),
        503: {"model": docs.Ping, "description": "The database does not answer"},
    },
    openapi_extra=PUBLIC,
)
async def ping(ctx: CtxDep) -> JSONBytesResponse:
    """``{pong, latency, timestamp}``; 503 with the error keys beside them when it fails."""
    body = await ctx.run_read(lambda: health.ping(ctx))
    if body["pong"]:
        return JSONBytesResponse(body)
    failure = {"error": "Database connection failed", "code": "database_unavailable"}
    return JSONBytesResponse({**body, **failure, "details": []}, status_code=503)
