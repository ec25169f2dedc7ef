"""Comments on content (the seed's migration ``012_add_comments_table``) and their counts.

``comments`` is the seed's table as its example migration writes it: the five indexes, the
``status`` CHECK, ``content_id`` going with its item (``ON DELETE CASCADE``) and ``parent_id``
for threads. The seed has no place for an item's approved count, and counting on every read
would cost a query per listed item, so ``content_comment_counts`` keeps it, changed in the
transaction of every status change (:mod:`sonic_cms.comments.counts`).
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from sonic_cms.db.schema.base import Base, pk, references
from sonic_cms.db.types import EpochMs

#: The seed's comment statuses, in its CHECK's order.
COMMENT_STATUSES = ("pending", "approved", "spam", "deleted")


class Comment(Base):
    """One comment on an item by a user; a reply names the comment it answers."""

    __tablename__ = "comments"

    id: Mapped[str] = pk()
    content_id: Mapped[str] = references("content.id", cascade=True)
    user_id: Mapped[str] = references("users.id")
    parent_id: Mapped[str | None] = references("comments.id")
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(Text, server_default=text("'pending'"))
    created_at: Mapped[int] = mapped_column(EpochMs)
    updated_at: Mapped[int] = mapped_column(EpochMs)

    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'spam', 'deleted')", name="status"),
        Index("idx_comments_content", "content_id"),
        Index("idx_comments_user", "user_id"),
        Index("idx_comments_parent", "parent_id"),
        Index("idx_comments_status", "status"),
        Index("idx_comments_created", "created_at"),
    )


class ContentCommentCount(Base):
    """How many approved comments an item has (no row: none).

    ``id`` holds the item's id too: time travel's change log keys every captured row by an
    ``id`` column (db/change_capture.py), and the counter is content to travel back with.
    """

    __tablename__ = "content_comment_counts"

    id: Mapped[str] = pk()
    content_id: Mapped[str] = mapped_column(
        Text, ForeignKey("content.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    approved: Mapped[int] = mapped_column(Integer, nullable=False)
