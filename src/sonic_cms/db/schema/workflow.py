"""Workflow and automation tables: states, workflows, transitions, history, schedules.

The seed declares their timestamps as DATETIME DEFAULT CURRENT_TIMESTAMP; they stay so (UTC).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from sonic_cms.db.schema.base import Base, int_flag, pk, references, timestamp_now
from sonic_cms.db.types import JSONText


class WorkflowState(Base):
    """A state content can be in (draft, pending-review, ...)."""

    __tablename__ = "workflow_states"

    id: Mapped[str] = pk()
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    color: Mapped[str | None] = mapped_column(Text, server_default=text("'#6B7280'"))
    is_initial: Mapped[bool | None] = int_flag(False)
    is_final: Mapped[bool | None] = int_flag(False)
    created_at: Mapped[datetime | None] = timestamp_now()


class Workflow(Base):
    """A workflow definition, for one collection or (collection_id NULL) the default."""

    __tablename__ = "workflows"

    id: Mapped[str] = pk()
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    collection_id: Mapped[str | None] = mapped_column(
        Text, ForeignKey("collections.id", ondelete="CASCADE")
    )
    is_active: Mapped[bool | None] = int_flag(True)
    auto_publish: Mapped[bool | None] = int_flag(False)
    require_approval: Mapped[bool | None] = int_flag(True)
    approval_levels: Mapped[int | None] = mapped_column(Integer, server_default=text("1"))
    created_at: Mapped[datetime | None] = timestamp_now()
    updated_at: Mapped[datetime | None] = timestamp_now()


class WorkflowTransition(Base):
    """A move allowed between two states, with the permission it needs."""

    __tablename__ = "workflow_transitions"

    id: Mapped[str] = pk()
    workflow_id: Mapped[str] = references("workflows.id", cascade=True)
    from_state_id: Mapped[str] = references("workflow_states.id")
    to_state_id: Mapped[str] = references("workflow_states.id")
    required_permission: Mapped[str | None] = mapped_column(Text)
    auto_transition: Mapped[bool | None] = int_flag(False)
    transition_conditions: Mapped[Any | None] = mapped_column(JSONText())
    created_at: Mapped[datetime | None] = timestamp_now()


class WorkflowHistory(Base):
    """The audit trail of every state change."""

    __tablename__ = "workflow_history"

    id: Mapped[str] = pk()
    content_id: Mapped[str] = references("content.id", cascade=True)
    workflow_id: Mapped[str] = references("workflows.id")
    from_state_id: Mapped[str | None] = references("workflow_states.id")
    to_state_id: Mapped[str] = references("workflow_states.id")
    user_id: Mapped[str] = references("users.id")
    comment: Mapped[str | None] = mapped_column(Text)
    meta: Mapped[Any | None] = mapped_column("metadata", JSONText())
    created_at: Mapped[datetime | None] = timestamp_now()

    __table_args__ = (
        Index("idx_workflow_history_content", "content_id"),
        Index("idx_workflow_history_user", "user_id"),
    )


class ScheduledContent(Base):
    """A publish, unpublish or archive action due at a moment."""

    __tablename__ = "scheduled_content"

    id: Mapped[str] = pk()
    content_id: Mapped[str] = references("content.id", cascade=True)
    action: Mapped[str] = mapped_column(Text)
    scheduled_at: Mapped[datetime] = mapped_column(DateTime)
    timezone: Mapped[str | None] = mapped_column(Text, server_default=text("'UTC'"))
    user_id: Mapped[str] = references("users.id")
    status: Mapped[str | None] = mapped_column(Text, server_default=text("'pending'"))
    executed_at: Mapped[datetime | None] = mapped_column(DateTime)
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime | None] = timestamp_now()

    __table_args__ = (
        Index("idx_scheduled_content_scheduled_at", "scheduled_at"),
        Index("idx_scheduled_content_status", "status"),
    )
