"""OpenAPI models of the workflow, review queue, schedule and embargo routes' answers."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from sonic_cms.api.models.common import CountMeta, TimestampMeta


class Approvals(BaseModel):
    """Approval rounds so far, of those the workflow requires."""

    count: int
    required: int | None


class TransitionResult(BaseModel):
    """The item's workflow columns after a move."""

    content_id: str
    workflow_state_id: str | None
    status: str
    review_status: str | None
    reviewer_id: str | None
    reviewed_at: int | None
    published_at: int | None
    approvals: Approvals | None = Field(None, description="When the workflow counts approvals")


class TransitionResultEnvelope(BaseModel):
    """``POST /api/content/{id}/transitions``."""

    data: TransitionResult


class Move(BaseModel):
    """A state the caller may move the item to."""

    to: str
    required_permission: str | None


class MoveList(BaseModel):
    """``GET /api/content/{id}/transitions``."""

    data: list[Move]
    meta: CountMeta


class HistoryEntry(BaseModel):
    """One state change."""

    id: str
    content_id: str
    workflow_id: str
    from_state: str | None
    to_state: str
    user_id: str
    comment: str | None
    metadata: dict[str, Any]
    created_at: int | None


class HistoryList(BaseModel):
    """``GET /api/content/{id}/history``, oldest first."""

    data: list[HistoryEntry]
    meta: CountMeta


class QueueItem(BaseModel):
    """Content awaiting review."""

    id: str
    title: str
    slug: str
    collection_id: str
    author_id: str
    updated_at: int


class QueueMeta(TimestampMeta):
    """The page's size and how many await review in all."""

    count: int
    total: int


class Queue(BaseModel):
    """``GET /api/workflow/queue``."""

    data: list[QueueItem]
    meta: QueueMeta


class State(BaseModel):
    """A workflow state."""

    id: str
    name: str
    description: str | None
    color: str | None
    is_initial: bool
    is_final: bool


class StateList(BaseModel):
    """``GET /admin/api/workflow/states``."""

    data: list[State]
    meta: CountMeta


class StateEnvelope(BaseModel):
    """``POST /admin/api/workflow/states``."""

    data: State


class Transition(BaseModel):
    """A move a workflow allows, and the permission it takes."""

    id: str
    from_: str = Field(alias="from")
    to: str
    required_permission: str | None


class Workflow(BaseModel):
    """A workflow with its transitions; ``collection_id`` null for the default one."""

    id: str
    name: str
    description: str | None
    collection_id: str | None
    is_active: bool
    auto_publish: bool
    require_approval: bool
    approval_levels: int | None
    transitions: list[Transition]


class WorkflowList(BaseModel):
    """``GET /admin/api/workflows``."""

    data: list[Workflow]
    meta: CountMeta


class WorkflowEnvelope(BaseModel):
    """One workflow."""

    data: Workflow


class Schedule(BaseModel):
    """A scheduled publish, unpublish or archive."""

    id: str
    content_id: str
    action: str = Field(description="publish, unpublish or archive")
    scheduled_at: int
    scheduled_at_iso: str
    timezone: str | None
    user_id: str
    status: str | None = Field(description="pending, completed, failed or cancelled")
    executed_at: int | None
    error_message: str | None


class ScheduleEnvelope(BaseModel):
    """One schedule."""

    data: Schedule


class ScheduleList(BaseModel):
    """Schedules, soonest first."""

    data: list[Schedule]
    meta: CountMeta


class Embargo(BaseModel):
    """The item's embargo (epoch ms), or null when lifted."""

    content_id: str
    embargo_until: int | None


class EmbargoEnvelope(BaseModel):
    """``PUT /api/content/{id}/embargo``."""

    data: Embargo
