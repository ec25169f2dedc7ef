"""The editor's side panel: status, workflow buttons and history, schedules, versions,
and the pages behind them (the versions page with its diff and rollback).

Every value comes from the service the API uses for the same thing (``workflow.transitions``,
``workflow.scheduling``, ``content.versions``, ``workflow.edits.rollback``), so the panel offers
exactly what the API would accept and a crafted POST still meets the service's 403. Actions
answer htmx with the panel re-rendered and a toast; a plain form post (no JavaScript) is sent
back to the editor with a 303.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from sonic_cms.actors import Actor
from sonic_cms.admin.pages.frame import PageActor, context_for, frame_values, page
from sonic_cms.admin.security import check_csrf, page_headers
from sonic_cms.admin.templating import admin_of, render
from sonic_cms.content import access, history, includes, versions
from sonic_cms.context import Context
from sonic_cms.errors import ServiceError
from sonic_cms.workflow import edits, scheduling, transitions

router = APIRouter(include_in_schema=False)
RECENT_VERSIONS = 5
TIMELINE_SIZE = 12
#: Statuses a refused action must keep (a crafted request gets the service's answer as is).
PROPAGATED = frozenset({401, 403, 404})
#: Button labels of workflow moves: (from, to) first, then by target state.
MOVE_LABELS = {
    ("pending-review", "draft"): "Withdraw from review",
    ("published", "draft"): "Unpublish",
    ("archived", "draft"): "Restore as draft",
    ("rejected", "draft"): "Reopen as draft",
    "pending-review": "Submit for review",
    "approved": "Approve",
    "rejected": "Reject",
    "published": "Publish",
    "archived": "Archive",
    "draft": "Back to draft",
}
SCHEDULABLE = ("publish", "unpublish")
#: The order of the workflow buttons: forward moves first (the first is the primary button).
MOVE_ORDER = ("pending-review", "approved", "published", "rejected", "draft", "archived")


def state_label(state: str | None) -> str:
    """A workflow state id as people read it (``pending-review`` -> ``Pending review``)."""
    return (state or "none").replace("-", " ").capitalize()


def move_label(from_state: str, to_state: str) -> str:
    """The button text of a move."""
    return MOVE_LABELS.get((from_state, to_state)) or MOVE_LABELS.get(
        to_state, f"Move to {state_label(to_state)}"
    )


def ordered(states: list[str]) -> list[str]:
    """Target states in button order (unknown states of custom workflows after the rest)."""
    rank = {state: n for n, state in enumerate(MOVE_ORDER)}
    return sorted(states, key=lambda s: (rank.get(s, len(MOVE_ORDER)), s))


def item_panel_values(ctx: Context, item: dict[str, Any]) -> dict[str, Any]:
    """What ``_item_panel.html`` needs for ``item``; call inside ``ctx.run_read``."""
    actor, item_id = ctx.actor, str(item["id"])
    flow = transitions.item_workflow(ctx, item_id)
    state = flow["state"]
    # versions hold every draft the item had: only for those with draft access (the rule the
    # versions service enforces with a 403; here the section is left out instead)
    history_open = access.can_edit(actor, item.get("author_id"))
    all_versions = versions.list_versions(ctx, item_id) if history_open else []
    moves_history: list[dict[str, Any]] = []
    schedules: list[dict[str, Any]] | None = None
    if history_open and actor.can("workflow.read"):
        moves_history = transitions.content_history(ctx, item_id)
        schedules = scheduling.list_schedules(ctx, content_id=item_id, status="pending")
    names = includes.people(
        ctx, [v["author_id"] for v in all_versions] + [h["user_id"] for h in moves_history]
    )
    return {
        "item": item,
        "state": state,
        "state_name": flow["state_name"],
        "moves": [{"to": to, "label": move_label(state, to)} for to in ordered(flow["offered"])],
        "timeline": timeline(moves_history, all_versions, names),
        "schedules": schedules,
        "can_schedule": scheduling.may_schedule(actor),
        "actions": SCHEDULABLE,
        "zones": scheduling.zone_names(),
        "history_open": history_open,
        "versions": [with_name(v, names) for v in all_versions[:RECENT_VERSIONS]],
        "version_count": len(all_versions),
    }


def with_name(version: dict[str, Any], names: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A version with its author's name."""
    return version | {"author": person(names, version["author_id"])}


def person(names: dict[str, dict[str, Any]], user_id: str | None) -> str:
    """A user's public name, or a neutral word when unknown (deleted, unnamed)."""
    found = names.get(user_id or "")
    return str(found["name"]) if found and found.get("name") else "someone"


