"""System logs for people: query (SonicJS's /admin/logs filters), export, log_config, cleanup."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import ColumnElement, and_, func, insert, or_, select, update

from sonic_cms.context import Context
from sonic_cms.db.schema import LOG_CATEGORIES, LOG_LEVELS, LogConfig, SystemLog, User
from sonic_cms.errors import BadRequest, NotFound, ValidationFailed
from sonic_cms.logs import retention
from sonic_cms.pagination import list_envelope, page_block

EXPORT_COLUMNS = [c.name for c in SystemLog.__table__.columns]


@dataclass(frozen=True)
class LogQuery:
    """The filters of GET /admin/api/logs (all optional)."""

    levels: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    search: str | None = None
    start_date: int | None = None
    end_date: int | None = None
    source: str | None = None
    #: A user's id or email (people know each other by address; the log stores the id).
    user: str | None = None
    status_codes: tuple[int, ...] = ()
    request_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems = [
            {"path": "level", "message": f"unknown level {v!r}"}
            for v in self.levels
            if v not in LOG_LEVELS
        ] + [
            {"path": "category", "message": f"unknown category {v!r}"}
            for v in self.categories
            if v not in LOG_CATEGORIES
        ]
        if self.start_date and self.end_date and self.start_date > self.end_date:
            problems.append({"path": "start_date", "message": "start_date is after end_date"})
        if problems:
            raise BadRequest("Invalid log filters", code="invalid_filter", details=problems)

    def where(self) -> ColumnElement[bool]:
        """The WHERE clause; values always bound."""
        conditions: list[ColumnElement[bool]] = []
        if self.levels:
            conditions.append(SystemLog.level.in_(self.levels))
        if self.categories:
            conditions.append(SystemLog.category.in_(self.categories))
        if self.search:
            pattern = f"%{_escape_like(self.search)}%"
            conditions.append(
                or_(
                    SystemLog.message.ilike(pattern, escape="\\"),
                    SystemLog.url.ilike(pattern, escape="\\"),
                )
            )
        if self.start_date is not None:
            conditions.append(SystemLog.created_at >= self.start_date)
        if self.end_date is not None:
            conditions.append(SystemLog.created_at <= self.end_date)
        if self.source:
            conditions.append(SystemLog.source == self.source)
        if self.user:
            by_email = select(User.id).where(func.lower(User.email) == self.user.lower())
            conditions.append(
                or_(
                    SystemLog.user_id == self.user,
                    SystemLog.user_id.in_(by_email.scalar_subquery()),
                )
            )
        if self.status_codes:
            conditions.append(SystemLog.status_code.in_(self.status_codes))
        if self.request_id:
            conditions.append(SystemLog.request_id == self.request_id)
        return and_(True, *conditions)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _row(row: Any) -> dict[str, Any]:
    return dict(row)


def query_logs(ctx: Context, filters: LogQuery, page: int, limit: int) -> dict[str, Any]:
    """A page of records, newest first, with the seed's pagination block."""
    ctx.actor.require("logs.read")
    where = filters.where()
    with ctx.db.read() as conn:
        total = conn.execute(select(func.count()).select_from(SystemLog).where(where)).scalar_one()
        rows = conn.execute(
            select(SystemLog)
            .where(where)
            .order_by(SystemLog.created_at.desc(), SystemLog.id.desc())
            .limit(limit)
            .offset((page - 1) * limit)
        ).mappings()
        data = [_row(r) for r in rows]
    return list_envelope(data, ctx.clock.now_ms(), pagination=page_block(page, limit, total))


def get_log(ctx: Context, log_id: str) -> dict[str, Any]:
    """One record."""
    ctx.actor.require("logs.read")
    with ctx.db.read() as conn:
        row = conn.execute(select(SystemLog).where(SystemLog.id == log_id)).mappings().first()
    if row is None:
        raise NotFound("Log record not found", code="log_not_found")
    return _row(row)


