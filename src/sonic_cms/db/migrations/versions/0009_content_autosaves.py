"""content_autosaves: each user's autosaved working copy of an item, apart from the item

Autosaving wrote the live row (and a version), so autosaving a published item published
half-typed edits. A working copy per item and user is kept here instead, until that user's
Save applies it or they discard it; it goes with its item and with its user.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 04:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sonic_cms.db.types import JSONText

revision = "0009"
down_revision: str | None = "0008"

_EPOCH_MS = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create content_autosaves (unique per item and user)."""
    op.create_table(
        "content_autosaves",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("content_id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("slug", sa.Text(), nullable=True),
        sa.Column("data", JSONText(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("created_at", _EPOCH_MS, nullable=False),
        sa.Column("updated_at", _EPOCH_MS, nullable=False),
        sa.ForeignKeyConstraint(
            ["content_id"],
            ["content.id"],
            name=op.f("fk_content_autosaves_content_id_content"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_content_autosaves_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_autosaves")),
        sa.UniqueConstraint(
            "content_id", "user_id", name=op.f("uq_content_autosaves_content_id_user_id")
        ),
    )
    op.create_index("idx_content_autosaves_user", "content_autosaves", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index("idx_content_autosaves_user", table_name="content_autosaves")
    op.drop_table("content_autosaves")
