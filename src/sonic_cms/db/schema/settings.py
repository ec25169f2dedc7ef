"""The site's own settings, in SonicJS's ``settings`` table shape (its migration 018).

One row per ``(category, key)``; ``value`` is JSON (``"My site"``, ``false``). SonicJS keeps
``general.siteName``, ``general.siteDescription``, ``general.timezone`` and
``general.maintenanceMode`` here; the keys sonic-cms knows, and their validation, are in
:mod:`sonic_cms.site_settings.store`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Index, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sonic_cms.db.schema.base import Base, pk
from sonic_cms.db.types import EpochMs, JSONText


class Setting(Base):
    """One setting: ``category`` (``general``, ``security``), ``key`` and its JSON value."""

    __tablename__ = "settings"

    id: Mapped[str] = pk()
    category: Mapped[str] = mapped_column(Text, nullable=False)
    key: Mapped[str] = mapped_column(Text, nullable=False)
    value: Mapped[Any] = mapped_column(JSONText(), nullable=False)
    created_at: Mapped[int] = mapped_column(EpochMs, nullable=False)
    updated_at: Mapped[int] = mapped_column(EpochMs, nullable=False)

    __table_args__ = (
        UniqueConstraint("category", "key"),
        Index("idx_settings_category", "category"),
    )
