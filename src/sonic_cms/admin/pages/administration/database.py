"""``/admin/database``: migration state, backups on the storage backend, and time travel for
one item.

Every value comes from a service that checks ``settings.update`` itself
(``database_state.migration_state``, ``backup_store``, ``backup_jobs``); time travel reads with
``content.history.content_as_of`` under the content read policy and restores with
``workflow.edits.restore_content_as_of``, the service behind ``POST /api/content/{id}/restore``.
A backup runs after the answer to its POST (a Starlette background task, in a worker thread),
writing its progress where any server can read it; the page polls it with htmx. Replacing
the whole database stays a CLI operation: the page shows the command for each backup.
"""

from __future__ import annotations

import shlex
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.background import BackgroundTask
from starlette.responses import RedirectResponse, Response, StreamingResponse

from sonic_cms.actors import Actor
from sonic_cms.admin.pages.editorial.field_lookups import search_terms
from sonic_cms.admin.pages.editorial.item_panel import checked_form, problem_text
from sonic_cms.admin.pages.frame import PageActor, context_for, frame_values, page
from sonic_cms.admin.security import page_headers
from sonic_cms.admin.templating import render
from sonic_cms.content import history, lists
from sonic_cms.context import Context
from sonic_cms.errors import BadRequest, NotFound, ValidationFailed
from sonic_cms.operations import backup_jobs, backup_store, database_state
from sonic_cms.operations.dump_format import DumpError
from sonic_cms.site_settings import store as site_settings
from sonic_cms.workflow import edits, scheduling

router = APIRouter(include_in_schema=False)
PATH = "/admin/database"
CRUMBS = [("Database", None)]
#: Items a time-travel search lists.
SEARCH_RESULTS = 10
Text = Annotated[str, Query(max_length=200)]


def overview(ctx: Context) -> dict[str, Any]:
    """Migration state, the backup store and its backups."""
    store, backups = backup_store.list_backups(ctx)
    return {
        "migrations": database_state.migration_state(ctx),
        "store_where": store.where,
        "backups": backups,
        "restore_command": restore_command(ctx),
    }


def restore_command(ctx: Context) -> str:
    """The start of the command that restores a stored backup (the name is appended)."""
    parts = ["sonic", "db", "restore"]
    if ctx.settings.env != "development":
        parts += ["--env", ctx.settings.env]
    return shlex.join(parts)


def found_items(ctx: Context, q: str) -> list[dict[str, Any]]:
    """Up to :data:`SEARCH_RESULTS` items the actor may read matching ``q`` (full-text, the
    last word a prefix), the most recently changed first when ``q`` has no words."""
    pairs = [("limit", str(SEARCH_RESULTS)), ("fields", "id,title,slug,status,updated_at")]
    terms = search_terms(q)
    pairs.append(("search", terms) if terms is not None else ("sort", "-updated_at"))
    found: list[dict[str, Any]] = lists.list_content(ctx, pairs)["data"]
    return found


def moment_of(date: str, time: str, zone: str) -> int:
    """Epoch ms of ``date`` ``time`` in ``zone`` (the scheduling service's parser: 422)."""
    tz = scheduling.parse_timezone(zone or "UTC")
    return scheduling.parse_moment(f"{date}T{time or '00:00'}", tz, "moment")


def travel(ctx: Context, item_id: str, date: str, time: str, zone: str) -> dict[str, Any]:
    """The item now and, when a moment is given, as it was then (or why it cannot be shown)."""
    values: dict[str, Any] = {"item": history.get_item(ctx, item_id), "past": None}
    if not date:
        return values
    try:
        moment = moment_of(date, time, zone)
        values["past"] = history.content_as_of(ctx, item_id, moment)
    except (ValidationFailed, NotFound) as exc:
        values["travel_error"] = problem_text(exc)
    return values


