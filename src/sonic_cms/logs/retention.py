"""log_config's retention: delete by age, then trim each category to its size budget.

Size is what the rows' text occupies (message, data, stack trace, url, user agent, tags): an
estimate both engines compute the same way, not the table's pages on disk. Trimming deletes the
oldest rows first until the newest ones fit in ``max_size_mb``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, String, and_, cast, delete, func, select

from sonic_cms.context import Context
from sonic_cms.db.schema import LogConfig, SystemLog

DAY_MS = 86_400_000
DELETE_CHUNK = 500


@dataclass(frozen=True)
class PruneResult:
    """Rows removed per category, by age and by size."""

    by_age: dict[str, int]
    by_size: dict[str, int]

    @property
    def total(self) -> int:
        """Every row removed."""
        return sum(self.by_age.values()) + sum(self.by_size.values())


def row_size() -> ColumnElement[int]:
    """The SQL expression estimating one row's size in bytes."""
    parts = [
        SystemLog.message,
        cast(SystemLog.data, String),
        SystemLog.stack_trace,
        SystemLog.url,
        SystemLog.user_agent,
        cast(SystemLog.tags, String),
    ]
    total: ColumnElement[int] = func.coalesce(func.length(parts[0]), 0)
    for part in parts[1:]:
        total = total + func.coalesce(func.length(part), 0)
    return total


def prune(ctx: Context) -> PruneResult:
    """Apply every category's retention_days and max_size_mb as of ``ctx.clock``'s now.

    No permission check: the server's pruner runs it as a duty; people go through
    :func:`sonic_cms.logs.queries.cleanup`.
    """
    db, now_ms = ctx.db, ctx.clock.now_ms()
    by_age: dict[str, int] = {}
    by_size: dict[str, int] = {}
    with db.read() as conn:
        configs = conn.execute(
            select(LogConfig.category, LogConfig.retention_days, LogConfig.max_size_mb)
        ).all()
    for category, retention_days, max_size_mb in configs:
        with db.write() as conn:
            by_age[category] = _delete_older(conn, category, now_ms - retention_days * DAY_MS)
        with db.write() as conn:
            by_size[category] = _trim_to(conn, category, max_size_mb * 1024 * 1024)
    return PruneResult(by_age, by_size)


def _delete_older(conn: Connection, category: str, cutoff_ms: int) -> int:
    done = conn.execute(
        delete(SystemLog).where(
            and_(SystemLog.category == category, SystemLog.created_at < cutoff_ms)
        )
    )
    return int(done.rowcount or 0)


def _trim_to(conn: Connection, category: str, budget: int) -> int:
    size = row_size()
    total = conn.execute(
        select(func.coalesce(func.sum(size), 0)).where(SystemLog.category == category)
    ).scalar_one()
    if int(total) <= budget:
        return 0
    running = (
        select(
            SystemLog.id.label("id"),
            func.sum(size)
            .over(order_by=(SystemLog.created_at.desc(), SystemLog.id.desc()))
            .label("running"),
        )
        .where(SystemLog.category == category)
        .subquery()
    )
    doomed = list(conn.execute(select(running.c.id).where(running.c.running > budget)).scalars())
    for start in range(0, len(doomed), DELETE_CHUNK):
        conn.execute(
            delete(SystemLog).where(SystemLog.id.in_(doomed[start : start + DELETE_CHUNK]))
        )
    return len(doomed)
