"""An executor process for the multi-process scheduler test (importable, so it can be spawned)."""

from __future__ import annotations

from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from sonic_cms.workflow.executor import run_due
from tests.content.helpers import context_on


def execute_until_idle(url: str, now_ms: int) -> list[str]:
    """Run passes until one finds nothing due; returns the ids this process completed."""
    db = Database(Settings(database_url=url, env="development", config_file="/nonexistent.toml"))
    done: list[str] = []
    try:
        while True:
            report = run_due(context_on(db, FrozenClock(now_ms)), limit=50)
            done.extend(report.completed)
            if not report.completed and not report.failed:
                return done
    finally:
        db.dispose()
