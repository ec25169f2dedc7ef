"""An executor process for the multi-process scheduler test (importable, so it can be spawned)."""

from __future__ import annotations

import time
from multiprocessing.synchronize import Barrier

from sqlalchemy import func, select

from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import ScheduledContent
from sonic_cms.workflow.executor import run_due
from tests.content.helpers import context_on

_start: Barrier | None = None


def share_start(barrier: Barrier) -> None:
    """Pool initializer: the barrier every executor waits at before its first pass, so a
    process that starts slowly on a busy machine still finds work left to race for."""
    global _start
    _start = barrier


def execute_until_idle(url: str, now_ms: int) -> list[str]:
    """Run passes until one finds nothing due; returns the ids this process completed."""
    db = Database(Settings(database_url=url, env="development", config_file="/nonexistent.toml"))
    done: list[str] = []
    try:
        if _start is not None:
            _start.wait(timeout=120)
        while True:
            report = run_due(context_on(db, FrozenClock(now_ms)), limit=50)
            done.extend(report.completed)
            if not report.completed and not report.failed and not _pending(db):
                return done
            # a served executor waits its interval between passes; without a pause, on SQLite
            # the process holding the write lock takes it again before the other's busy
            # handler wakes, and may run every pass
            time.sleep(0.005)
    finally:
        db.dispose()


def _pending(db: Database) -> int:
    """Jobs still waiting: a pass that met the other executor's claim finds none due for it
    though work is left (on SQLite, while the other holds the write lock)."""
    with db.read() as conn:
        query = select(func.count()).where(ScheduledContent.status == "pending")
        return int(conn.execute(query).scalar_one())
