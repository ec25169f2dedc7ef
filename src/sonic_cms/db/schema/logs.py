"""System logging tables: system_logs and per-category log_config."""

from __future__ import annotations

from typing import Any

from sqlalchemy import CheckConstraint, Index, Integer, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from sonic_cms.db.schema.base import Base, bool_flag, created_now, pk, references
from sonic_cms.db.types import JSONText

LOG_LEVELS = ("debug", "info", "warn", "error", "fatal")
LOG_CATEGORIES = ("auth", "api", "workflow", "plugin", "media", "system", "security", "error")


def _in_list(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class SystemLog(Base):
    """One structured log record."""

    __tablename__ = "system_logs"

    id: Mapped[str] = pk()
    level: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[Any | None] = mapped_column(JSONText())
    user_id: Mapped[str | None] = references("users.id")
    session_id: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(Text)
    ip_address: Mapped[str | None] = mapped_column(Text)
    user_agent: Mapped[str | None] = mapped_column(Text)
    method: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration: Mapped[int | None] = mapped_column(Integer)
    stack_trace: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[Any | None] = mapped_column(JSONText())
    source: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[int] = created_now()

    __table_args__ = (
        CheckConstraint(_in_list("level", LOG_LEVELS), name="level"),
        CheckConstraint(_in_list("category", LOG_CATEGORIES), name="category"),
        Index("idx_system_logs_level", "level"),
        Index("idx_system_logs_category", "category"),
        Index("idx_system_logs_created_at", "created_at"),
        Index("idx_system_logs_user_id", "user_id"),
        Index("idx_system_logs_status_code", "status_code"),
        Index("idx_system_logs_source", "source"),
    )


class LogConfig(Base):
    """Whether a category is logged, from which level, and how long records are kept."""

    __tablename__ = "log_config"

    id: Mapped[str] = pk()
    category: Mapped[str] = mapped_column(Text, unique=True)
    enabled: Mapped[bool] = bool_flag()
    level: Mapped[str] = mapped_column(Text, server_default=text("'info'"))
    retention_days: Mapped[int] = mapped_column(Integer, server_default=text("30"))
    max_size_mb: Mapped[int] = mapped_column(Integer, server_default=text("100"))
    created_at: Mapped[int] = created_now()
    updated_at: Mapped[int] = created_now()
