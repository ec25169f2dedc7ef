"""Workflow routes: transitions, history, the review queue, states and workflows, schedules."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from sonic_cms.api.deps import ActorDep, ClockDep, DbDep
from sonic_cms.api.models import workflow as wdocs
from sonic_cms.api.openapi import DocumentedRoute, ok
from sonic_cms.api.params import int_query
from sonic_cms.api.routes._io import json_object
from sonic_cms.workflow import definitions as workflow_definitions
from sonic_cms.workflow import scheduling
from sonic_cms.workflow import transitions as workflow

router = APIRouter(tags=["workflow"], route_class=DocumentedRoute)

Limit = Annotated[int, int_query(ge=1, le=200)]
Offset = Annotated[int, int_query(ge=0)]


@router.post(
    "/api/content/{content_id}/transitions",
    summary="Move content to another state",
    responses=ok(wdocs.TransitionResultEnvelope),
)
async def post_transition(
    content_id: str, request: Request, db: DbDep, actor: ActorDep, clock: ClockDep
) -> dict[str, Any]:
    """Body ``{"to_state": "...", "comment": "..."}``; 409 lists the states allowed from here."""
    body = await json_object(request)
    result = await db.run_write(
        workflow.transition,
        db,
        actor,
        clock,
        content_id,
        body.get("to_state"),
        body.get("comment"),
    )
    return {"data": result}


@router.get(
    "/api/content/{content_id}/transitions",
    summary="Moves the caller may take",
    responses=ok(wdocs.MoveList),
)
async def get_transitions(content_id: str, db: DbDep, actor: ActorDep) -> dict[str, Any]:
    """The states the caller may move the item to from its current state."""
    return {"data": await db.run_read(workflow.allowed_transitions, db, actor, content_id)}


@router.get(
    "/api/content/{content_id}/history",
    summary="Every state change of an item",
    responses=ok(wdocs.HistoryList),
)
async def get_history(content_id: str, db: DbDep, actor: ActorDep) -> dict[str, Any]:
    """Oldest first, with who, when, from, to and the comment."""
    entries = await db.run_read(workflow.content_history, db, actor, content_id)
    return {"data": entries, "meta": {"count": len(entries)}}


@router.get(
    "/api/workflow/queue",
    summary="Content awaiting the caller's review",
    responses=ok(wdocs.Queue),
)
async def get_queue(
    db: DbDep, actor: ActorDep, limit: Limit = 50, offset: Offset = 0
) -> dict[str, Any]:
    """Pending-review content the caller may approve or reject (never their own)."""
    page = await db.run_read(workflow.review_queue, db, actor, limit=limit, offset=offset)
    return {"data": page["items"], "meta": {"count": len(page["items"]), "total": page["total"]}}


@router.get("/admin/api/workflow/states", summary="Workflow states", responses=ok(wdocs.StateList))
async def get_states(db: DbDep, actor: ActorDep) -> dict[str, Any]:
    """The six default states and any added ones."""
    return {"data": await db.run_read(workflow_definitions.list_states, db, actor)}


@router.post(
    "/admin/api/workflow/states",
    status_code=201,
    summary="Add a workflow state",
    responses=ok(wdocs.StateEnvelope, 201),
)
async def post_state(
    request: Request, db: DbDep, actor: ActorDep, clock: ClockDep
) -> dict[str, Any]:
    """Body ``{"id", "name", "description"?, "color"?, "is_initial"?, "is_final"?}``."""
    body = await json_object(request)
    state = await db.run_write(workflow_definitions.create_state, db, actor, clock, body)
    return {"data": state}


@router.get(
    "/admin/api/workflows",
    summary="Workflows and their transitions",
    responses=ok(wdocs.WorkflowList),
)
async def get_workflows(db: DbDep, actor: ActorDep) -> dict[str, Any]:
    """The default workflow and every collection's own."""
    return {"data": await db.run_read(workflow_definitions.list_workflows, db, actor)}


@router.post(
    "/admin/api/workflows",
    status_code=201,
    summary="Give a collection a workflow",
    responses=ok(wdocs.WorkflowEnvelope, 201),
)
async def post_workflow(
    request: Request, db: DbDep, actor: ActorDep, clock: ClockDep
) -> dict[str, Any]:
    """Body ``{"collection", "name", "auto_publish"?, "require_approval"?, "approval_levels"?}``."""
    body = await json_object(request)
    created = await db.run_write(workflow_definitions.create_workflow, db, actor, clock, body)
    return {"data": created}


@router.patch(
    "/admin/api/workflows/{workflow_id}",
    summary="Change a workflow",
    responses=ok(wdocs.WorkflowEnvelope),
)
async def patch_workflow(
    workflow_id: str, request: Request, db: DbDep, actor: ActorDep, clock: ClockDep
) -> dict[str, Any]:
    """Change name, description, is_active, auto_publish, require_approval, approval_levels."""
    body = await json_object(request)
    changed = await db.run_write(
        workflow_definitions.update_workflow, db, actor, clock, workflow_id, body
    )
    return {"data": changed}


@router.post(
    "/api/content/{content_id}/schedule",
    status_code=201,
    summary="Schedule an action",
    responses=ok(wdocs.ScheduleEnvelope, 201),
)
async def post_schedule(
    content_id: str, request: Request, db: DbDep, actor: ActorDep, clock: ClockDep
) -> dict[str, Any]:
    """Body ``{"action": "publish|unpublish|archive", "scheduled_at", "timezone"?}``."""
    body = await json_object(request)
    created = await db.run_write(scheduling.schedule, db, actor, clock, content_id, body)
    return {"data": created}


@router.get(
    "/api/content/{content_id}/schedules",
    summary="An item's schedules",
    responses=ok(wdocs.ScheduleList),
)
async def get_content_schedules(content_id: str, db: DbDep, actor: ActorDep) -> dict[str, Any]:
    """Every schedule of the item, soonest first."""
    rows = await db.run_read(scheduling.list_schedules, db, actor, content_id=content_id)
    return {"data": rows, "meta": {"count": len(rows)}}


@router.get("/api/schedules", summary="Scheduled actions", responses=ok(wdocs.ScheduleList))
async def get_schedules(
    db: DbDep,
    actor: ActorDep,
    status: Annotated[str | None, Query(max_length=20)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Every schedule, soonest first; ``status`` filters (pending, completed, failed, cancelled)."""
    rows = await db.run_read(
        scheduling.list_schedules, db, actor, status=status, limit=limit, offset=offset
    )
    return {"data": rows, "meta": {"count": len(rows)}}


@router.delete(
    "/api/schedules/{schedule_id}",
    summary="Cancel a pending schedule",
    responses=ok(wdocs.ScheduleEnvelope),
)
async def delete_schedule(
    schedule_id: str, db: DbDep, actor: ActorDep, clock: ClockDep
) -> dict[str, Any]:
    """409 when the schedule already ran or was cancelled."""
    return {"data": await db.run_write(scheduling.cancel, db, actor, clock, schedule_id)}


@router.put(
    "/api/content/{content_id}/embargo",
    summary="Hide published content until a moment",
    responses=ok(wdocs.EmbargoEnvelope),
)
async def put_embargo(
    content_id: str, request: Request, db: DbDep, actor: ActorDep, clock: ClockDep
) -> dict[str, Any]:
    """Body ``{"embargo_until": ISO date-time | epoch ms | null}``."""
    body = await json_object(request)
    result = await db.run_write(
        scheduling.set_embargo, db, actor, clock, content_id, body.get("embargo_until")
    )
    return {"data": result}
