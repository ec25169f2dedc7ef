"""The seed's ``migrations`` table: which revision was applied when, with its checksum.

Alembic's own ``alembic_version`` holds only the current head; this table keeps the history
that ``sonic db migrations list`` shows, written in the same transaction as each revision.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text
from sqlalchemy.orm import Mapped, mapped_column

from sonic_cms.db.schema.base import Base, pk, timestamp_now


class MigrationRecord(Base):
    """One applied revision."""

    __tablename__ = "migrations"

    id: Mapped[str] = pk()
    name: Mapped[str] = mapped_column(Text)
    filename: Mapped[str] = mapped_column(Text)
    applied_at: Mapped[datetime] = timestamp_now()
    checksum: Mapped[str | None] = mapped_column(Text)
