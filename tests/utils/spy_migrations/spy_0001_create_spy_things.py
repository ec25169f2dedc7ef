"""Create spy_things.

Revision ID: spy_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "spy_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "spy_things",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("title", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("spy_things")
