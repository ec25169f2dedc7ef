"""OpenAPI models of the workflow, review queue, schedule and embargo routes' answers."""

from __future__ import annotations

from pydantic import BaseModel, Field

from sonic_cms.api.models.common import CountMeta, TimestampMeta
from sonic_cms.api.models.representations import Schedule, WorkflowEntry


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


class HistoryList(BaseModel):
    """``GET /api/content/{id}/history``, oldest first."""

    data: list[WorkflowEntry]
    meta: CountMeta


class QueueItem(BaseModel):
    """Content awaiting review."""

    id: str
    title: str
    slug: str
    collection_id: str
    author_id: str
    updated_at: int
    submitted_at: int | None = Field(description="When it last entered review (epoch ms)")


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
