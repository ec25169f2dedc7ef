"""time travel change log

The ``change_log`` table, the ``change_log_pause`` flag table, and capture triggers on every
table (SQLite: three triggers per table built from its columns with json_object; PostgreSQL:
one trigger function with to_jsonb(NEW) and a trigger per table).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sonic_cms.db.change_capture import drop_capture, ensure_capture
from sonic_cms.db.types import JSONText

revision = "0005"
down_revision: str | None = "0004"


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "change_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("table_name", sa.Text(), nullable=False),
        sa.Column("op", sa.Text(), nullable=False),
        sa.Column("row_id", sa.Text(), nullable=False),
        sa.Column("row_data", JSONText(), nullable=True),
        sa.Column(
            "changed_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("txid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_log")),
        sqlite_autoincrement=True,
    )
    op.create_index("idx_change_log_changed_at", "change_log", ["changed_at"], unique=False)
    op.create_index(
        "idx_change_log_table_row", "change_log", ["table_name", "row_id"], unique=False
    )
    op.create_table(
        "change_log_pause",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_log_pause")),
    )
    ensure_capture(op.get_bind())


def downgrade() -> None:
    """Revert this revision."""
    drop_capture(op.get_bind())
    op.drop_table("change_log_pause")
    op.drop_index("idx_change_log_table_row", table_name="change_log")
    op.drop_index("idx_change_log_changed_at", table_name="change_log")
    op.drop_table("change_log")
