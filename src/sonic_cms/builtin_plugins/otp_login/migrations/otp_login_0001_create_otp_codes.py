"""Create the otp_codes table (SonicJS's 026_add_otp_login.sql; epoch-ms times as BIGINT on
PostgreSQL).

Revision ID: otp_login_0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sonic_cms.db.types import EpochMs

revision = "otp_login_0001"
down_revision = None


def upgrade() -> None:
    """Create otp_codes and SonicJS's indexes."""
    op.create_table(
        "otp_codes",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("user_email", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("expires_at", EpochMs, nullable=False),
        sa.Column("used", sa.Integer(), server_default=sa.text("0")),
        sa.Column("used_at", EpochMs),
        sa.Column("ip_address", sa.Text()),
        sa.Column("user_agent", sa.Text()),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0")),
        sa.Column("created_at", EpochMs, nullable=False),
    )
    op.create_index("idx_otp_email_code", "otp_codes", ["user_email", "code"])
    op.create_index("idx_otp_expires", "otp_codes", ["expires_at"])
    op.create_index("idx_otp_used", "otp_codes", ["used"])


def downgrade() -> None:
    """Drop otp_codes."""
    op.drop_index("idx_otp_used", table_name="otp_codes")
    op.drop_index("idx_otp_expires", table_name="otp_codes")
    op.drop_index("idx_otp_email_code", table_name="otp_codes")
    op.drop_table("otp_codes")
