"""Time travel's change log: every row written to every table, kept for the snapshot retention.

Database triggers (not application code) fill ``change_log``, so writes by plugins, raw SQL and
``sonic db execute`` are captured too. ``change_log_pause`` holds a row only inside a restore's
own transaction, which the triggers check so that a restore does not record itself.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from sonic_cms.db.schema.base import Base
from sonic_cms.db.types import EpochMs, Int64, JSONText


class ChangeLogEntry(Base):
    """One row inserted (I), updated (U) or deleted (D), with the row as it became."""

    __tablename__ = "change_log"
    # AUTOINCREMENT: ids never go back after pruning, so a snapshot's position stays valid.
    __table_args__ = (
        Index("idx_change_log_changed_at", "changed_at"),
        Index("idx_change_log_table_row", "table_name", "row_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Int64, primary_key=True, autoincrement=True)
    table_name: Mapped[str] = mapped_column(Text)
    op: Mapped[str] = mapped_column(Text)
    row_id: Mapped[str] = mapped_column(Text)
    row_data: Mapped[Any | None] = mapped_column(JSONText())
    changed_at: Mapped[int] = mapped_column(EpochMs)
    txid: Mapped[int | None] = mapped_column(Int64)


class ChangeLogPause(Base):
    """Present only inside a restore's transaction: the capture triggers skip their work."""

    __tablename__ = "change_log_pause"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
