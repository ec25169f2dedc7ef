"""``GET /health``: is the server up, which engine, and are migrations applied."""

from __future__ import annotations

from fastapi import APIRouter

from sonic_cms import __version__
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
        **ok(Health, description="Up, migrations applied"),
        503: {"model": Health, "description": "Degraded or no database"},
    },
)
async def health(ctx: PublicCtxDep) -> JSONBytesResponse:
    """200 when the database answers and migrations are applied; 503 otherwise."""
    try:
        report = await ctx.run_read(lambda: health_report(ctx))
    except Exception as exc:  # noqa: BLE001 - a health check reports, it does not raise
        report = {
            "status": "error",
            "version": __version__,
            "database": {"engine": ctx.db.dialect, "reachable": False, "error": type(exc).__name__},
        }
    status = 200 if report["status"] == "ok" else 503
    return JSONBytesResponse(report, status_code=status)
