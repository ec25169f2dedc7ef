"""The delivery worker: claims due outbox rows, sends them, records every attempt, schedules
retries with exponential backoff and jitter, and disables endpoints that keep failing.

Each pass claims a batch in one short write transaction, the way the scheduler's executor
claims jobs: due rows of active endpoints are picked (``FOR UPDATE SKIP LOCKED`` on PostgreSQL;
SQLite serializes writers with BEGIN IMMEDIATE) and given a lease, ``claimed_until``. Nobody else
sends a row while its lease holds, so workers in several server processes share the outbox and
each event reaches each endpoint once; a worker that crashed mid-send leaves a lease that runs
out, and another worker sends the row again (receivers deduplicate on ``webhook-id``, the same on
every attempt). The lease outlasts the longest attempt, so a live worker always finishes first.
The sends run outside any transaction; each result is written in its own short transaction,
and only by the worker that still holds the lease.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import Connection, Row, and_, delete, func, insert, or_, select, update

from sonic_cms.context import Context
from sonic_cms.db.schema import WebhookAttempt
from sonic_cms.ids import new_id
from sonic_cms.metrics.recorders import webhook_attempted, webhook_backlog
from sonic_cms.webhooks.delivery import Message, Result, send
from sonic_cms.webhooks.outbox import ENDPOINTS, EVENTS
from sonic_cms.webhooks.signing import SecretUnreadable, unseal

logger = logging.getLogger("sonic_cms.webhooks")

#: Rows one pass claims; they are sent concurrently.
BATCH = 20
#: Added to the longest attempt to make the lease: a live worker always finishes first.
_LEASE_MARGIN_S = 30.0
#: How often the server's worker deletes deliveries past SONIC_WEBHOOKS_RETENTION_DAYS.
PRUNE_EVERY_SECONDS = 3600.0
_ACTIVE = ENDPOINTS.c.is_active == True  # noqa: E712 - a bound 1 for the INTEGER flag


@dataclass(frozen=True, slots=True)
class Claim:
    """A claimed outbox row with what sending it needs."""

    event_id: str
    endpoint_id: str
    event_type: str
    body: str
    attempts: int
    url: str
    sealed_secret: str
    lease_until: int


@dataclass
class PassReport:
    """What one pass did: the rows delivered, retried later, and given up."""

    delivered: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def sent(self) -> int:
        """Attempts made in the pass."""
        return len(self.delivered) + len(self.retrying) + len(self.failed)


def lease_ms(ctx: Context) -> int:
    """How long a claim holds: the setting, but never shorter than the longest attempt."""
    settings = ctx.settings
    longest = settings.webhooks_timeout_seconds * (settings.webhooks_max_redirects + 1)
    return round(max(settings.webhooks_claim_seconds, longest + _LEASE_MARGIN_S) * 1000)


def has_due(ctx: Context, *, only: str | None = None) -> bool:
    """Whether any row may be claimable now (a read, so an idle worker takes no write lock)."""
    now = ctx.clock.now_ms()
    query = (
        select(EVENTS.c.id)
        .join(ENDPOINTS, ENDPOINTS.c.id == EVENTS.c.endpoint_id)
        .where(*_claimable(now), _ACTIVE)
        .limit(1)
    )
    if only is not None:
        query = query.where(EVENTS.c.id == only)
    with ctx.db.read() as conn:
        return conn.execute(query).first() is not None


def claim_due(ctx: Context, limit: int = BATCH, *, only: str | None = None) -> list[Claim]:
    """Claim up to ``limit`` due rows of active endpoints (or just the row ``only``)."""
    now = ctx.clock.now_ms()
    lease_until = now + lease_ms(ctx)
    with ctx.db.write() as conn:
        rows = conn.execute(_due(conn, now, limit, only)).all()
        claims = [_claim(conn, row, now, lease_until) for row in rows]
        if ctx.settings.metrics_enabled:
            webhook_backlog(_backlog(conn))
    return [claim for claim in claims if claim is not None]


def _due(conn: Connection, now: int, limit: int, only: str | None) -> Any:
    query = (
        select(EVENTS, ENDPOINTS.c.url, ENDPOINTS.c.secret)
        .join(ENDPOINTS, ENDPOINTS.c.id == EVENTS.c.endpoint_id)
        .where(*_claimable(now), _ACTIVE)
        .order_by(EVENTS.c.next_attempt_at, EVENTS.c.id)
        .limit(limit)
    )
    if only is not None:
        query = query.where(EVENTS.c.id == only)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(of=EVENTS, skip_locked=True)
    return query


def _claimable(now: int) -> tuple[Any, ...]:
    """Due, undelivered, and not under another worker's live lease."""
    return (
        EVENTS.c.status == "pending",
        EVENTS.c.next_attempt_at <= now,
        or_(EVENTS.c.claimed_until.is_(None), EVENTS.c.claimed_until <= now),
    )


