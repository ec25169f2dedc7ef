"""settings: the site's own settings, in SonicJS's table shape (its migration 018)

SonicJS keeps site name, description, time zone and maintenance mode in ``settings`` (id,
category, key, JSON value, created_at and updated_at in epoch milliseconds, unique per
category and key). No default rows are written: a setting without a row has its default
(the environment's, for registration), so an admin's saved value is the only thing a row
means.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 20:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sonic_cms.db.change_capture import ensure_capture
from sonic_cms.db.types import JSONText

revision = "0011"
down_revision: str | None = "0010"

_EPOCH_MS = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create settings (unique per category and key), its category index and its capture
    triggers."""
    op.create_table(
        "settings",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", JSONText(), nullable=False),
        sa.Column("created_at", _EPOCH_MS, nullable=False),
        sa.Column("updated_at", _EPOCH_MS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settings")),
        sa.UniqueConstraint("category", "key", name=op.f("uq_settings_category_key")),
    )
    op.create_index("idx_settings_category", "settings", ["category"], unique=False)
    # Time travel replays settings like every other table (the triggers go with the table).
    ensure_capture(op.get_bind())


def downgrade() -> None:
    op.drop_index("idx_settings_category", table_name="settings")
    op.drop_table("settings")
