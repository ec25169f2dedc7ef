"""Scheduling publish, unpublish and archive actions, and keeping content's columns in step.

``scheduled_at`` is stored as a naive UTC DATETIME (the seed's column type) with the timezone
the editor chose kept beside it. The content row mirrors the schedule: scheduled_publish_at and
scheduled_unpublish_at hold the next pending action of each kind, and expires_at the next
pending unpublish or archive, so public reads hide expiring content at its minute even if the
executor runs late. embargo_until is set directly: published content stays hidden until then.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import Connection, Row, insert, select, update

from sonic_cms.actors import Actor
from sonic_cms.clock import epoch_ms, utc_datetime
from sonic_cms.context import Context
from sonic_cms.db.schema import Content, ScheduledContent
from sonic_cms.errors import BadRequest, Conflict, NotFound, ValidationFailed
from sonic_cms.ids import new_id
from sonic_cms.inputs.bodies import check_fields
from sonic_cms.inputs.integers import MAX_EPOCH_MS, checked_int
from sonic_cms.logs.audit import log_in_transaction
from sonic_cms.workflow.transitions import can_see

ACTIONS = ("publish", "unpublish", "archive")
#: What scheduling an action takes: the right to schedule and the right to publish.
SCHEDULE_PERMISSIONS = ("workflow.schedule", "content.publish")
STATUSES = ("pending", "completed", "failed", "cancelled")


def _problem(path: str, message: str) -> ValidationFailed:
    return ValidationFailed("Validation failed", details=[{"path": path, "message": message}])


def parse_timezone(value: Any) -> ZoneInfo:
    """A zoneinfo zone by IANA name; 422 for anything else."""
    if value is None:
        return ZoneInfo("UTC")
    if not isinstance(value, str) or value not in _zone_names():
        raise _problem("timezone", "an IANA time zone name such as Europe/Paris")
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise _problem("timezone", "an IANA time zone name such as Europe/Paris") from exc


_ZONES: frozenset[str] | None = None


def _zone_names() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones()) | {"UTC"}
    return _ZONES


def may_schedule(actor: Actor) -> bool:
    """Whether :func:`schedule` would let ``actor`` schedule at all (for showing its form)."""
    return all(actor.can(permission) for permission in SCHEDULE_PERMISSIONS)


def zone_names() -> list[str]:
    """Every time zone :func:`parse_timezone` accepts, sorted (for a time zone picker)."""
    return sorted(_zone_names())


def parse_moment(value: Any, zone: ZoneInfo, path: str = "scheduled_at") -> int:
    """Epoch ms of an ISO 8601 moment; a moment without offset is read in ``zone``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return checked_int(path, value, 0, MAX_EPOCH_MS, in_body=True)
    if not isinstance(value, str) or len(value) > 64:
        raise _problem(path, "an ISO 8601 date-time or epoch milliseconds")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise _problem(path, "an ISO 8601 date-time or epoch milliseconds") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return int(moment.timestamp() * 1000)


def serialize_schedule(row: Row[Any]) -> dict[str, Any]:
    """A schedule as the API returns it (the ``Schedule`` representation): moments in epoch
    ms, like every answer (the ISO copy ``scheduled_at_iso`` went in issue 14)."""
    return {
        "id": row.id,
        "content_id": row.content_id,
        "action": row.action,
        "scheduled_at": epoch_ms(row.scheduled_at),
        "timezone": row.timezone,
        "user_id": row.user_id,
        "status": row.status,
        "executed_at": epoch_ms(row.executed_at) if row.executed_at else None,
        "error_message": row.error_message,
    }


#: The fields a schedule's body may carry.
SCHEDULE_FIELDS = frozenset({"action", "scheduled_at", "timezone"})


