"""The executor of scheduled actions: each due job runs exactly once, even with many executors.

Every job runs in its own transaction that claims it with a conditional UPDATE (``WHERE status
= 'pending'``), applies the action, and writes history and a log entry. On PostgreSQL due jobs
are picked with ``FOR UPDATE SKIP LOCKED`` so executors in several processes share the work
without waiting on each other; on SQLite every write transaction begins IMMEDIATE, so claims are
serialized. A crash mid-job rolls the whole job back to pending. A failing action marks its job
``failed`` with the error and does not stop the others; a plugin refusing the publish
(``content:publish`` filter) is such a failure. Hooks fire as the job's user (a system actor).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Row, select, update

from sonic_cms.actors import Actor
from sonic_cms.clock import epoch_ms, utc_datetime
from sonic_cms.content.state import apply_state
from sonic_cms.context import Context
from sonic_cms.db.schema import Content, ScheduledContent
from sonic_cms.logs.audit import log_in_transaction
from sonic_cms.metrics.recorders import scheduled_job_ran
from sonic_cms.plugins.hooks import HookScope
from sonic_cms.workflow.definitions import workflow_for_collection
from sonic_cms.workflow.scheduling import sync_content_schedule
from sonic_cms.workflow.transitions import Move, current_state, record_history

logger = logging.getLogger("sonic_cms.scheduler")

#: The workflow state each scheduled action moves content to.
TARGET_STATE = {"publish": "published", "unpublish": "draft", "archive": "archived"}


@dataclass
class RunReport:
    """What one pass of the executor did."""

    completed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class JobFailed(Exception):
    """A scheduled action could not be applied; the message is stored on the job."""


def run_due(
    ctx: Context, *, limit: int = 500, stopping: threading.Event | None = None
) -> RunReport:
    """Run every job due now (at most ``limit``), one transaction per job; between two jobs,
    stop early once ``stopping`` is set (a server shutting down: the rest stay due and the next
    pass, on any server, runs them).

    Each job acts as its own user (a system actor), whoever ``ctx`` acts for.
    """
    report = RunReport()
    while len(report.completed) + len(report.failed) < limit:
        if stopping is not None and stopping.is_set():
            break
        outcome = _run_next(ctx)
        if outcome is None:
            break
        job_id, ok = outcome
        (report.completed if ok else report.failed).append(job_id)
    return report


def _run_next(ctx: Context) -> tuple[str, bool] | None:
    now = ctx.clock.now_ms()
    with ctx.db.write() as conn:
        job = _claim_next(conn, now)
        if job is None:
            return None
        actor = Actor(kind="system", user_id=job.user_id)
        hooks = ctx.acting_as(actor).hook_scope(conn)
        savepoint = conn.begin_nested()
        try:
            _apply(conn, job, now, actor, hooks)
            savepoint.commit()
            outcome = job.id, True
        except Exception as exc:  # noqa: BLE001 - any failure fails this job, not the executor
            savepoint.rollback()
            hooks.discard()
            message = str(exc) if isinstance(exc, JobFailed) else f"{type(exc).__name__}: {exc}"
            _mark_failed(conn, job, now, message)
            outcome = job.id, False
    hooks.fire()
    if ctx.settings.metrics_enabled:  # after the commit: a rolled-back run did not happen
        scheduled_job_ran(job.action, outcome[1], (now - epoch_ms(job.scheduled_at)) / 1000)
    return outcome


def _claim_next(conn: Connection, now: int) -> Row[Any] | None:
    query = (
        select(ScheduledContent)
        .where(ScheduledContent.status == "pending")
        .where(ScheduledContent.scheduled_at <= utc_datetime(now))
        .order_by(ScheduledContent.scheduled_at, ScheduledContent.id)
        .limit(1)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    job = conn.execute(query).first()
    if job is None:
        return None
    claimed = conn.execute(
        update(ScheduledContent)
        .where(ScheduledContent.id == job.id, ScheduledContent.status == "pending")
        .values(status="completed", executed_at=utc_datetime(now))
    )
    return job if claimed.rowcount == 1 else None


def _apply(conn: Connection, job: Row[Any], now: int, actor: Actor, hooks: HookScope) -> None:
    row = conn.execute(select(Content).where(Content.id == job.content_id)).first()
    if row is None:
        raise JobFailed("content no longer exists")
    target = TARGET_STATE.get(job.action)
    if target is None:
        raise JobFailed(f"unknown action {job.action!r}")
    state = current_state(row)
    workflow = workflow_for_collection(conn, row.collection_id)
    move = Move(actor, target, f"Scheduled {job.action}", now, hooks)
    apply_state(conn, row, target, now, hooks=hooks)
    record_history(conn, row.id, workflow.id, state, move, {"scheduled": job.id})
    sync_content_schedule(conn, row.id)
    log_in_transaction(
        conn,
        now,
        category="workflow",
        user_id=job.user_id,
        message=f"Scheduled {job.action} executed",
        data={"content_id": row.id, "schedule_id": job.id},
    )


def _mark_failed(conn: Connection, job: Row[Any], now: int, message: str) -> None:
    conn.execute(
        update(ScheduledContent)
        .where(ScheduledContent.id == job.id)
        .values(status="failed", executed_at=utc_datetime(now), error_message=message[:1000])
    )
    if _content_exists(conn, job.content_id):
        sync_content_schedule(conn, job.content_id)
    log_in_transaction(
        conn,
        now,
        category="workflow",
        level="error",
        user_id=job.user_id,
        message=f"Scheduled {job.action} failed: {message}",
        data={"content_id": job.content_id, "schedule_id": job.id},
    )


def _content_exists(conn: Connection, content_id: str) -> bool:
    return conn.execute(select(Content.id).where(Content.id == content_id)).first() is not None


async def run_forever(
    ctx: Context, interval_seconds: float, stopping: threading.Event | None = None
) -> None:
    """The server's background executor: a pass every ``interval_seconds`` until cancelled.

    A pass runs in a worker thread, which cancelling the task does not interrupt: the server
    sets ``stopping`` first, so a pass of many due jobs ends after the job in hand."""
    while True:
        try:
            report = await ctx.run_write(lambda: run_due(ctx, stopping=stopping))
            if report.completed or report.failed:
                logger.info(
                    "scheduler: %d completed, %d failed", len(report.completed), len(report.failed)
                )
        except Exception:  # a failing pass must not kill the loop
            logger.exception("scheduler pass failed")
        await asyncio.sleep(interval_seconds)
