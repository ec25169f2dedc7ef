"""webhooks: endpoints, the delivery outbox and its attempts (issue 18)

``webhook_endpoints`` is captured by time travel like every table of the site's configuration.
``webhook_events`` (the outbox) and ``webhook_attempts`` are not (db/change_capture.py
``UNCAPTURED``): they are a delivery log, rewritten on every attempt, and travelling back must not
resurrect deliveries that already happened. Backups and exports still hold all three.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 06:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sonic_cms.db.change_capture import ensure_capture
from sonic_cms.db.types import IntBool, JSONText

revision = "0016"
down_revision: str | None = "0015"

_EPOCH_MS = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the three tables, their indexes and the endpoints' capture triggers."""
    _create_endpoints()
    _create_events()
    _create_attempts()
    ensure_capture(op.get_bind())


def _create_endpoints() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("events", JSONText(), nullable=False),
        sa.Column("collections", JSONText(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("is_active", IntBool(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "consecutive_failures", sa.Integer(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.Column("created_at", _EPOCH_MS, nullable=False),
        sa.Column("updated_at", _EPOCH_MS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
    )


def _create_events() -> None:
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("endpoint_id", sa.Text(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default=sa.text("'pending'"), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", _EPOCH_MS, nullable=False),
        sa.Column("claimed_until", _EPOCH_MS, nullable=True),
        sa.Column("created_at", _EPOCH_MS, nullable=False),
        sa.Column("delivered_at", _EPOCH_MS, nullable=True),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoints.id"],
            name=op.f("fk_webhook_events_endpoint_id_webhook_endpoints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
    )
    op.create_index("idx_webhook_events_due", "webhook_events", ["status", "next_attempt_at"])
    op.create_index("idx_webhook_events_endpoint", "webhook_events", ["endpoint_id", "created_at"])


def _create_attempts() -> None:
    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("started_at", _EPOCH_MS, nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["webhook_events.id"],
            name=op.f("fk_webhook_attempts_event_id_webhook_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts")),
    )
    op.create_index("idx_webhook_attempts_event", "webhook_attempts", ["event_id", "attempt"])


def downgrade() -> None:
    """Drop the three tables (the endpoints' capture triggers go with their table)."""
    op.drop_index("idx_webhook_attempts_event", table_name="webhook_attempts")
    op.drop_table("webhook_attempts")
    op.drop_index("idx_webhook_events_endpoint", table_name="webhook_events")
    op.drop_index("idx_webhook_events_due", table_name="webhook_events")
    op.drop_table("webhook_events")
    op.drop_table("webhook_endpoints")
