"""``GET /health``: SonicJS's health keys, plus the database, the migrations and ``ready``."""

from __future__ import annotations

from fastapi import APIRouter

from sonic_cms.api.deps import PublicCtxDep
from sonic_cms.api.models.admin import Health
from sonic_cms.api.openapi import DocumentedRoute, ok
from sonic_cms.api.responses import JSONBytesResponse
from sonic_cms.operations.health import health_report

router = APIRouter(tags=["health"], route_class=DocumentedRoute)


@router.get(
    "/health",
    summary="Server, database and migration state",
    responses={
        **ok(Health, description="Ready: the database answers and migrations are applied"),
        503: {"model": Health, "description": "Not ready: migrations pending or no database"},
    },
)
async def health(ctx: PublicCtxDep) -> JSONBytesResponse:
    """200 when ready; 503 otherwise, with ``status`` saying why (never ``running``)."""
    report = await ctx.run_read(lambda: health_report(ctx))
    return JSONBytesResponse(report, status_code=200 if report["ready"] else 503)
