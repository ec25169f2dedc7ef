"""comments: the seed's comments table, each item's approved count, comments.moderate

The seed's example migration ``012_add_comments_table`` as it writes it (columns, the status
CHECK, the cascade with the item, the five indexes). ``content_comment_counts`` keeps each
item's approved count, changed in the transaction of every status change, so item reads show it
without counting. The permission ``comments.moderate`` is granted to admin and editor. Both
tables are content, so time travel captures them.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 06:10:00
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from alembic import op

from sonic_cms.db.change_capture import capture_paused, ensure_capture
from sonic_cms.db.migrations.default_rows import grant_id, permission_id

revision = "0014"
down_revision: str | None = "0013"

_EPOCH_MS = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

PERMISSION = "comments.moderate"
GRANTED_TO = ("admin", "editor")

_INDEXES = {
    "idx_comments_content": "content_id",
    "idx_comments_user": "user_id",
    "idx_comments_parent": "parent_id",
    "idx_comments_status": "status",
    "idx_comments_created": "created_at",
}


def upgrade() -> None:
    """Create comments and content_comment_counts, their capture triggers, and the permission."""
    _create_comments()
    # ``id`` is the item's id as well: time travel keys captured rows by an ``id`` column
    op.create_table(
        "content_comment_counts",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("content_id", sa.Text(), nullable=False),
        sa.Column("approved", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["content_id"],
            ["content.id"],
            name=op.f("fk_content_comment_counts_content_id_content"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_comment_counts")),
        sa.UniqueConstraint("content_id", name=op.f("uq_content_comment_counts_content_id")),
    )
    # A default row, like revision 0001's: not a change time travel replays.
    with capture_paused(op.get_bind()):
        _grant_permission()
    ensure_capture(op.get_bind())


def _create_comments() -> None:
    op.create_table(
        "comments",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("content_id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("parent_id", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default=sa.text("'pending'"), nullable=True),
        sa.Column("created_at", _EPOCH_MS, nullable=False),
        sa.Column("updated_at", _EPOCH_MS, nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'spam', 'deleted')", name=op.f("ck_comments_status")
        ),
        sa.ForeignKeyConstraint(
            ["content_id"],
            ["content.id"],
            name=op.f("fk_comments_content_id_content"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_comments_user_id_users")),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["comments.id"], name=op.f("fk_comments_parent_id_comments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
    )
    for name, column in _INDEXES.items():
        op.create_index(name, "comments", [column], unique=False)


def _grant_permission() -> None:
    now = time.time_ns() // 1_000_000
    permissions = sa.table(
        "permissions",
        *(sa.column(c) for c in ("id", "name", "description", "category", "created_at")),
    )
    op.bulk_insert(
        permissions,
        [
            {
                "id": permission_id(PERMISSION),
                "name": PERMISSION,
                "description": "Approve, mark as spam and delete anyone's comments",
                "category": "comments",
                "created_at": now,
            }
        ],
    )
    grants = sa.table(
        "role_permissions", *(sa.column(c) for c in ("id", "role", "permission_id", "created_at"))
    )
    op.bulk_insert(
        grants,
        [
            {
                "id": grant_id(role, PERMISSION),
                "role": role,
                "permission_id": permission_id(PERMISSION),
                "created_at": now,
            }
            for role in GRANTED_TO
        ],
    )


def downgrade() -> None:
    """Drop both tables and the permission with its grants (whoever it was granted to)."""
    bind = op.get_bind()
    with capture_paused(bind):
        bind.execute(
            sa.text("DELETE FROM role_permissions WHERE permission_id = :id"),
            {"id": permission_id(PERMISSION)},
        )
        bind.execute(
            sa.text("DELETE FROM permissions WHERE id = :id"), {"id": permission_id(PERMISSION)}
        )
    # time travel cannot replay changes of tables that no longer exist
    bind.execute(
        sa.text("DELETE FROM change_log WHERE table_name IN ('comments', 'content_comment_counts')")
    )
    op.drop_table("content_comment_counts")
    for name in _INDEXES:
        op.drop_index(name, table_name="comments")
    op.drop_table("comments")
