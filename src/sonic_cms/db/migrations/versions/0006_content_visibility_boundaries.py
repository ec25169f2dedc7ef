"""partial indexes on the content time windows (embargo_until, expires_at)

Cached public reads must not outlive the next moment an item enters or leaves its window.
Finding that moment is a ``min()`` over the rows that have a window; these partial indexes hold
only those rows, so the lookup is one index seek and the bulk of the table (no window) costs
nothing to maintain.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 16:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"

INDEXES = {
    "idx_content_embargo_pending": "embargo_until",
    "idx_content_expiry_pending": "expires_at",
}


def upgrade() -> None:
    for name, column in INDEXES.items():
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(name, "content", [column], sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="content")
