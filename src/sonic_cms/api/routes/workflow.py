"""Workflow routes: transitions, history, the review queue, states and workflows, schedules."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from sonic_cms.api.deps import CtxDep
from sonic_cms.api.models import workflow as wdocs
from sonic_cms.api.openapi import DocumentedRoute, ok
from sonic_cms.api.params import int_query
from sonic_cms.api.routes._io import json_object
from sonic_cms.inputs.bodies import check_fields
from sonic_cms.pagination import complete_list, list_envelope
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
async def post_transition(content_id: str, request: Request, ctx: CtxDep) -> dict[str, Any]:
    """Body ``{"to_state": "...", "comment": "..."}``; 409 lists the states allowed from here."""
    body = await json_object(request)
    check_fields(body, {"to_state", "comment"})
    to_state, comment = body.get("to_state"), body.get("comment")
    result = await ctx.run_write(lambda: workflow.transition(ctx, content_id, to_state, comment))
    return {"data": result}


@router.get(
    "/api/content/{content_id}/transitions",
    summary="Moves the caller may take",
    responses=ok(wdocs.MoveList),
)
async def get_transitions(content_id: str, ctx: CtxDep) -> dict[str, Any]:
    """The states the caller may move the item to from its current state."""
    moves = await ctx.run_read(lambda: workflow.allowed_transitions(ctx, content_id))
    return complete_list(moves, ctx.clock.now_ms())


@router.get(
    "/api/content/{content_id}/history",
    summary="Every state change of an item",
    responses=ok(wdocs.HistoryList),
)
async def get_history(content_id: str, ctx: CtxDep) -> dict[str, Any]:
    """Oldest first, with who, when, from, to and the comment."""
    entries = await ctx.run_read(lambda: workflow.content_history(ctx, content_id))
    return complete_list(entries, ctx.clock.now_ms())


@router.get(
    "/api/workflow/queue",
    summary="Content awaiting the caller's review",
    responses=ok(wdocs.Queue),
)
async def get_queue(ctx: CtxDep, limit: Limit = 50, offset: Offset = 0) -> dict[str, Any]:
    """Pending-review content the caller may approve or reject (never their own)."""
    page = await ctx.run_read(lambda: workflow.review_queue(ctx, limit=limit, offset=offset))
    items, total = page["items"], page["total"]
    return list_envelope(items, ctx.clock.now_ms(), count=len(items), total=total)


@router.get("/admin/api/workflow/states", summary="Workflow states", responses=ok(wdocs.StateList))
async def get_states(ctx: CtxDep) -> dict[str, Any]:
    """The six default states and any added ones."""
    states = await ctx.run_read(lambda: workflow_definitions.list_states(ctx))
    return complete_list(states, ctx.clock.now_ms())


@router.post(
    "/admin/api/workflow/states",
    status_code=201,
    summary="Add a workflow state",
    responses=ok(wdocs.StateEnvelope, 201),
)
async def post_state(request: Request, ctx: CtxDep) -> dict[str, Any]:
    """Body ``{"id", "name", "description"?, "color"?, "is_initial"?, "is_final"?}``."""
    body = await json_object(request)
    state = await ctx.run_write(lambda: workflow_definitions.create_state(ctx, body))
    return {"data": state}


@router.get(
    "/admin/api/workflows",
    summary="Workflows and their transitions",
    responses=ok(wdocs.WorkflowList),
)
async def get_workflows(ctx: CtxDep) -> dict[str, Any]:
    """The default workflow and every collection's own."""
    workflows = await ctx.run_read(lambda: workflow_definitions.list_workflows(ctx))
    return complete_list(workflows, ctx.clock.now_ms())


@router.post(
    "/admin/api/workflows",
    status_code=201,
    summary="Give a collection a workflow",
    responses=ok(wdocs.WorkflowEnvelope, 201),
)
async def post_workflow(request: Request, ctx: CtxDep) -> dict[str, Any]:
    """Body ``{"collection", "name", "auto_publish"?, "require_approval"?, "approval_levels"?}``."""
    body = await json_object(request)
    created = await ctx.run_write(lambda: workflow_definitions.create_workflow(ctx, body))
    return {"data": created}


@router.patch(
    "/admin/api/workflows/{workflow_id}",
    summary="Change a workflow",
    responses=ok(wdocs.WorkflowEnvelope),
)
async def patch_workflow(workflow_id: str, request: Request, ctx: CtxDep) -> dict[str, Any]:
    """Change name, description, is_active, auto_publish, require_approval, approval_levels."""
    body = await json_object(request)
    changed = await ctx.run_write(
        lambda: workflow_definitions.update_workflow(ctx, workflow_id, body)
    )
    return {"data": changed}


@router.post(
    "/api/content/{content_id}/schedule",
    status_code=201,
    summary="Schedule an action",
    responses=ok(wdocs.ScheduleEnvelope, 201),
)
async def post_schedule(content_id: str, request: Request, ctx: CtxDep) -> dict[str, Any]:
    """Body ``{"action": "publish|unpublish|archive", "scheduled_at", "timezone"?}``."""
    body = await json_object(request)
    created = await ctx.run_write(lambda: scheduling.schedule(ctx, content_id, body))
    return {"data": created}


@router.get(
    "/api/content/{content_id}/schedules",
    summary="An item's schedules",
    responses=ok(wdocs.ScheduleList),
)
async def get_content_schedules(content_id: str, ctx: CtxDep) -> dict[str, Any]:
    """Every schedule of the item, soonest first."""
    rows = await ctx.run_read(lambda: scheduling.list_schedules(ctx, content_id=content_id))
    return complete_list(rows, ctx.clock.now_ms())


@router.get("/api/schedules", summary="Scheduled actions", responses=ok(wdocs.ScheduleList))
async def get_schedules(
    ctx: CtxDep,
    status: Annotated[str | None, Query(max_length=20)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Every schedule, soonest first; ``status`` filters (pending, completed, failed, cancelled)."""
    rows = await ctx.run_read(
        lambda: scheduling.list_schedules(ctx, status=status, limit=limit, offset=offset)
    )
    return complete_list(rows, ctx.clock.now_ms())


@router.delete(
    "/api/schedules/{schedule_id}",
    summary="Cancel a pending schedule",
    responses=ok(wdocs.ScheduleEnvelope),
)
async def delete_schedule(schedule_id: str, ctx: CtxDep) -> dict[str, Any]:
    """409 when the schedule already ran or was cancelled."""
    return {"data": await ctx.run_write(lambda: scheduling.cancel(ctx, schedule_id))}


@router.put(
    "/api/content/{content_id}/embargo",
    summary="Hide published content until a moment",
    responses=ok(wdocs.EmbargoEnvelope),
)
async def put_embargo(content_id: str, request: Request, ctx: CtxDep) -> dict[str, Any]:
    """Body ``{"embargo_until": ISO date-time | epoch ms | null}``."""
    body = await json_object(request)
    check_fields(body, {"embargo_until"})
    until = body.get("embargo_until")
    result = await ctx.run_write(lambda: scheduling.set_embargo(ctx, content_id, until))
    return {"data": result}
