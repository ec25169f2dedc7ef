"""Create the magic_links table (SonicJS's 021_add_magic_link_auth_plugin.sql; epoch-ms times
as BIGINT on PostgreSQL).

Revision ID: magic_link_auth_0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sonic_cms.db.types import EpochMs

revision = "magic_link_auth_0001"
down_revision = None


def upgrade() -> None:
    """Create magic_links and SonicJS's indexes (the token's is its UNIQUE constraint)."""
    op.create_table(
        "magic_links",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("user_email", sa.Text(), nullable=False),
        sa.Column("token", sa.Text(), nullable=False, unique=True),
        sa.Column("expires_at", EpochMs, nullable=False),
        sa.Column("used", sa.Integer(), server_default=sa.text("0")),
        sa.Column("used_at", EpochMs),
        sa.Column("ip_address", sa.Text()),
        sa.Column("user_agent", sa.Text()),
        sa.Column("created_at", EpochMs, nullable=False),
    )
    op.create_index("idx_magic_links_email", "magic_links", ["user_email"])
    op.create_index("idx_magic_links_expires", "magic_links", ["expires_at"])


def downgrade() -> None:
    """Drop magic_links."""
    op.drop_index("idx_magic_links_expires", table_name="magic_links")
    op.drop_index("idx_magic_links_email", table_name="magic_links")
    op.drop_table("magic_links")