def _claim(conn: Connection, row: Row[Any], now: int, lease_until: int) -> Claim | None:
    taken = conn.execute(
        update(EVENTS)
        .where(EVENTS.c.id == row.id, *_claimable(now))
        .values(claimed_until=lease_until)
    )
    if taken.rowcount != 1:
        return None
    return Claim(
        row.id,
        row.endpoint_id,
        row.event_type,
        row.body,
        row.attempts,
        row.url,
        row.secret,
        lease_until,
    )


def _backlog(conn: Connection) -> int:
    pending = select(func.count()).select_from(EVENTS).where(EVENTS.c.status == "pending")
    return int(conn.execute(pending).scalar_one())


async def attempt(ctx: Context, claim: Claim) -> Result:
    """Send one claimed row (the secret unsealed just for the attempt)."""
    try:
        secret = unseal(ctx.settings, claim.sealed_secret)
    except SecretUnreadable as exc:
        return Result("refused", None, None, str(exc), 0)
    message = Message(claim.url, secret, claim.event_id, claim.body.encode())
    return await send(ctx.settings, message, ctx.clock.now_ms())


def finish(ctx: Context, claim: Claim, result: Result) -> str:
    """Record the attempt and its consequence; returns delivered, retrying, failed or lost
    (the lease ran out and another worker owns the row now: nothing is written)."""
    now = ctx.clock.now_ms()
    settings = ctx.settings
    attempts = claim.attempts + 1
    with ctx.db.write() as conn:
        mine = and_(
            EVENTS.c.id == claim.event_id,
            EVENTS.c.status == "pending",
            EVENTS.c.claimed_until == claim.lease_until,
        )
        if result.succeeded:
            state, values = "delivered", {"status": "delivered", "delivered_at": now}
        elif attempts >= settings.webhooks_max_attempts:
            state, values = "failed", {"status": "failed"}
        else:
            state, values = "retrying", {"next_attempt_at": now + backoff_ms(ctx, attempts)}
        changed = conn.execute(
            update(EVENTS).where(mine).values(attempts=attempts, claimed_until=None, **values)
        )
        if changed.rowcount != 1:
            return "lost"
        _record_attempt(conn, claim, result, now)
        limit = settings.webhooks_disable_after_failures
        _count_on_endpoint(conn, claim.endpoint_id, result, limit)
    if settings.metrics_enabled:
        webhook_attempted(claim.event_type, result.outcome, result.duration_ms / 1000)
    return state


def backoff_ms(ctx: Context, attempts: int) -> int:
    """The wait before the next attempt after ``attempts`` failed ones: the base delay doubled
    per attempt, capped, with "equal jitter" (half fixed, half random), so retries of many
    events that failed together spread out and none is retried at once."""
    settings = ctx.settings
    ceiling = min(
        settings.webhooks_retry_max_seconds,
        settings.webhooks_retry_base_seconds * 2 ** min(attempts - 1, 30),
    )
    return int((ceiling / 2 + random.uniform(0, ceiling / 2)) * 1000)  # noqa: S311 - jitter


