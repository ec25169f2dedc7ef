"""/admin/api/logs: SonicJS's /admin/logs filters, export, log_config, cleanup."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from starlette.responses import Response

from sonic_cms.api.deps import ContextDep, CtxDep
from sonic_cms.api.models import admin as adocs
from sonic_cms.api.openapi import DocumentedRoute, ok
from sonic_cms.api.params import int_query, only_params
from sonic_cms.errors import BadRequest
from sonic_cms.inputs.integers import MAX_EPOCH_MS, checked_int, is_whole_number, parse_int
from sonic_cms.logs import queries as log_service
from sonic_cms.pagination import complete_list

router = APIRouter(prefix="/admin/api/logs", tags=["logs"], route_class=DocumentedRoute)

FILTERS: tuple[str, ...] = (
    "level",
    "category",
    "search",
    "start_date",
    "end_date",
    "source",
    "user",
    "status",
    "request_id",
)


def parse_time(name: str, value: str | None) -> int | None:
    """Epoch milliseconds, or an ISO 8601 date/time (UTC when no offset)."""
    if value is None or value == "":
        return None
    if is_whole_number(value):
        return parse_int(name, value, 0, MAX_EPOCH_MS, code="invalid_filter")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadRequest(
            f"{name} must be epoch ms or ISO 8601",
            code="invalid_filter",
            details=[{"path": name, "message": "not a date"}],
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(",") if v.strip())


async def log_filters(request: Request) -> log_service.LogQuery:
    """The LogQuery of the request's query string."""
    q = request.query_params
    statuses = _split(q.get("status"))
    if not all(is_whole_number(s) and 100 <= int(s) <= 599 for s in statuses):
        raise BadRequest(
            "status must be HTTP status codes, comma-separated",
            code="invalid_filter",
            details=[{"path": "status", "message": "not a status code"}],
        )
    return log_service.LogQuery(
        levels=_split(q.get("level")),
        categories=_split(q.get("category")),
        search=q.get("search") or None,
        start_date=parse_time("start_date", q.get("start_date")),
        end_date=parse_time("end_date", q.get("end_date")),
        source=q.get("source") or None,
        user=q.get("user") or None,
        status_codes=tuple(int(s) for s in statuses),
        request_id=q.get("request_id") or None,
    )


FiltersDep = Annotated[log_service.LogQuery, Depends(log_filters)]


@router.get(
    "",
    dependencies=[Depends(only_params("page", "limit", *FILTERS))],
    responses=ok(adocs.LogList),
)
async def query(
    ctx: CtxDep,
    filters: FiltersDep,
    page: Annotated[int, int_query(ge=1, le=1_000_000)] = 1,
    limit: Annotated[int, int_query(ge=1)] = 50,
) -> dict[str, Any]:
    """A page of records, newest first."""
    checked_int("limit", limit, 1, ctx.settings.log_query_max_limit, code="invalid_limit")
    return await ctx.run_read(lambda: log_service.query_logs(ctx, filters, page, limit))


@router.get(
    "/export",
    dependencies=[Depends(only_params("format", *FILTERS))],
    response_class=Response,
    responses=adocs.EXPORT_RESPONSES,
)
async def export(
    ctx: CtxDep,
    filters: FiltersDep,
    format: Annotated[str, Query(pattern="^(csv|json)$")] = "json",
) -> Response:
    """The matching records as a CSV or JSON download."""
    max_rows = ctx.settings.log_export_max_rows
    body = await ctx.run_read(lambda: log_service.export_logs(ctx, filters, format, max_rows))
    media = "text/csv; charset=utf-8" if format == "csv" else "application/json"
    headers = {"Content-Disposition": f'attachment; filename="system-logs.{format}"'}
    return Response(body, media_type=media, headers=headers)


@router.get("/config", dependencies=[Depends(only_params())], responses=ok(adocs.LogConfigList))
async def get_config(ctx: CtxDep) -> dict[str, Any]:
    """Every category's log_config."""
    rows = await ctx.run_read(lambda: log_service.get_config(ctx))
    return complete_list(rows, ctx.clock.now_ms())


@router.put("/config/{category}", responses=ok(adocs.LogConfigEnvelope))
async def update_config(
    ctx: CtxDep,
    app: ContextDep,
    category: str,
    changes: Annotated[dict[str, Any], Body()],
) -> dict[str, Any]:
    """Change enabled, level, retention_days or max_size_mb of one category."""
    row = await ctx.run_write(lambda: log_service.update_config(ctx, category, changes))
    app.logs.refresh_config()
    return {"data": row}


@router.post("/cleanup", responses=ok(adocs.CleanupEnvelope))
async def cleanup(ctx: CtxDep) -> dict[str, Any]:
    """Apply retention and size limits now."""
    result = await ctx.run_write(lambda: log_service.cleanup(ctx))
    return {"data": {"deleted": result.total, "by_age": result.by_age, "by_size": result.by_size}}


@router.get("/{log_id}", dependencies=[Depends(only_params())], responses=ok(adocs.LogEnvelope))
async def get_one(ctx: CtxDep, log_id: str) -> dict[str, Any]:
    """One record."""
    return {"data": await ctx.run_read(lambda: log_service.get_log(ctx, log_id))}
