"""``GET /health`` (SonicJS's keys, plus the database, the migrations and ``ready``) and the
probes ``GET /health/live`` and ``GET /health/ready``.

Load balancers and orchestrators call the probes every second or so, so :class:`HealthProbes`
answers them in front of the whole application (the response cache's fast path and every
middleware): no plugin refresh, no maintenance check, no database read for liveness, no
system_logs record, nothing cached. The routes below document them in OpenAPI and answer the
same way when an app is built without that layer.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from sonic_cms.api.context import AppContext
from sonic_cms.api.deps import PublicCtxDep
from sonic_cms.api.middleware import assign_request_id
from sonic_cms.api.models.admin import Health
from sonic_cms.api.openapi import DocumentedRoute, ok
from sonic_cms.api.responses import JSONBytesResponse
from sonic_cms.logs.stdout import RequestLines
from sonic_cms.operations.health import Readiness, health_report, not_ready_error

router = APIRouter(tags=["health"], route_class=DocumentedRoute)

LIVE_PATH = "/health/live"
READY_PATH = "/health/ready"
#: Probe answers are about this instant: no cache, shared or private, may keep one.
NO_STORE = {"cache-control": "no-store"}
LIVE_BODY = {"status": "ok"}


class Liveness(BaseModel):
    """The process answers."""

    status: Literal["ok"]


class ReadinessReport(BaseModel):
    """Every check's result: ``ok``, ``fail`` (with a ``reason``) or ``skipped`` (not
    configured). Checks: ``database``, ``migrations``, ``redis``, ``storage``."""

    status: Literal["ok"]
    checks: dict[str, dict[str, Any]]


class NotReady(BaseModel):
    """The API's error shape (``code: not_ready``), ``details`` naming each failing check,
    and every check's result."""

    error: str = Field(examples=["Not ready: redis unreachable"])
    code: Literal["not_ready"]
    details: list[dict[str, Any]]
    status: Literal["fail"]
    checks: dict[str, dict[str, Any]]


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


@router.get(
    LIVE_PATH,
    summary="Liveness probe: the process answers",
    responses=ok(Liveness, description="Always, while the process serves requests"),
)
async def live() -> JSONBytesResponse:
    """200 ``{"status": "ok"}``; touches no database, cache or storage."""
    return JSONBytesResponse(LIVE_BODY, headers=NO_STORE)


@router.get(
    READY_PATH,
    summary="Readiness probe: database, migrations, Redis and object storage",
    responses={
        **ok(ReadinessReport, description="Every configured dependency answers"),
        503: {"model": NotReady, "description": "A dependency failed or timed out"},
    },
)
async def ready(request: Request) -> JSONBytesResponse:
    """200 with each check's result; 503 naming the failing ones. Each check is bounded by
    ``SONIC_HEALTH_PROBE_TIMEOUT_MS``."""
    return await ready_response(readiness_for(request.app.state.ctx))


def readiness_for(context: AppContext) -> Readiness:
    """The readiness checks of ``context``'s database, cache and storage."""
    timeout = context.settings.health_probe_timeout_ms / 1000
    return Readiness(context.services, context.cache, timeout)


async def ready_response(readiness: Readiness) -> JSONBytesResponse:
    """``/health/ready``'s answer."""
    is_ready, checks = await readiness.report()
    if is_ready:
        return JSONBytesResponse({"status": "ok", "checks": checks}, headers=NO_STORE)
    return JSONBytesResponse(not_ready_error(checks), status_code=503, headers=NO_STORE)


class HealthProbes:
    """Answers ``GET /health/live`` and ``GET /health/ready`` before anything else runs.

    The request id is given and echoed as everywhere; a failing probe gets its stdout line
    (a passing one, every second from every balancer, would drown the lines that matter), and
    no probe gets a system_logs record.
    """

    def __init__(self, app: ASGIApp, context: AppContext, lines: RequestLines | None) -> None:
        self.app = app
        self.readiness = readiness_for(context)
        self.lines = lines

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path")
        if scope["type"] != "http" or path not in (LIVE_PATH, READY_PATH):
            await self.app(scope, receive, send)
            return
        if scope["method"] != "GET":
            await self.app(scope, receive, send)  # the router answers 405
            return
        started = time.perf_counter()
        name, request_id = assign_request_id(scope)
        if path == LIVE_PATH:
            response = JSONBytesResponse(LIVE_BODY, headers=NO_STORE)
        else:
            response = await ready_response(self.readiness)
        response.raw_headers.append((name, request_id))
        await response(scope, receive, send)
        if response.status_code >= 400 and self.lines is not None:
            duration = (time.perf_counter() - started) * 1000
            self.lines.emit(scope, response.status_code, duration, route=path)
