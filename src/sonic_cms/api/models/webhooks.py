"""OpenAPI models of ``/admin/api/webhooks``: endpoints (never their secret, but once) and
their deliveries with every attempt."""

from __future__ import annotations

from pydantic import BaseModel, Field

from sonic_cms.api.models.common import CountMeta


class WebhookEndpoint(BaseModel):
    """A registered receiver."""

    id: str
    url: str
    description: str
    events: list[str] = Field(description="Hook names: content:create, media:upload, ...")
    collections: list[str] = Field(description="Collection ids the item events are limited to")
    is_active: bool
    consecutive_failures: int
    disabled_reason: str | None = Field(description="Why the worker disabled it, if it did")
    created_by: str | None
    created_at: int = Field(description="Epoch milliseconds")
    updated_at: int = Field(description="Epoch milliseconds")


class NewWebhookEndpoint(WebhookEndpoint):
    """A new endpoint with its secret: the only answer that ever holds it."""

    secret: str = Field(description="whsec_...: keep it; it is never shown again")


class WebhookEndpointEnvelope(BaseModel):
    """One endpoint."""

    data: WebhookEndpoint


class NewWebhookEndpointEnvelope(BaseModel):
    """``POST /admin/api/webhooks``."""

    data: NewWebhookEndpoint


class WebhookEndpointList(BaseModel):
    """Every endpoint."""

    data: list[WebhookEndpoint]
    meta: CountMeta


class WebhookAttempt(BaseModel):
    """One try at delivering an event."""

    attempt: int
    outcome: str = Field(description="success, http_error, network_error, timeout or refused")
    response_status: int | None
    response_body: str | None = Field(description="The start of the receiver's answer")
    error: str | None
    duration_ms: int
    started_at: int


class WebhookDelivery(BaseModel):
    """An event for one endpoint and its attempts."""

    id: str = Field(description="The webhook-id header: the same on every attempt")
    endpoint_id: str
    type: str
    status: str = Field(description="pending, delivered or failed")
    attempts: list[WebhookAttempt]
    next_attempt_at: int | None
    created_at: int
    delivered_at: int | None


class WebhookDeliveryList(BaseModel):
    """``GET /admin/api/webhooks/{id}/deliveries``, newest first."""

    data: list[WebhookDelivery]
    meta: CountMeta


class Redelivery(BaseModel):
    """An event queued again."""

    id: str
    status: str
    next_attempt_at: int


class RedeliveryEnvelope(BaseModel):
    """``POST /admin/api/webhooks/events/{id}/redeliver`` and ``/{id}/test``."""

    data: Redelivery


class Deleted(BaseModel):
    """A removed endpoint."""

    id: str
    deleted: bool


class DeletedEnvelope(BaseModel):
    """``DELETE /admin/api/webhooks/{id}``."""

    data: Deleted