def schedule(ctx: Context, content_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Schedule an action on an item; the moment must be in the future."""
    actor = ctx.actor
    for permission in SCHEDULE_PERMISSIONS:
        actor.require(permission)
    check_fields(body, SCHEDULE_FIELDS)
    action = body.get("action")
    if action not in ACTIONS:
        raise _problem("action", "one of " + ", ".join(ACTIONS))
    zone = parse_timezone(body.get("timezone"))
    at = parse_moment(body.get("scheduled_at"), zone)
    now = ctx.clock.now_ms()
    if at <= now:
        raise _problem("scheduled_at", "must be in the future")
    with ctx.db.write() as conn:
        _visible_content(conn, actor, content_id)
        schedule_id = new_id()
        conn.execute(
            insert(ScheduledContent).values(
                id=schedule_id,
                content_id=content_id,
                action=action,
                scheduled_at=utc_datetime(at),
                timezone=str(zone.key),
                user_id=actor.user_id,
                status="pending",
                created_at=utc_datetime(now),
            )
        )
        sync_content_schedule(conn, content_id)
        log_in_transaction(
            conn,
            now,
            category="workflow",
            user_id=actor.user_id,
            message=f"Scheduled {action}",
            data={"content_id": content_id, "schedule_id": schedule_id, "at": at},
        )
        row = conn.execute(select(ScheduledContent).where(ScheduledContent.id == schedule_id)).one()
    return serialize_schedule(row)


def _visible_content(conn: Connection, actor: Actor, content_id: str) -> Row[Any]:
    row = conn.execute(select(Content).where(Content.id == content_id)).first()
    if row is None or not can_see(actor, row):
        raise NotFound("Content not found", code="content_not_found")
    return row


def sync_content_schedule(conn: Connection, content_id: str) -> None:
    """Mirror the next pending actions into the content row's scheduling columns."""
    pending = conn.execute(
        select(ScheduledContent.action, ScheduledContent.scheduled_at)
        .where(ScheduledContent.content_id == content_id, ScheduledContent.status == "pending")
        .order_by(ScheduledContent.scheduled_at)
    ).all()
    first: dict[str, int | None] = dict.fromkeys(ACTIONS)
    for action, at in reversed(pending):
        first[action] = epoch_ms(at)
    ends = [m for m in (first["unpublish"], first["archive"]) if m is not None]
    conn.execute(
        update(Content)
        .where(Content.id == content_id)
        .values(
            scheduled_publish_at=first["publish"],
            scheduled_unpublish_at=first["unpublish"],
            expires_at=min(ends) if ends else None,
        )
    )


def cancel(ctx: Context, schedule_id: str) -> dict[str, Any]:
    """Cancel a pending schedule; 409 when it already ran or was cancelled."""
    actor = ctx.actor
    actor.require("workflow.schedule")
    with ctx.db.write() as conn:
        row = conn.execute(
            select(ScheduledContent).where(ScheduledContent.id == schedule_id)
        ).first()
        if row is None:
            raise NotFound("Schedule not found", code="schedule_not_found")
        _visible_content(conn, actor, row.content_id)
        done = conn.execute(
            update(ScheduledContent)
            .where(ScheduledContent.id == schedule_id, ScheduledContent.status == "pending")
            .values(status="cancelled")
        )
        if done.rowcount != 1:
            raise Conflict(f"Schedule is {row.status}, not pending", code="schedule_not_pending")
        sync_content_schedule(conn, row.content_id)
        log_in_transaction(
            conn,
            ctx.clock.now_ms(),
            category="workflow",
            user_id=actor.user_id,
            message="Cancelled schedule",
            data={"content_id": row.content_id, "schedule_id": schedule_id},
        )
        fresh = conn.execute(
            select(ScheduledContent).where(ScheduledContent.id == schedule_id)
        ).one()
    return serialize_schedule(fresh)


def list_schedules(
    ctx: Context,
    *,
    content_id: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Schedules, soonest first, optionally of one item or one status."""
    ctx.actor.require("workflow.read")
    if status is not None and status not in STATUSES:
        raise BadRequest(f"Unknown status {status!r}", details=[{"allowed": list(STATUSES)}])
    query = select(ScheduledContent).order_by(ScheduledContent.scheduled_at, ScheduledContent.id)
    if content_id is not None:
        query = query.where(ScheduledContent.content_id == content_id)
    if status is not None:
        query = query.where(ScheduledContent.status == status)
    with ctx.db.read() as conn:
        if content_id is not None:
            _visible_content(conn, ctx.actor, content_id)
        rows = conn.execute(query.limit(limit).offset(offset)).all()
    return [serialize_schedule(row) for row in rows]


def set_embargo(ctx: Context, content_id: str, until: Any) -> dict[str, Any]:
    """Hide published content from public reads until ``until`` (None lifts the embargo)."""
    ctx.actor.require("content.publish")
    moment = None if until is None else parse_moment(until, ZoneInfo("UTC"), "embargo_until")
    with ctx.db.write() as conn:
        _visible_content(conn, ctx.actor, content_id)
        conn.execute(
            update(Content)
            .where(Content.id == content_id)
            .values(embargo_until=moment, updated_at=ctx.clock.now_ms())
        )
    return {"content_id": content_id, "embargo_until": moment}
