"""Webhooks (issue 18): the endpoints admins register, the outbox of events to deliver to them
and every delivery attempt.

The names are not SonicJS's ``webhooks`` / ``webhook_deliveries`` on purpose: its 2.11 exports
hold tables with those names and other columns, which a SonicJS import leaves in its scratch
database (sonic_cms.operations.sonicjs_import), so they must never be mistaken for these.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Index, Integer, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from sonic_cms.db.schema.base import Base, int_flag, pk, references
from sonic_cms.db.types import EpochMs, JSONText


class WebhookEndpoint(Base):
    """A receiver URL, the events it wants and the secret its deliveries are signed with."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = pk()
    url: Mapped[str] = mapped_column(Text, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    #: Hook names (``content:create``, ``workflow:transition``), a JSON list.
    events: Mapped[Any] = mapped_column(JSONText(), nullable=False)
    #: Collection ids the content and workflow events are limited to (empty list: all).
    collections: Mapped[Any] = mapped_column(JSONText(), nullable=False)
    #: The signing secret, encrypted with a key derived from SONIC_SECRET_KEY (docs/webhooks.md).
    secret: Mapped[str] = mapped_column(Text, nullable=False)
    is_active: Mapped[bool] = int_flag(True)
    consecutive_failures: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text("0")
    )
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    #: Who registered it (no foreign key: deleting that user keeps the endpoint).
    created_by: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[int] = mapped_column(EpochMs, nullable=False)
    updated_at: Mapped[int] = mapped_column(EpochMs, nullable=False)


class WebhookEvent(Base):
    """The outbox: one event for one endpoint, written in the transaction of the change."""

    __tablename__ = "webhook_events"

    #: The Standard Webhooks ``webhook-id``: the same on every attempt and redelivery.
    id: Mapped[str] = pk()
    endpoint_id: Mapped[str] = references("webhook_endpoints.id", cascade=True)
    event_type: Mapped[str] = mapped_column(Text, nullable=False)
    #: The exact body sent (and signed): ``{"type", "timestamp", "data"}``.
    body: Mapped[str] = mapped_column(Text, nullable=False)
    #: pending, delivered or failed (gave up after SONIC_WEBHOOKS_MAX_ATTEMPTS).
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'pending'"))
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    next_attempt_at: Mapped[int] = mapped_column(EpochMs, nullable=False)
    #: A worker's claim: nobody else sends it before then (a crashed worker's claim runs out).
    claimed_until: Mapped[int | None] = mapped_column(EpochMs)
    created_at: Mapped[int] = mapped_column(EpochMs, nullable=False)
    delivered_at: Mapped[int | None] = mapped_column(EpochMs)

    __table_args__ = (
        Index("idx_webhook_events_due", "status", "next_attempt_at"),
        Index("idx_webhook_events_endpoint", "endpoint_id", "created_at"),
    )


class WebhookAttempt(Base):
    """One try at delivering an event: outcome, response code, duration, the answer's start."""

    __tablename__ = "webhook_attempts"

    id: Mapped[str] = pk()
    event_id: Mapped[str] = references("webhook_events.id", cascade=True)
    attempt: Mapped[int] = mapped_column(Integer, nullable=False)
    #: success, http_error (a non-2xx answer), network_error, timeout or refused (SSRF guard).
    outcome: Mapped[str] = mapped_column(Text, nullable=False)
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer, nullable=False)
    started_at: Mapped[int] = mapped_column(EpochMs, nullable=False)

    __table_args__ = (Index("idx_webhook_attempts_event", "event_id", "attempt"),)