def timeline(
    moves: list[dict[str, Any]],
    all_versions: list[dict[str, Any]],
    names: dict[str, dict[str, Any]],
) -> list[dict[str, Any]]:
    """Workflow moves and saved versions, newest first, as one history."""
    entries = [
        {
            "at": m["created_at"] or 0,
            "kind": "move",
            "text": f"{state_label(m['from_state'])} → {state_label(m['to_state'])}",
            "who": person(names, m["user_id"]),
            "comment": m["comment"],
        }
        for m in moves
    ]
    entries += [
        {
            "at": v["created_at"],
            "kind": "version",
            "text": f"Saved version {v['version']}",
            "who": person(names, v["author_id"]),
            "comment": None,
        }
        for v in all_versions
    ]
    entries.sort(key=lambda e: e["at"], reverse=True)
    return entries[:TIMELINE_SIZE]


def panel_for(ctx: Context, content_id: str) -> dict[str, Any]:
    """The item read for the actor, and its panel's values."""
    return item_panel_values(ctx, history.get_item(ctx, content_id))


def problem_text(exc: ServiceError) -> str:
    """A refusal as one sentence for a toast; 422 details name their field."""
    parts = [
        f"{d.get('path')}: {d.get('message')}"
        for d in exc.details
        if isinstance(d, dict) and d.get("path") and d.get("message")
    ]
    return exc.message + (f" ({'; '.join(parts)})" if parts else "")


async def attempt(ctx: Context, call: Callable[[], Any], done: str) -> tuple[str, bool]:
    """Run a service write; the toast text and whether it worked. Refusals a user interface
    never offers (403, 404) propagate to the app's JSON handler untouched."""
    try:
        await ctx.run_write(call)
    except ServiceError as exc:
        if exc.status in PROPAGATED:
            raise
        return problem_text(exc), False
    return done, True


async def form_of(request: Request) -> dict[str, str]:
    """The posted form's text fields."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


async def checked_form(request: Request, actor: Actor) -> dict[str, str]:
    """The form of an unsafe request, after the CSRF check (403 ``csrf_failed``)."""
    await check_csrf(request, admin_of(request).settings, actor.session_id)
    return await form_of(request)


async def panel_answer(
    request: Request, actor: Actor, ctx: Context, content_id: str, toast: tuple[str, bool]
) -> Response:
    """htmx: the re-rendered panel and a toast; a plain post: 303 back to the editor."""
    if not request.headers.get("hx-request"):
        target = f"/admin/content/{content_id}/edit"
        return page_headers(RedirectResponse(target, status_code=303))
    panel = await ctx.run_read(lambda: panel_for(ctx, content_id))
    message, ok = toast
    return render(
        request,
        "_item_panel_swap.html",
        session_id=actor.session_id,
        panel=panel,
        toast=message,
        toast_ok=ok,
    )


@router.post("/admin/content/{content_id}/transition")
async def post_transition(content_id: str, request: Request, actor: PageActor) -> Response:
    """Take a workflow move (``to_state``) with an optional ``comment``."""
    form = await checked_form(request, actor)
    ctx = context_for(request, actor)
    to_state, comment = form.get("to_state", ""), form.get("comment", "").strip() or None
    toast = await attempt(
        ctx,
        lambda: transitions.transition(ctx, content_id, to_state, comment),
        f"Moved to {state_label(to_state)}",
    )
    return await panel_answer(request, actor, ctx, content_id, toast)


@router.post("/admin/content/{content_id}/schedule")
async def post_schedule(content_id: str, request: Request, actor: PageActor) -> Response:
    """Schedule ``action`` at ``date`` ``time`` in ``timezone`` (the service parses it)."""
    form = await checked_form(request, actor)
    ctx = context_for(request, actor)
    action, zone = form.get("action", ""), form.get("timezone") or "UTC"
    moment = f"{form.get('date', '')}T{form.get('time', '')}"
    body = {"action": action, "scheduled_at": moment, "timezone": zone}
    toast = await attempt(
        ctx,
        lambda: scheduling.schedule(ctx, content_id, body),
        f"Scheduled {action} for {moment.replace('T', ' ')} ({zone})",
    )
    return await panel_answer(request, actor, ctx, content_id, toast)


@router.post("/admin/content/{content_id}/schedules/{schedule_id}/cancel")
async def post_cancel(
    content_id: str, schedule_id: str, request: Request, actor: PageActor
) -> Response:
    """Cancel a pending schedule."""
    await checked_form(request, actor)
    ctx = context_for(request, actor)
    toast = await attempt(
        ctx, lambda: scheduling.cancel(ctx, schedule_id), "Cancelled the scheduled action"
    )
    return await panel_answer(request, actor, ctx, content_id, toast)


def shown(value: Any) -> str:
    """A field's value as text: strings as they are (rich text stays escaped markup in the
    template), everything else as indented JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


