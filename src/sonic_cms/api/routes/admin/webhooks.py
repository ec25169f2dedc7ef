"""``/admin/api/webhooks``: register, list, change and remove endpoints, see their deliveries,
redeliver an event, send a test event (``webhooks.endpoints`` and ``webhooks.deliveries``,
``settings.update``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import Field

from sonic_cms.api.bodies import StrictModel, no_nul_in_params
from sonic_cms.api.deps import CtxDep
from sonic_cms.api.models import webhooks as wdocs
from sonic_cms.api.openapi import DocumentedRoute, ok
from sonic_cms.api.params import int_query, only_params
from sonic_cms.api.responses import JSONBytesResponse
from sonic_cms.pagination import complete_list
from sonic_cms.webhooks import deliveries, endpoints

router = APIRouter(
    prefix="/admin/api/webhooks",
    tags=["webhooks"],
    dependencies=[Depends(no_nul_in_params)],
    route_class=DocumentedRoute,
)
#: Long enough for any setting of SONIC_WEBHOOKS_MAX_URL_CHARS; the service checks the setting.
_URL = Field(max_length=65_536)
_Events = list[Annotated[str, Field(max_length=100)]]
_Collections = list[Annotated[str, Field(max_length=200)]]


class NewEndpoint(StrictModel):
    """The URL, the events wanted, and optionally a collection filter, a description, a
    ``whsec_`` secret (generated when absent) and the active flag."""

    url: str = _URL
    events: _Events = Field(max_length=50)
    collections: _Collections | None = Field(None, max_length=1000)
    description: str | None = Field(None, max_length=10_000)
    secret: str | None = Field(None, max_length=1000)
    is_active: bool | None = None


class EndpointChanges(StrictModel):
    """Any of the fields; ``is_active: true`` re-enables an endpoint and clears its failures."""

    url: str | None = Field(None, max_length=65_536)
    events: _Events | None = Field(None, max_length=50)
    collections: _Collections | None = Field(None, max_length=1000)
    description: str | None = Field(None, max_length=10_000)
    secret: str | None = Field(None, max_length=1000)
    is_active: bool | None = None


def _given(body: StrictModel) -> dict[str, Any]:
    return {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}


@router.get("", dependencies=[Depends(only_params())], responses=ok(wdocs.WebhookEndpointList))
async def list_route(ctx: CtxDep) -> dict[str, Any]:
    """Every endpoint (never a secret)."""
    found = await ctx.run_read(lambda: endpoints.list_endpoints(ctx))
    return complete_list(found, ctx.clock.now_ms())


@router.post("", status_code=201, responses=ok(wdocs.NewWebhookEndpointEnvelope, 201))
async def create_route(body: NewEndpoint, ctx: CtxDep) -> JSONBytesResponse:
    """Register an endpoint; ``secret`` in the answer is the only time it is shown."""
    row, secret = await ctx.run_write(lambda: endpoints.create_endpoint(ctx, _given(body)))
    return JSONBytesResponse({"data": {**row, "secret": secret}}, status_code=201)


@router.get(
    "/{endpoint_id}",
    dependencies=[Depends(only_params())],
    responses=ok(wdocs.WebhookEndpointEnvelope),
)
async def get_route(endpoint_id: str, ctx: CtxDep) -> dict[str, Any]:
    """One endpoint."""
    return {"data": await ctx.run_read(lambda: endpoints.get_endpoint(ctx, endpoint_id))}


@router.put("/{endpoint_id}", responses=ok(wdocs.WebhookEndpointEnvelope))
async def update_route(endpoint_id: str, body: EndpointChanges, ctx: CtxDep) -> dict[str, Any]:
    """Change an endpoint (a new ``secret`` is stored, never shown)."""
    changes = _given(body)
    updated = await ctx.run_write(lambda: endpoints.update_endpoint(ctx, endpoint_id, changes))
    return {"data": updated}


@router.delete("/{endpoint_id}", responses=ok(wdocs.DeletedEnvelope))
async def delete_route(endpoint_id: str, ctx: CtxDep) -> dict[str, Any]:
    """Remove an endpoint with its deliveries."""
    await ctx.run_write(lambda: endpoints.delete_endpoint(ctx, endpoint_id))
    return {"data": {"id": endpoint_id, "deleted": True}}


@router.get(
    "/{endpoint_id}/deliveries",
    dependencies=[Depends(only_params("limit"))],
    responses=ok(wdocs.WebhookDeliveryList),
)
async def deliveries_route(
    endpoint_id: str,
    ctx: CtxDep,
    limit: Annotated[int, int_query(ge=1, le=deliveries.MAX_LISTED)] = 20,
) -> dict[str, Any]:
    """The endpoint's latest events, newest first, each with its attempts."""
    found = await ctx.run_read(lambda: deliveries.list_deliveries(ctx, endpoint_id, limit=limit))
    return complete_list(found, ctx.clock.now_ms())


@router.post("/{endpoint_id}/test", status_code=202, responses=ok(wdocs.RedeliveryEnvelope, 202))
async def test_route(endpoint_id: str, ctx: CtxDep) -> JSONBytesResponse:
    """Queue a ``webhook:test`` event for the endpoint; the worker sends it."""
    event_id = await ctx.run_write(lambda: deliveries.queue_test_event(ctx, endpoint_id))
    queued = {"id": event_id, "status": "pending", "next_attempt_at": ctx.clock.now_ms()}
    return JSONBytesResponse({"data": queued}, status_code=202)


@router.post(
    "/events/{event_id}/redeliver", status_code=202, responses=ok(wdocs.RedeliveryEnvelope, 202)
)
async def redeliver_route(event_id: str, ctx: CtxDep) -> JSONBytesResponse:
    """Send a past event again (same ``webhook-id``, a fresh round of attempts)."""
    queued = await ctx.run_write(lambda: deliveries.redeliver(ctx, event_id))
    return JSONBytesResponse({"data": queued}, status_code=202)
