"""``/admin/logs``: the system logs, their live tail, export and per-category configuration.

Every read and write is :mod:`sonic_cms.logs.queries`, the service behind ``/admin/api/logs``:
``query_logs`` with a :class:`LogQuery` built from the filter form (which refuses unknown
levels and categories and a start after the end), ``get_log`` for a record's page,
``records_after`` for the live tail, ``export_logs`` for the CSV and JSON downloads with the
filters in force, ``update_config`` and ``cleanup``.

The live tail is polling, not a held connection: ``static/js/logs.js`` asks
``/admin/logs/tail`` every few seconds for the records after the newest it has (one short
read each, no database connection while idle), only while the tab is visible, and stops when
the page goes away.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from sonic_cms.actors import Actor
from sonic_cms.admin.pages.editorial.item_panel import PROPAGATED, checked_form
from sonic_cms.admin.pages.frame import PageActor, context_for, frame_values, page
from sonic_cms.admin.security import page_headers
from sonic_cms.admin.templating import render
from sonic_cms.content import includes
from sonic_cms.context import Context
from sonic_cms.db.schema import LOG_CATEGORIES, LOG_LEVELS
from sonic_cms.errors import BadRequest, ServiceError
from sonic_cms.inputs.integers import MAX_EPOCH_MS
from sonic_cms.logs import queries
from sonic_cms.logs.queries import LogQuery
from sonic_cms.logs.writer import LogWriter

router = APIRouter(include_in_schema=False)
PATH = "/admin/logs"
PAGE_SIZE = 50
TAIL_LIMIT = 100
MAX_TEXT = 200
#: The filter form's inputs (also the query string of the export links and the tail).
FILTER_NAMES = ("level", "category", "from", "to", "user", "status", "q")


def _moment(name: str, raw: str, errors: dict[str, str]) -> int | None:
    """A ``datetime-local`` value, read as UTC, as epoch ms; an error under ``name``."""
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        errors[name] = "must be a date and time"
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    value = int(moment.timestamp() * 1000)
    if not 0 <= value <= MAX_EPOCH_MS:
        errors[name] = "is out of range"
        return None
    return value


def _statuses(raw: str, errors: dict[str, str]) -> tuple[int, ...]:
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if not all(p.isdigit() and len(p) == 3 and 100 <= int(p) <= 599 for p in parts):
        errors["status"] = "must be HTTP status codes (100 to 599), separated by commas"
        return ()
    return tuple(int(p) for p in parts)


#: The service's problem paths -> the filter form's inputs.
PATHS = {"level": "level", "category": "category", "start_date": "from", "end_date": "to"}


def parse_filters(request: Request) -> tuple[dict[str, str], LogQuery, dict[str, str]]:
    """The filter form's values, the service's query for them, and the problems by input
    (the service's own: unknown level or category, start after end)."""
    params = request.query_params
    raw = {name: params.get(name, "").strip()[:MAX_TEXT] for name in FILTER_NAMES}
    errors: dict[str, str] = {}
    start = _moment("from", raw["from"], errors)
    end = _moment("to", raw["to"], errors)
    statuses = _statuses(raw["status"], errors)
    try:
        query = LogQuery(
            levels=(raw["level"],) if raw["level"] else (),
            categories=(raw["category"],) if raw["category"] else (),
            search=raw["q"] or None,
            start_date=start,
            end_date=end,
            user=raw["user"] or None,
            status_codes=statuses,
        )
    except BadRequest as exc:
        for problem in exc.details:
            errors[PATHS.get(str(problem.get("path")), "q")] = str(problem.get("message"))
        query = LogQuery()
    return raw, query, errors


def query_string(raw: dict[str, str], **more: str) -> str:
    """The filters (empty ones left out) and ``more`` as a query string."""
    return urlencode({k: v for k, v in (raw | more).items() if v})


def page_of(request: Request) -> int:
    """The page number asked for (anything else: 1)."""
    raw = request.query_params.get("page", "")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 1_000_000 else 1


def list_values(ctx: Context, query: LogQuery, number: int) -> dict[str, Any]:
    """A page of records and the live tail's starting point; call inside ``ctx.run_read``."""
    found = queries.query_logs(ctx, query, number, PAGE_SIZE)
    records = found["data"]
    newest = records[0] if records and number == 1 else None
    return {
        "records": records,
        "people": includes.people(ctx, [r["user_id"] for r in records]),
        "pagination": found["meta"]["pagination"],
        "tail_after": newest["created_at"] if newest else ctx.clock.now_ms(),
        "tail_after_id": newest["id"] if newest else "",
        "config": queries.get_config(ctx),
        "can_manage": ctx.actor.can("logs.manage"),
    }


async def logs_page(request: Request, actor: Actor, status: int = 200, **extra: Any) -> Response:
    """The page for the request's filters; ``extra``: a config row's errors, a toast."""
    raw, query, errors = parse_filters(request)
    number = page_of(request) if not errors else 1
    ctx = context_for(request, actor)
    values = await ctx.run_read(
        lambda: list_values(ctx, query, number) | frame_values(ctx, current=PATH)
    )
    if errors:
        values["records"], status = [], 400
    pages = values["pagination"]
    values |= {
        "f": raw,
        "errors": errors,
        "levels": LOG_LEVELS,
        "categories": LOG_CATEGORIES,
        "filter_query": query_string(raw),
        "previous": query_string(raw, page=str(number - 1)) if number > 1 else None,
        "following": query_string(raw, page=str(number + 1))
        if number < pages.get("pages", 1)
        else None,
        "number": number,
        "config_errors": {},
        "config_failed": None,
    }
    return page(
        request, actor, "logs.html", crumbs=[("Logs", None)], status=status, **(values | extra)
    )


@router.get(PATH)
async def logs(request: Request, actor: PageActor) -> Response:
    """Filters, a page of records, the live tail, export links, the configuration."""
    return await logs_page(request, actor, notice=notice_of(request))


@router.get(PATH + "/tail")
async def tail(request: Request, actor: PageActor) -> Response:
    """The records after ``after``/``after_id`` matching the filters, newest first, as table
    rows; the new cursor in ``X-Tail-After`` and ``X-Tail-After-Id``."""
    _raw, query, errors = parse_filters(request)
    params = request.query_params
    after_raw = params.get("after", "")
    after = int(after_raw) if after_raw.isdigit() and len(after_raw) < 16 else 0
    after_id = params.get("after_id", "")[:64]
    ctx = context_for(request, actor)
    found = (
        []
        if errors
        else await ctx.run_read(
            lambda: queries.records_after(ctx, query, after, after_id, TAIL_LIMIT)
        )
    )
    if found:
        after, after_id = found[-1]["created_at"], found[-1]["id"]
    people = await ctx.run_read(lambda: includes.people(ctx, [r["user_id"] for r in found]))
    response = render(
        request,
        "_log_rows.html",
        session_id=actor.session_id,
        records=list(reversed(found)),
        people=people,
        filter_query="",
    )
    response.headers["x-tail-after"] = str(after)
    response.headers["x-tail-after-id"] = after_id
    return response


@router.get(PATH + "/export")
async def export(request: Request, actor: PageActor) -> Response:
    """The records matching the filters as a CSV or JSON download (``format``)."""
    _raw, query, errors = parse_filters(request)
    fmt = request.query_params.get("format", "json")
    if errors:
        raise BadRequest(
            "Invalid log filters",
            code="invalid_filter",
            details=[{"path": k, "message": v} for k, v in errors.items()],
        )
    ctx = context_for(request, actor)
    max_rows = ctx.settings.log_export_max_rows
    body = await ctx.run_read(lambda: queries.export_logs(ctx, query, fmt, max_rows))
    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    headers = {"Content-Disposition": f'attachment; filename="system-logs.{fmt}"'}
    return page_headers(Response(body, media_type=media, headers=headers))


def _config_changes(form: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The configuration form as the service's changes; numbers that are not numbers."""
    changes: dict[str, Any] = {
        "enabled": form.get("enabled") == "1",
        "level": form.get("level", ""),
    }
    problems: dict[str, str] = {}
    for name in ("retention_days", "max_size_mb"):
        text = form.get(name, "").strip()
        if text.isdigit() and len(text) < 10:
            changes[name] = int(text)
        else:
            problems[name] = "must be a whole number"
    return changes, problems


@router.post(PATH + "/config/{category}")
async def save_config(request: Request, actor: PageActor, category: str) -> Response:
    """One category's enabled, level, retention and size, through ``update_config``."""
    form = await checked_form(request, actor)
    changes, problems = _config_changes(form)
    ctx = context_for(request, actor)
    if not problems:
        try:
            await ctx.run_write(lambda: queries.update_config(ctx, category, changes))
        except ServiceError as exc:
            if exc.status in PROPAGATED:
                raise
            problems = {str(d.get("path")): str(d.get("message")) for d in exc.details}
        else:
            writer: LogWriter = request.app.state.ctx.logs
            writer.refresh_config()
            target = f"{PATH}?done=config&category={category}#log-config"
            return page_headers(RedirectResponse(target, status_code=303))
    return await logs_page(
        request,
        actor,
        status=422,
        config_failed=category,
        config_errors=problems,
        config_form=form,
        error=f"The log settings of {category} were not saved.",
    )


@router.post(PATH + "/cleanup")
async def cleanup(request: Request, actor: PageActor) -> Response:
    """Apply retention and size limits now; the result in a toast."""
    await checked_form(request, actor)
    ctx = context_for(request, actor)
    result = await ctx.run_write(lambda: queries.cleanup(ctx))
    by_age, by_size = sum(result.by_age.values()), sum(result.by_size.values())
    target = f"{PATH}?done=cleanup&age={by_age}&size={by_size}"
    return page_headers(RedirectResponse(target, status_code=303))


def notice_of(request: Request) -> str | None:
    """The toast a redirect asked for (keys and numbers from the URL, never its text)."""
    params = request.query_params
    done = params.get("done")
    if done == "config" and params.get("category", "") in LOG_CATEGORIES:
        return f"Log settings of {params['category']} saved."
    if done == "cleanup":
        age, size = params.get("age", "0"), params.get("size", "0")
        if age.isdigit() and size.isdigit() and len(age + size) < 20:
            total = int(age) + int(size)
            return (
                f"Clean-up done: {total} records deleted ({age} past retention, "
                f"{size} over the size limit)."
            )
    return None


@router.get(PATH + "/{log_id}")
async def record(request: Request, actor: PageActor, log_id: str) -> Response:
    """One record with every field."""
    ctx = context_for(request, actor)
    values = await ctx.run_read(
        lambda: {"record": queries.get_log(ctx, log_id)} | frame_values(ctx, current=PATH)
    )
    back = request.query_params.get("back", "")
    return page(
        request,
        actor,
        "log_record.html",
        crumbs=[("Logs", PATH), (values["record"]["id"], None)],
        back=PATH + ("?" + back if back and back[0] != "/" else ""),
        **values,
    )