def version_number(raw: str | None) -> int | None:
    """A version number from the query string, or None."""
    return int(raw) if raw and raw.isdigit() and len(raw) < 10 else None


def pick_pair(all_versions: list[dict[str, Any]], a: int | None, b: int | None) -> tuple[int, int]:
    """The two versions to compare: those asked for, else the newest and the one before."""
    numbers = [int(v["version"]) for v in all_versions]
    second = b if b is not None and b in numbers else numbers[0]
    first = (
        a if a is not None and a in numbers else next((n for n in numbers if n < second), second)
    )
    return first, second


def versions_values(
    ctx: Context, content_id: str, a: int | None, b: int | None, show_all: bool
) -> dict[str, Any]:
    """The versions page: the list, the comparison of two versions, rollback previews."""
    item = history.get_item(ctx, content_id)
    all_versions = versions.list_versions(ctx, content_id)
    names = includes.people(ctx, [v["author_id"] for v in all_versions])
    current = {key: item[key] for key in ("title", "slug", "status", "data")}
    listed = []
    for v in all_versions:
        changes = versions.rollback_changes(current, v)
        listed.append(
            with_name(v, names) | {"rollback": changes, "summary": summary(v, all_versions)}
        )
    values: dict[str, Any] = {"item": item, "versions": listed, "compare": None}
    if len(all_versions) > 1:
        first, second = pick_pair(all_versions, a, b)
        old = versions.get_version(ctx, content_id, first)
        new = versions.get_version(ctx, content_id, second)
        rows = versions.field_rows(old, new)
        values["compare"] = {
            "a": first,
            "b": second,
            "all": show_all,
            "changed": sum(1 for r in rows if r["changed"]),
            "rows": [
                r | {"old": shown(r["from"]), "new": shown(r["to"])}
                for r in rows
                if show_all or r["changed"]
            ],
        }
    panel = item_panel_values(ctx, item)
    return values | {"panel": panel} | frame_values(ctx, current="")


def summary(version: dict[str, Any], all_versions: list[dict[str, Any]]) -> str:
    """What a version changed against the one before it (the first: "Created")."""
    older = next((v for v in all_versions if v["version"] < version["version"]), None)
    if older is None:
        return "Created"
    changed = [c["field"].removeprefix("data.") for c in versions.diff_snapshots(older, version)]
    if not changed:
        return "No field changed"
    head = ", ".join(changed[:4])
    return f"Changed {head}" + (f" and {len(changed) - 4} more" if len(changed) > 4 else "")


@router.get("/admin/content/{content_id}/versions")
async def versions_page(content_id: str, request: Request, actor: PageActor) -> Response:
    """The versions of an item, two of them compared, rollback with confirmation."""
    query = request.query_params
    a, b = version_number(query.get("a")), version_number(query.get("b"))
    show_all = query.get("all") == "1"
    ctx = context_for(request, actor)
    values = await ctx.run_read(lambda: versions_values(ctx, content_id, a, b, show_all))
    restored = version_number(query.get("restored"))
    notice = f"Restored version {restored} as a new version" if restored else None
    title = values["item"]["title"] or "(untitled)"
    crumbs = [(title, f"/admin/content/{content_id}/edit"), ("Versions", None)]
    return page(request, actor, "versions.html", crumbs=crumbs, notice=notice, **values)


@router.post("/admin/content/{content_id}/rollback")
async def post_rollback(content_id: str, request: Request, actor: PageActor) -> Response:
    """Roll back to ``version`` (a new version with its title, slug and data)."""
    form = await checked_form(request, actor)
    ctx = context_for(request, actor)
    number = version_number(form.get("version"))
    message, ok = await attempt(
        ctx, lambda: edits.rollback(ctx, content_id, number if number else form.get("version")), ""
    )
    if not ok:
        values = await ctx.run_read(lambda: versions_values(ctx, content_id, None, None, False))
        crumbs = [("Versions", None)]
        return page(request, actor, "versions.html", crumbs=crumbs, error=message, **values)
    target = f"/admin/content/{content_id}/versions?restored={number}"
    return page_headers(RedirectResponse(target, status_code=303))
