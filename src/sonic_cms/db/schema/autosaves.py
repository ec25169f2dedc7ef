"""Autosaved working copies: one per item and user, apart from the item.

An editor's autosave must never reach readers, so it is not written to ``content`` (which is
what every read, the search index and the cache serve) nor to ``content_versions`` (whose
history ``as_of`` reads as what the item was). It is kept here until that user's Save applies
it or they discard it; deleting the item or the user deletes it (``ON DELETE CASCADE``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Index, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sonic_cms.db.schema.base import Base, pk, references
from sonic_cms.db.types import EpochMs, JSONText


class ContentAutosave(Base):
    """A user's unsaved edit of an item: the title, slug and data typed so far, and the
    item's version it started from (so the editor can say when the item moved on since)."""

    __tablename__ = "content_autosaves"

    id: Mapped[str] = pk()
    content_id: Mapped[str] = references("content.id", cascade=True)
    user_id: Mapped[str] = references("users.id", cascade=True)
    title: Mapped[str | None] = mapped_column(Text)
    slug: Mapped[str | None] = mapped_column(Text)
    data: Mapped[Any] = mapped_column(JSONText(), nullable=False)
    base_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[int] = mapped_column(EpochMs)
    updated_at: Mapped[int] = mapped_column(EpochMs)

    __table_args__ = (
        UniqueConstraint("content_id", "user_id"),
        Index("idx_content_autosaves_user", "user_id"),
    )
