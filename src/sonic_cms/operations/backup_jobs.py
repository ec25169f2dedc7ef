"""A backup made in the background for ``/admin/database``, its progress readable anywhere.

:func:`start_job` records a queued job and returns its id; the server then runs
:func:`run_job` after answering (in a worker thread), which makes the backup with
:func:`backup_store.store_backup` and writes its progress to the job's document in the backup
store every half second. :func:`job_state` reads it, so a page polling the job may be served
by any worker or host. A job whose document stops moving (its server died) is reported
``stalled`` after ``STALLED_AFTER_MS``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from sonic_cms.context import Context
from sonic_cms.errors import NotFound
from sonic_cms.ids import new_id
from sonic_cms.operations import backup_store
from sonic_cms.operations.export_sql import dump_tables

logger = logging.getLogger("sonic_cms.backup")

#: Least time between two writes of a job's progress, in seconds.
WRITE_EVERY = 0.5
STALLED_AFTER_MS = 120_000
_JOB_ID = frozenset("0123456789abcdefghijklmnopqrstuvwxyz-")


def start_job(ctx: Context) -> str:
    """Record a queued backup job (``settings.update``); returns its id."""
    ctx.actor.require(backup_store.PERMISSION)
    job_id = new_id()
    now = ctx.clock.now_ms()
    state = {"id": job_id, "state": "queued", "percent": 0, "table": None, "name": None}
    backup_store.backup_store(ctx).write_job(
        job_id, state | {"started_ms": now, "updated_ms": now, "user_id": ctx.actor.user_id}
    )
    return job_id


class _Reporter:
    """Turns the dump's per-table progress into the job's document, at most every half
    second (a whole-percent bar needs no more)."""

    def __init__(self, ctx: Context, job_id: str, base: dict[str, Any]) -> None:
        self.ctx = ctx
        self.store = backup_store.backup_store(ctx)
        self.job_id = job_id
        self.base = base
        self.total = max(1, len(dump_tables(with_change_log=False)))
        self.seen: list[str] = []
        self.last = 0.0

    def write(self, **changes: Any) -> None:
        self.base |= changes | {"updated_ms": self.ctx.clock.now_ms()}
        self.store.write_job(self.job_id, self.base)

    def __call__(self, table: str, done: int, rows: int) -> None:
        if not self.seen or self.seen[-1] != table:
            self.seen.append(table)
        fraction = (len(self.seen) - 1 + (done / rows if rows else 1)) / self.total
        now = time.monotonic()
        if now - self.last >= WRITE_EVERY:
            self.last = now
            self.write(state="running", percent=min(99, int(fraction * 100)), table=table)


def run_job(ctx: Context, job_id: str) -> None:
    """Make the backup of a started job, reporting as it goes; never raises (it runs after
    the response): a failure is the job's ``failed`` state with the error's message."""
    store = backup_store.backup_store(ctx)
    base = store.read_job(job_id) or {"id": job_id}
    reporter = _Reporter(ctx, job_id, base)
    try:
        reporter.write(state="running", percent=0)
        stored = backup_store.store_backup(ctx, progress=reporter)
    except Exception as exc:  # the job reports it; the server must go on
        logger.exception("backup job %s failed", job_id)
        reporter.write(state="failed", error=str(exc)[:500])
        return
    reporter.write(state="done", percent=100, table=None, name=stored.name, size=stored.size_bytes)


def job_state(ctx: Context, job_id: str) -> dict[str, Any]:
    """A job's progress (``settings.update``); 404 for an unknown job."""
    ctx.actor.require(backup_store.PERMISSION)
    if not job_id or len(job_id) > 64 or not set(job_id) <= _JOB_ID:
        raise NotFound("No such backup job", code="job_not_found")
    state = backup_store.backup_store(ctx).read_job(job_id)
    if state is None:
        raise NotFound("No such backup job", code="job_not_found")
    moving = state.get("state") in ("queued", "running")
    if moving and ctx.clock.now_ms() - int(state.get("updated_ms", 0)) > STALLED_AFTER_MS:
        state["state"] = "stalled"
    return state