@router.get(PATH)
async def database_page(
    request: Request,
    actor: PageActor,
    q: Text = "",
    item: Text = "",
    date: Annotated[str, Query(max_length=10)] = "",
    time: Annotated[str, Query(max_length=8)] = "",
    timezone: Annotated[str, Query(max_length=64)] = "",
    job: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """The page (403 from the services without settings.update); the moment's zone starts
    as the site's default time zone (``/admin/settings``)."""
    ctx = context_for(request, actor)
    zone = timezone or (await ctx.run_read(lambda: site_settings.current(ctx))).timezone
    shown = {"q": q, "item_id": item, "date": date, "time": time, "timezone": zone}
    return await _page(request, actor, shown, job=job)


async def _page(
    request: Request, actor: Actor, shown: dict[str, str], *, job: str = "", **toast: Any
) -> Response:
    """The whole page for what ``shown`` asks (search, item, moment), with a toast."""
    ctx = context_for(request, actor)
    q, item = shown["q"], shown["item_id"]

    def read() -> dict[str, Any]:
        values = overview(ctx) | frame_values(ctx, current=PATH)
        values["results"] = None
        try:
            values["results"] = found_items(ctx, q) if q else None
        except BadRequest as exc:  # a search the full-text parser refuses (too long...)
            values["search_error"] = problem_text(exc)
        values["travel"] = (
            travel(ctx, item, shown["date"], shown["time"], shown["timezone"]) if item else None
        )
        values["job"] = backup_jobs.job_state(ctx, job) if job else None
        return values

    values = await ctx.run_read(read)
    values |= shown | {"zones": scheduling.zone_names()}
    return page(request, actor, "database.html", crumbs=CRUMBS, **values, **toast)


@router.post(f"{PATH}/backups")
async def start_backup(request: Request, actor: PageActor) -> Response:
    """Start a backup; it runs after this answer, whose panel polls its progress."""
    await checked_form(request, actor)
    ctx = context_for(request, actor)
    job_id = await ctx.run_write(lambda: backup_jobs.start_job(ctx))
    task = BackgroundTask(backup_jobs.run_job, ctx, job_id)
    if not request.headers.get("hx-request"):
        response = RedirectResponse(f"{PATH}?job={job_id}", status_code=303)
        response.background = task
        return page_headers(response)
    job = await ctx.run_read(lambda: backup_jobs.job_state(ctx, job_id))
    answer = _job_panel(request, actor, job, None)
    answer.background = task
    return answer


@router.get(f"{PATH}/backups/jobs/{{job_id}}")
async def job_progress(job_id: str, request: Request, actor: PageActor) -> Response:
    """The job's panel: polling again while it runs; when done, the list of backups too."""
    ctx = context_for(request, actor)
    job = await ctx.run_read(lambda: backup_jobs.job_state(ctx, job_id))
    backups = None
    if job["state"] == "done":
        backups = await ctx.run_read(lambda: backup_store.list_backups(ctx)[1])
    return _job_panel(request, actor, job, backups)


def _job_panel(
    request: Request, actor: Actor, job: dict[str, Any], backups: list[Any] | None
) -> Response:
    ctx = context_for(request, actor)
    return render(
        request,
        "_database_job.html",
        session_id=actor.session_id,
        job=job,
        finished=backups,
        restore_command=restore_command(ctx),
    )


@router.get(f"{PATH}/backups/{{name}}")
async def download_backup(name: str, request: Request, actor: PageActor) -> Response:
    """The backup's bytes as a download."""
    ctx = context_for(request, actor)
    stored, stream = await ctx.run_read(lambda: backup_store.open_backup(ctx, name))
    headers = {
        "Content-Disposition": f'attachment; filename="{stored.name}"',
        "Content-Length": str(stored.size_bytes),
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return StreamingResponse(
        stream.chunks,
        media_type=backup_store.GZIP_TYPE,
        headers=headers,
        background=BackgroundTask(stream.close),
    )


@router.post(f"{PATH}/backups/{{name}}/verify")
async def verify_backup(name: str, request: Request, actor: PageActor) -> Response:
    """Read the backup back in full and check it; the verdict as a toast."""
    await checked_form(request, actor)
    ctx = context_for(request, actor)
    try:
        counts = await ctx.run_write(lambda: backup_store.verify_stored_backup(ctx, name))
        toast = f"{name} is whole: {sum(counts.values())} rows in {len(counts)} tables"
        ok = True
    except DumpError as exc:
        toast, ok = f"{name} is damaged: {exc} (code: {exc.code})", False
    if not request.headers.get("hx-request"):
        empty = dict.fromkeys(("q", "item_id", "date", "time"), "") | {"timezone": "UTC"}
        return await _page(request, actor, empty, **{"notice" if ok else "error": toast})
    return render(request, "_toast_oob.html", session_id=actor.session_id, toast=toast, toast_ok=ok)


@router.post(f"{PATH}/item/{{item_id}}/restore")
async def restore_item(item_id: str, request: Request, actor: PageActor) -> Response:
    """Bring the item back as it was at the form's moment, as a new version; the page again
    with the item and the moment, and a toast."""
    form = await checked_form(request, actor)
    ctx = context_for(request, actor)
    shown = {k: form.get(k, "") for k in ("date", "time", "timezone")} | {
        "q": "",
        "item_id": item_id,
    }
    try:
        moment = moment_of(shown["date"], shown["time"], shown["timezone"])
        restored = await ctx.run_write(lambda: edits.restore_content_as_of(ctx, item_id, moment))
    except (ValidationFailed, NotFound) as exc:
        return await _page(request, actor, shown, error=f"Not restored: {problem_text(exc)}")
    title = restored.get("title") or "the item"
    notice = f"Restored “{title}” as it was then (from version {restored['version']})"
    return await _page(request, actor, shown, notice=notice)