def records_after(
    ctx: Context, filters: LogQuery, after_ms: int, after_id: str, limit: int
) -> list[dict[str, Any]]:
    """Records newer than (after_ms, after_id), oldest first: what `sonic logs tail` follows."""
    ctx.actor.require("logs.read")
    newer = or_(
        SystemLog.created_at > after_ms,
        and_(SystemLog.created_at == after_ms, SystemLog.id > after_id),
    )
    with ctx.db.read() as conn:
        rows = conn.execute(
            select(SystemLog)
            .where(filters.where(), newer)
            .order_by(SystemLog.created_at, SystemLog.id)
            .limit(limit)
        ).mappings()
        return [_row(r) for r in rows]


def export_logs(ctx: Context, filters: LogQuery, fmt: str, max_rows: int) -> bytes:
    """The matching records (newest first, at most ``max_rows``) as CSV or JSON."""
    ctx.actor.require("logs.read")
    if fmt not in ("csv", "json"):
        raise BadRequest("format must be csv or json", code="invalid_format")
    with ctx.db.read() as conn:
        rows = [
            _row(r)
            for r in conn.execute(
                select(SystemLog)
                .where(filters.where())
                .order_by(SystemLog.created_at.desc(), SystemLog.id.desc())
                .limit(max_rows)
            ).mappings()
        ]
    if fmt == "json":
        return orjson.dumps(rows)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                k: orjson.dumps(v).decode() if isinstance(v, dict | list) else v
                for k, v in row.items()
            }
        )
    return buffer.getvalue().encode()


CONFIG_FIELDS: dict[str, type] = {
    "enabled": bool,
    "level": str,
    "retention_days": int,
    "max_size_mb": int,
}


def get_config(ctx: Context) -> list[dict[str, Any]]:
    """Every category's log_config row."""
    ctx.actor.require("logs.read")
    with ctx.db.read() as conn:
        return [
            _row(r) for r in conn.execute(select(LogConfig).order_by(LogConfig.category)).mappings()
        ]


def update_config(ctx: Context, category: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Change one category's settings (validated), creating its row when missing."""
    ctx.actor.require("logs.manage")
    if category not in LOG_CATEGORIES:
        raise NotFound(f"Unknown log category {category!r}", code="unknown_category")
    problems = _config_problems(changes)
    if problems:
        raise ValidationFailed("Invalid log configuration", details=problems)
    now = ctx.clock.now_ms()
    with ctx.db.write() as conn:
        exists = conn.execute(select(LogConfig.id).where(LogConfig.category == category)).first()
        if exists is None:
            conn.execute(
                insert(LogConfig).values(
                    id=f"log-config-{category}", category=category, created_at=now, updated_at=now
                )
            )
        if changes:
            conn.execute(
                update(LogConfig)
                .where(LogConfig.category == category)
                .values(**changes, updated_at=now)
            )
        return _row(
            conn.execute(select(LogConfig).where(LogConfig.category == category)).mappings().one()
        )


def _config_problems(changes: dict[str, Any]) -> list[dict[str, str]]:
    problems = []
    for key, value in changes.items():
        expected = CONFIG_FIELDS.get(key)
        if expected is None:
            problems.append({"path": key, "message": "unknown field"})
        elif not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            problems.append({"path": key, "message": f"must be {expected.__name__}"})
        elif key == "level" and value not in LOG_LEVELS:
            problems.append({"path": key, "message": f"must be one of {', '.join(LOG_LEVELS)}"})
        elif key in ("retention_days", "max_size_mb") and not 1 <= changes[key] <= 100_000:
            problems.append({"path": key, "message": "must be between 1 and 100000"})
    return problems


def cleanup(ctx: Context) -> retention.PruneResult:
    """Apply retention and size limits now, for a caller who may manage logs."""
    ctx.actor.require("logs.manage")
    return retention.prune(ctx)
