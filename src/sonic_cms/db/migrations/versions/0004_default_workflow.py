"""default workflow and its transitions

The seed defines the six workflow states but no workflow: this revision adds the default one
(collection_id NULL, used by every collection without its own) and its transitions, each with
the permission it needs: authors submit, editors review and publish.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 12:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"

DEFAULT_WORKFLOW_ID = "default"

#: (from, to, permission)
TRANSITIONS = [
    ("draft", "pending-review", "content.submit"),
    ("pending-review", "draft", "content.submit"),
    ("pending-review", "approved", "content.review"),
    ("pending-review", "rejected", "content.review"),
    ("rejected", "draft", "content.submit"),
    ("approved", "draft", "content.review"),
    ("approved", "published", "content.publish"),
    ("draft", "published", "content.publish"),
    ("published", "draft", "content.publish"),
    ("published", "archived", "content.publish"),
    ("draft", "archived", "content.publish"),
    ("archived", "draft", "content.publish"),
]


def transition_id(workflow_id: str, from_state: str, to_state: str) -> str:
    """Stable ids, so later revisions can address a default transition."""
    return f"wt_{workflow_id}_{from_state}_{to_state}".replace("-", "_")


def upgrade() -> None:
    """Insert the default workflow and its transitions."""
    workflows = sa.table(
        "workflows",
        *(
            sa.column(c)
            for c in (
                "id",
                "name",
                "description",
                "collection_id",
                "is_active",
                "auto_publish",
                "require_approval",
                "approval_levels",
            )
        ),
    )
    op.bulk_insert(
        workflows,
        [
            {
                "id": DEFAULT_WORKFLOW_ID,
                "name": "Default workflow",
                "description": "Authors submit, editors review and publish",
                "collection_id": None,
                "is_active": 1,
                "auto_publish": 0,
                "require_approval": 0,
                "approval_levels": 1,
            }
        ],
    )
    transitions = sa.table(
        "workflow_transitions",
        *(
            sa.column(c)
            for c in (
                "id",
                "workflow_id",
                "from_state_id",
                "to_state_id",
                "required_permission",
                "auto_transition",
            )
        ),
    )
    op.bulk_insert(
        transitions,
        [
            {
                "id": transition_id(DEFAULT_WORKFLOW_ID, src, dst),
                "workflow_id": DEFAULT_WORKFLOW_ID,
                "from_state_id": src,
                "to_state_id": dst,
                "required_permission": perm,
                "auto_transition": 0,
            }
            for src, dst, perm in TRANSITIONS
        ],
    )


def downgrade() -> None:
    """Remove the default workflow (its transitions cascade)."""
    op.execute(sa.text("DELETE FROM workflow_transitions WHERE workflow_id = 'default'"))
    op.execute(sa.text("DELETE FROM workflows WHERE id = 'default'"))
