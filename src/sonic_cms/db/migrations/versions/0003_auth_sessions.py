"""auth sessions, login throttles, TOTP steps and the roles.manage permission

Sessions make logout and password resets revoke tokens server-side; throttle counters are shared
by every worker; ``roles.manage`` guards the role/permission admin API and is granted to admin.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 12:40:00
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"

_EPOCH_MS = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create auth_sessions and auth_throttle; add roles.manage for admin."""
    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("refresh_token_hash", sa.Text(), nullable=False),
        sa.Column("previous_refresh_hash", sa.Text(), nullable=True),
        sa.Column("created_at", _EPOCH_MS, nullable=False),
        sa.Column("expires_at", _EPOCH_MS, nullable=False),
        sa.Column("last_used_at", _EPOCH_MS, nullable=True),
        sa.Column("revoked_at", _EPOCH_MS, nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("ip_address", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_auth_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_sessions")),
        sa.UniqueConstraint("refresh_token_hash", name=op.f("uq_auth_sessions_refresh_token_hash")),
    )
    op.create_index("idx_auth_sessions_user", "auth_sessions", ["user_id"], unique=False)
    op.create_index(
        "idx_auth_sessions_previous", "auth_sessions", ["previous_refresh_hash"], unique=False
    )
    op.create_table(
        "auth_throttle",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", _EPOCH_MS, nullable=False),
        sa.Column("locked_until", _EPOCH_MS, nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_auth_throttle")),
    )
    op.create_table(
        "auth_totp_steps",
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("last_step", _EPOCH_MS, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_auth_totp_steps_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_auth_totp_steps")),
    )
    now = time.time_ns() // 1_000_000
    permissions = sa.table(
        "permissions",
        *(sa.column(c) for c in ("id", "name", "description", "category", "created_at")),
    )
    op.bulk_insert(
        permissions,
        [
            {
                "id": "perm_roles_manage",
                "name": "roles.manage",
                "description": "Grant and revoke role permissions",
                "category": "roles",
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
                "id": "rp_admin_roles_manage",
                "role": "admin",
                "permission_id": "perm_roles_manage",
                "created_at": now,
            }
        ],
    )


def downgrade() -> None:
    """Drop the tables and the roles.manage permission."""
    op.execute("DELETE FROM role_permissions WHERE permission_id = 'perm_roles_manage'")
    op.execute("DELETE FROM permissions WHERE id = 'perm_roles_manage'")
    op.drop_table("auth_totp_steps")
    op.drop_table("auth_throttle")
    op.drop_index("idx_auth_sessions_previous", table_name="auth_sessions")
    op.drop_index("idx_auth_sessions_user", table_name="auth_sessions")
    op.drop_table("auth_sessions")
