"""What was sent to an endpoint: its recent events with every attempt, manual redelivery of a
past event, and a test event on demand.

A redelivery puts the event back in the outbox with the same ``webhook-id`` (receivers that
already processed it can recognise it) and a fresh round of SONIC_WEBHOOKS_MAX_ATTEMPTS.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select, update

from sonic_cms.context import Context
from sonic_cms.db.schema import WebhookAttempt
from sonic_cms.errors import Conflict, NotFound
from sonic_cms.ids import new_id
from sonic_cms.webhooks.endpoints import PERMISSION, load_endpoint
from sonic_cms.webhooks.outbox import ENDPOINTS, EVENTS, MESSAGE_ID_PREFIX, body_bytes

#: The event type of ``sonic webhooks test`` and the admin page's test button.
TEST_EVENT = "webhook:test"
#: Most events one listing shows.
MAX_LISTED = 100


def list_deliveries(ctx: Context, endpoint_id: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """The endpoint's latest events, newest first, each with its attempts (oldest first)."""
    ctx.actor.require(PERMISSION)
    limit = max(1, min(limit, MAX_LISTED))
    with ctx.db.read() as conn:
        load_endpoint(conn, endpoint_id)
        events = conn.execute(
            select(EVENTS)
            .where(EVENTS.c.endpoint_id == endpoint_id)
            .order_by(EVENTS.c.created_at.desc(), EVENTS.c.id.desc())
            .limit(limit)
        ).all()
        ids = [e.id for e in events]
        attempts = conn.execute(
            select(WebhookAttempt.__table__)
            .where(WebhookAttempt.event_id.in_(ids))
            .order_by(WebhookAttempt.event_id, WebhookAttempt.attempt)
        ).all()
    by_event: dict[str, list[dict[str, Any]]] = {}
    for a in attempts:
        by_event.setdefault(a.event_id, []).append(_attempt(a._mapping))
    return [_event(e._mapping, by_event.get(e.id, [])) for e in events]


def _event(m: Any, attempts: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": m["id"],
        "endpoint_id": m["endpoint_id"],
        "type": m["event_type"],
        "status": m["status"],
        "attempts": attempts,
        "next_attempt_at": m["next_attempt_at"] if m["status"] == "pending" else None,
        "created_at": m["created_at"],
        "delivered_at": m["delivered_at"],
    }


def _attempt(m: Any) -> dict[str, Any]:
    keys = ("attempt", "outcome", "response_status", "response_body", "error", "duration_ms")
    return {**{k: m[k] for k in keys}, "started_at": m["started_at"]}


def redeliver(ctx: Context, event_id: str) -> dict[str, Any]:
    """Queue a past event again, due now (409 while an attempt at it is under way).

    Raises:
        NotFound: 404 ``webhook_event_not_found``.
        Conflict: 409 ``delivery_in_progress``.
    """
    ctx.actor.require(PERMISSION)
    now = ctx.clock.now_ms()
    with ctx.db.write() as conn:
        row = conn.execute(select(EVENTS).where(EVENTS.c.id == event_id)).first()
        if row is None:
            raise NotFound("Webhook event not found", code="webhook_event_not_found")
        if row.status == "pending" and row.claimed_until is not None and row.claimed_until > now:
            raise Conflict("A delivery of this event is under way", code="delivery_in_progress")
        conn.execute(
            update(EVENTS)
            .where(EVENTS.c.id == event_id)
            .values(status="pending", attempts=0, next_attempt_at=now, claimed_until=None)
        )
        return {"id": event_id, "status": "pending", "next_attempt_at": now}


def queue_test_event(ctx: Context, endpoint_id: str) -> str:
    """Put a ``webhook:test`` event for one endpoint in the outbox; returns its id (the
    endpoint must be active: the worker sends nothing to a disabled one)."""
    ctx.actor.require(PERMISSION)
    now = ctx.clock.now_ms()
    event_id = MESSAGE_ID_PREFIX + new_id()
    with ctx.db.write() as conn:
        endpoint = load_endpoint(conn, endpoint_id)
        if not endpoint.is_active:
            raise Conflict("The endpoint is disabled: enable it first", code="webhook_disabled")
        data = {"endpoint_id": endpoint_id, "message": "A test event from sonic-cms"}
        conn.execute(
            insert(EVENTS).values(
                id=event_id,
                endpoint_id=endpoint_id,
                event_type=TEST_EVENT,
                body=body_bytes(TEST_EVENT, now, data).decode(),
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
    return event_id


def pending_count(ctx: Context) -> int:
    """Events waiting in the outbox for active endpoints (the CLI's summary)."""
    ctx.actor.require(PERMISSION)
    with ctx.db.read() as conn:
        query = (
            select(func.count())
            .select_from(EVENTS.join(ENDPOINTS, ENDPOINTS.c.id == EVENTS.c.endpoint_id))
            .where(EVENTS.c.status == "pending")
        )
        return int(conn.execute(query).scalar_one())