def _record_attempt(conn: Connection, claim: Claim, result: Result, now: int) -> None:
    count = (
        select(func.count())
        .select_from(WebhookAttempt)
        .where(WebhookAttempt.event_id == claim.event_id)
    )
    number = int(conn.execute(count).scalar_one()) + 1
    conn.execute(
        insert(WebhookAttempt).values(
            id=new_id(),
            event_id=claim.event_id,
            attempt=number,
            outcome=result.outcome,
            response_status=result.status,
            response_body=result.body,
            error=result.error,
            duration_ms=result.duration_ms,
            started_at=now - result.duration_ms,
        )
    )


def _count_on_endpoint(conn: Connection, endpoint_id: str, result: Result, limit: int) -> None:
    """Reset the endpoint's run of failures on success (only if there is one: an endpoint write
    moves the ``config`` cache generation), or extend it and disable the endpoint at ``limit``."""
    endpoint = ENDPOINTS.c.id == endpoint_id
    if result.succeeded:
        conn.execute(
            update(ENDPOINTS)
            .where(endpoint, ENDPOINTS.c.consecutive_failures > 0)
            .values(consecutive_failures=0)
        )
        return
    conn.execute(
        update(ENDPOINTS)
        .where(endpoint)
        .values(consecutive_failures=ENDPOINTS.c.consecutive_failures + 1)
    )
    reason = f"Disabled after {limit} consecutive failed deliveries; last: {result.error}"[:500]
    disabled = conn.execute(
        update(ENDPOINTS)
        .where(endpoint, ENDPOINTS.c.consecutive_failures >= limit, _ACTIVE)
        .values(is_active=False, disabled_reason=reason)
    )
    if disabled.rowcount:
        logger.warning("webhook endpoint %s disabled: %s", endpoint_id, reason)


async def deliver_due(
    ctx: Context, *, only: str | None = None, stopping: threading.Event | None = None
) -> PassReport:
    """Claim and send due rows until none is left (or ``stopping`` is set between batches);
    ``only`` sends that one row if it is due."""
    report = PassReport()
    while stopping is None or not stopping.is_set():
        if not await ctx.run_read(lambda: has_due(ctx, only=only)):
            break  # the usual idle poll: one indexed read, no write transaction
        claims = await ctx.run_write(lambda: claim_due(ctx, only=only))
        if not claims:
            break
        results = await asyncio.gather(*(attempt(ctx, claim) for claim in claims))
        for claim, result in zip(claims, results, strict=True):
            state = await ctx.run_write(partial(finish, ctx, claim, result))
            if state != "lost":
                getattr(report, state).append(claim.event_id)
        if only is not None:
            break
    return report


def prune(ctx: Context) -> int:
    """Delete delivered and failed events older than SONIC_WEBHOOKS_RETENTION_DAYS (their
    attempts go with them); pending ones are kept whatever their age. Returns how many."""
    cutoff = ctx.clock.now_ms() - ctx.settings.webhooks_retention_days * 86_400_000
    old = and_(EVENTS.c.status.in_(("delivered", "failed")), EVENTS.c.created_at < cutoff)
    with ctx.db.write() as conn:
        return int(conn.execute(delete(EVENTS).where(old)).rowcount)


async def run_forever(ctx: Context, stopping: threading.Event) -> None:
    """The server's worker: a pass every SONIC_WEBHOOKS_POLL_SECONDS until shutdown, and old
    deliveries pruned about hourly. A failing pass (the database away) is logged and the next
    one tries again."""
    pruned_at: float | None = None
    while not stopping.is_set():
        try:
            await deliver_due(ctx, stopping=stopping)
            if pruned_at is None or time.monotonic() - pruned_at >= PRUNE_EVERY_SECONDS:
                pruned_at = time.monotonic()
                await ctx.run_write(lambda: prune(ctx))
        except Exception:
            logger.exception("webhook delivery pass failed")
        await asyncio.sleep(ctx.settings.webhooks_poll_seconds)
