"""Create the faqs table (SonicJS's 002_faq_plugin.sql, with text ids and epoch-ms times).

Revision ID: faq_0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sonic_cms.db.types import EpochMs, JSONText

revision = "faq_0001"
down_revision = None


def upgrade() -> None:
    """Create faqs and its indexes."""
    op.create_table(
        "faqs",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("category", sa.Text()),
        sa.Column("tags", JSONText()),
        sa.Column("is_published", sa.Boolean(), nullable=False, server_default=sa.text("TRUE")),
        sa.Column("sort_order", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("created_at", EpochMs, nullable=False),
        sa.Column("updated_at", EpochMs, nullable=False),
    )
    op.create_index("idx_faqs_category", "faqs", ["category"])
    op.create_index("idx_faqs_published_order", "faqs", ["is_published", "sort_order"])


def downgrade() -> None:
    """Drop faqs."""
    op.drop_index("idx_faqs_published_order", table_name="faqs")
    op.drop_index("idx_faqs_category", table_name="faqs")
    op.drop_table("faqs")
