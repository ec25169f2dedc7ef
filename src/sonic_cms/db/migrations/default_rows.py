"""The default rows revision 0001 writes, frozen here so that later changes go in new revisions.

Workflow states and the five log_config rows are the seed's; media, system and error log
settings are SonicJS's; the permission catalogue extends the seed's content.* to every area,
with ids ``perm_<category>_<action>`` and grants ``rp_<role>_<category>_<action>`` as the seed's.
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from alembic import op

WORKFLOW_STATES = [
    ("draft", "Draft", "Content is being worked on", "#F59E0B", 1, 0),
    ("pending-review", "Pending Review", "Content is waiting for review", "#3B82F6", 0, 0),
    ("approved", "Approved", "Content has been approved", "#10B981", 0, 0),
    ("published", "Published", "Content is live", "#059669", 0, 1),
    ("rejected", "Rejected", "Content was rejected", "#EF4444", 0, 1),
    ("archived", "Archived", "Content has been archived", "#6B7280", 0, 1),
]

LOG_CONFIG = [
    ("log-config-auth", "auth", True, "info", 90, 50),
    ("log-config-api", "api", True, "info", 30, 100),
    ("log-config-workflow", "workflow", True, "info", 60, 50),
    ("log-config-plugin", "plugin", True, "warn", 30, 25),
    ("log-config-security", "security", True, "warn", 180, 100),
    ("log-config-media", "media", True, "info", 30, 50),
    ("log-config-system", "system", True, "info", 90, 100),
    ("log-config-error", "error", True, "error", 90, 200),
]

#: (name, description); the category is the part before the dot.
PERMISSIONS = [
    ("content.create", "Create new content"),
    ("content.read", "View content"),
    ("content.update", "Edit existing content"),
    ("content.delete", "Delete content"),
    ("content.publish", "Publish/unpublish content"),
    ("content.update_own", "Edit content one authored"),
    ("content.delete_own", "Delete content one authored"),
    ("content.submit", "Submit content for review"),
    ("content.review", "Approve or reject content in review"),
    ("users.create", "Create and invite users"),
    ("users.read", "View users"),
    ("users.update", "Edit users, their roles and status"),
    ("users.delete", "Delete users"),
    ("collections.create", "Create collections"),
    ("collections.read", "View collections and their schemas"),
    ("collections.update", "Edit collections and their schemas"),
    ("collections.delete", "Delete collections"),
    ("media.upload", "Upload media"),
    ("media.read", "View media"),
    ("media.update", "Edit any media's metadata and folder"),
    ("media.delete", "Delete any media"),
    ("settings.read", "View settings"),
    ("settings.update", "Change settings"),
    ("workflow.read", "View workflows, history and schedules"),
    ("workflow.manage", "Define workflows, states and transitions"),
    ("workflow.schedule", "Schedule publishing actions"),
    ("plugins.read", "View plugins"),
    ("plugins.manage", "Install, activate, configure and remove plugins"),
    ("logs.read", "View system logs"),
    ("logs.manage", "Change log settings and prune logs"),
    ("api_tokens.create", "Create API tokens for oneself"),
    ("api_tokens.read", "View one's API tokens"),
    ("api_tokens.delete", "Revoke one's API tokens"),
    ("api_tokens.manage", "View and revoke anyone's API tokens"),
]

_CONTENT_ALL = [name for name, _ in PERMISSIONS if name.startswith("content.")]
_MEDIA_ALL = ["media.upload", "media.read", "media.update", "media.delete"]
_OWN_TOKENS = ["api_tokens.create", "api_tokens.read", "api_tokens.delete"]

ROLE_GRANTS: dict[str, list[str]] = {
    "admin": [name for name, _ in PERMISSIONS],
    "editor": [
        *_CONTENT_ALL,
        *_MEDIA_ALL,
        "collections.read",
        "workflow.read",
        "workflow.schedule",
        *_OWN_TOKENS,
    ],
    "author": [
        "content.create",
        "content.read",
        "content.update_own",
        "content.delete_own",
        "content.submit",
        "collections.read",
        "media.upload",
        "media.read",
        "workflow.read",
        *_OWN_TOKENS,
    ],
    "viewer": ["content.read", "collections.read", "media.read"],
}


def permission_id(name: str) -> str:
    """``content.create`` -> ``perm_content_create``, the seed's id scheme."""
    return "perm_" + name.replace(".", "_")


def grant_id(role: str, name: str) -> str:
    """``admin``, ``content.create`` -> ``rp_admin_content_create``, the seed's id scheme."""
    return f"rp_{role}_" + name.replace(".", "_")


def insert_default_rows_0001() -> None:
    """Insert the default rows of revision 0001."""
    now = time.time_ns() // 1_000_000
    states = sa.table(
        "workflow_states",
        *(sa.column(c) for c in ("id", "name", "description", "color", "is_initial", "is_final")),
    )
    op.bulk_insert(
        states,
        [
            dict(
                zip(
                    ("id", "name", "description", "color", "is_initial", "is_final"),
                    row,
                    strict=True,
                )
            )
            for row in WORKFLOW_STATES
        ],
    )
    log_config = sa.table(
        "log_config",
        *(
            sa.column(c)
            for c in (
                "id",
                "category",
                "enabled",
                "level",
                "retention_days",
                "max_size_mb",
                "created_at",
                "updated_at",
            )
        ),
    )
    op.bulk_insert(
        log_config,
        [
            {
                "id": i,
                "category": c,
                "enabled": e,
                "level": lv,
                "retention_days": r,
                "max_size_mb": m,
                "created_at": now,
                "updated_at": now,
            }
            for i, c, e, lv, r, m in LOG_CONFIG
        ],
    )
    permissions = sa.table(
        "permissions",
        *(sa.column(c) for c in ("id", "name", "description", "category", "created_at")),
    )
    op.bulk_insert(
        permissions,
        [
            {
                "id": permission_id(n),
                "name": n,
                "description": d,
                "category": n.split(".")[0],
                "created_at": now,
            }
            for n, d in PERMISSIONS
        ],
    )
    grants = sa.table(
        "role_permissions", *(sa.column(c) for c in ("id", "role", "permission_id", "created_at"))
    )
    op.bulk_insert(
        grants,
        [
            {
                "id": grant_id(role, n),
                "role": role,
                "permission_id": permission_id(n),
                "created_at": now,
            }
            for role, names in ROLE_GRANTS.items()
            for n in names
        ],
    )
