"""``/admin/content``: the content list (search, filters, sorting, paging, bulk actions).

The page is one call of :func:`sonic_cms.content.lists.list_content`, the service behind
``GET /api/content``: the page's own query string (``q``, ``status``, ``author``, ``date``,
``from``, ``to``, ``sort``, ``cursor``, ``page``) is translated into the service's parameters,
and what the service answers decides the paging: ``meta.next_cursor`` (a keyset sort) gives
Next/Previous links, otherwise ``meta.pagination`` gives page numbers (search ranking, sort by
status or author). Filters, sorting and paging swap only the results (htmx, the URL pushed so
it can be shared); the same URLs render the whole page without JavaScript.

Bulk actions post to ``/admin/content/bulk`` and go through
:func:`sonic_cms.workflow.bulk_actions.bulk_action`, the service behind
``POST /api/content/bulk``, which checks each item; the page only hides the actions the user
holds no permission for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from sonic_cms.actors import Actor
from sonic_cms.admin.pages.frame import PageActor, context_for, frame_values, page
from sonic_cms.admin.security import check_csrf
from sonic_cms.admin.templating import admin_of, render
from sonic_cms.auth import user_admin
from sonic_cms.content import collections, lists
from sonic_cms.context import Context
from sonic_cms.errors import BadRequest, ServiceError
from sonic_cms.workflow import bulk_actions

router = APIRouter(include_in_schema=False)
LIST_PATH = "/admin/content"
PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
#: Previous-page cursors kept in the URL (Previous walks back this far, then offers page 1).
MAX_BACK = 20
DEFAULT_SORT = "-updated_at"
STATUSES = ("draft", "review", "scheduled", "published", "archived")
#: The badges' text (colour is never the only signal).
STATUS_LABELS = {
    "draft": "Draft",
    "review": "In review",
    "scheduled": "Scheduled",
    "published": "Published",
    "archived": "Archived",
}
#: The longest text a data cell shows before it is cut.
CELL_CHARS = 80
#: Sortable columns: the list's column key -> the service's sort field.
SORT_FIELDS = {
    "title": "title",
    "status": "status",
    "author": "author",
    "updated": "updated_at",
    "created": "created_at",
}
DATE_FIELDS = {"updated": "updated_at", "created": "created_at"}
#: Built-in columns (key -> heading); any other ``listFields`` name is a ``data`` field.
BUILTIN_COLUMNS = {
    "title": "Title",
    "collection": "Collection",
    "status": "Status",
    "author": "Author",
    "updated": "Updated",
    "created": "Created",
    "slug": "Slug",
    "published": "Published",
}
#: listFields may name the item's columns as the API spells them.
COLUMN_ALIASES = {
    "updated_at": "updated",
    "created_at": "created",
    "published_at": "published",
    "author_id": "author",
}
DEFAULT_COLUMNS = ("title", "status", "author", "updated")
#: What a toast says happened to each succeeded item.
DONE = {
    "publish": "published",
    "unpublish": "unpublished",
    "archive": "archived",
    "delete": "deleted",
}
ACTION_LABELS = {"publish": "Publish", "unpublish": "Unpublish", "archive": "Archive"}


@dataclass(frozen=True)
class ListState:
    """What the list shows, as its URL says it (filters, sort, position)."""

    collection: str = ""
    q: str = ""
    status: str = ""
    author: str = ""
    date: str = "updated"
    date_from: str = ""
    date_to: str = ""
    sort: str = ""
    cursor: str = ""
    back: tuple[str, ...] = ()
    page: int = 1
    limit: int = PAGE_SIZE
    #: a locale's rows, one per item (docs/localisation.md); "": the default locale's
    locale: str = ""

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> ListState:
        """The state of a query string; unusable positions fall back to the first page."""
        back = tuple(c for c in params.get("back", "").split(".") if c)[-MAX_BACK:]
        return cls(
            collection=params.get("collection", "").strip(),
            q=params.get("q", "").strip(),
            status=params.get("status", "") if params.get("status") in STATUSES else "",
            author=params.get("author", "").strip(),
            date=params.get("date", "") if params.get("date") in DATE_FIELDS else "updated",
            date_from=params.get("from", "").strip(),
            date_to=params.get("to", "").strip(),
            sort=params.get("sort", "").strip(),
            cursor=params.get("cursor", "").strip(),
            back=back,
            page=_bounded_int(params.get("page"), 1, 1, 10_000_000),
            limit=_bounded_int(params.get("limit"), PAGE_SIZE, 1, MAX_PAGE_SIZE),
            locale=params.get("locale", "").strip()[:40],
        )

    @property
    def filtered(self) -> bool:
        """Whether any filter narrows the list (the empty state says so)."""
        dates = self.date_from or self.date_to
        return bool(self.q or self.status or self.author or dates or self.locale)

    @property
    def effective_sort(self) -> str:
        """The sort asked for; none while searching (relevance), else the admin's default."""
        return self.sort or ("" if self.q else DEFAULT_SORT)

    def at_start(self) -> ListState:
        """The same filters and sort, on the first page."""
        return replace(self, cursor="", back=(), page=1)

    def pairs(self) -> list[tuple[str, str]]:
        """The URL's query pairs (defaults left out, so URLs stay short)."""
        values = [
            ("collection", self.collection),
            ("q", self.q),
            ("status", self.status),
            ("locale", self.locale),
            ("author", self.author),
            ("date", self.date if (self.date_from or self.date_to) else ""),
            ("from", self.date_from),
            ("to", self.date_to),
            ("sort", self.sort),
            ("cursor", self.cursor),
            ("back", ".".join(self.back)),
            ("page", str(self.page) if self.page > 1 else ""),
            ("limit", str(self.limit) if self.limit != PAGE_SIZE else ""),
        ]
        return [(k, v) for k, v in values if v]

    def query(self) -> str:
        """The URL's query string (the bulk form carries it back to show the same list)."""
        return urlencode(self.pairs())

    def url(self) -> str:
        """The list's address for this state."""
        query = self.query()
        return f"{LIST_PATH}?{query}" if query else LIST_PATH

    def service_pairs(self, actor: Actor) -> list[tuple[str, str]]:
        """The parameters of ``list_content`` (``GET /api/content``) for this state."""
        include = "author" if self.collection else "author,collection"
        pairs = [("limit", str(self.limit)), ("include", include)]
        if self.q:
            pairs.append(("search", self.q))
        if self.status:
            pairs.append(("status", self.status))
        if self.locale:
            pairs.append(("locale", self.locale))
        if self.author:
            pairs.append(("author", str(actor.user_id) if self.author == "me" else self.author))
        pairs.extend(self._date_pairs())
        if self.effective_sort:
            pairs.append(("sort", self.effective_sort))
        if self.cursor:
            pairs.append(("cursor", self.cursor))
        elif self.page > 1:
            pairs.append(("page", str(self.page)))
        return pairs

    def _date_pairs(self) -> list[tuple[str, str]]:
        column = DATE_FIELDS[self.date]
        pairs = []
        if self.date_from:
            pairs.append((f"filter[{column}][gte]", str(_day_start_ms(self.date_from, "from"))))
        if self.date_to:
            end = _day_start_ms(self.date_to, "to") + int(timedelta(days=1).total_seconds() * 1000)
            pairs.append((f"filter[{column}][lt]", str(end)))
        return pairs


def _bounded_int(raw: str | None, default: int, low: int, high: int) -> int:
    """A whole number from the URL within ``low..high``; ``default`` for anything else."""
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        return default
    return min(max(value, low), high)


def _day_start_ms(text: str, name: str) -> int:
    """Midnight UTC of a ``YYYY-MM-DD`` day, in epoch ms (the page says dates are UTC)."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        message = "Dates are written YYYY-MM-DD"
        raise BadRequest(message, details=[{"path": name, "message": message}]) from None
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True)
class Column:
    """One column of the table: a built-in one or a ``data`` field of the collection."""

    key: str
    label: str
    sort: str | None = None  # the state's sort name, when sortable
    data_field: str | None = None


@dataclass
class Paging:
    """The links under the table, from what the service answered."""

    mode: str  # "cursor" | "pages"
    next_url: str | None = None
    prev_url: str | None = None
    first_url: str | None = None
    pages: list[tuple[int | None, str | None]] = field(default_factory=list)
    current: int = 1
    total: int | None = None
    capped: bool = False


def columns_for(collection: dict[str, Any] | None) -> list[Column]:
    """The table's columns: the collection's ``listFields`` where set, else the defaults;
    the title always first (it carries the row's link), the collection when listing all."""
    schema = (collection or {}).get("schema") or {}
    wanted = schema.get("listFields")
    names = [str(n) for n in wanted] if isinstance(wanted, list) and wanted else []
    keys = [COLUMN_ALIASES.get(n, n) for n in names] or list(DEFAULT_COLUMNS)
    keys = ["title", *(k for k in dict.fromkeys(keys) if k != "title")]
    if collection is None and "collection" not in keys:
        keys.insert(1, "collection")
    properties = schema.get("properties") or {}
    columns = []
    for key in keys:
        if key in BUILTIN_COLUMNS:
            sort = key if key in SORT_FIELDS else None
            columns.append(Column(key, BUILTIN_COLUMNS[key], sort))
        elif isinstance(properties.get(key), dict):
            label = properties[key].get("title") or key.replace("_", " ").capitalize()
            columns.append(Column(key, str(label), None, key))
    return columns


def sort_state(state: ListState) -> tuple[str, bool]:
    """The sorted column's key and whether it is descending ("" while ranked by relevance)."""
    sort = state.effective_sort
    by_field = {service: key for key, service in SORT_FIELDS.items()}
    return by_field.get(sort.lstrip("-"), ""), sort.startswith("-")


def sort_url(state: ListState, key: str) -> str:
    """The header link of column ``key``: ascending first, descending when already ascending
    (the dates start newest first)."""
    current, descending = sort_state(state)
    service = SORT_FIELDS[key]
    if current == key:
        target = service if descending else f"-{service}"
    else:
        target = f"-{service}" if key in DATE_FIELDS else service
    return replace(state.at_start(), sort=target).url()


def paging_for(state: ListState, meta: dict[str, Any]) -> Paging:
    """Cursor links when the service gave a cursor for this sort, else page numbers."""
    if "next_cursor" in meta:
        return _cursor_paging(state, meta["next_cursor"])
    info = meta.get("pagination") or {}
    current = int(info.get("page", state.page))
    last = max(int(info.get("pages", 1)), 1)
    paging = Paging("pages", current=current, total=info.get("total"))
    paging.capped = bool(info.get("totalCapped"))
    paging.pages = [
        (n, None if n is None else replace(state, cursor="", back=(), page=n).url())
        for n in _page_window(current, last)
    ]
    if info.get("hasPrev"):
        paging.prev_url = replace(state, page=max(current - 1, 1)).url()
    if info.get("hasNext"):
        paging.next_url = replace(state, page=current + 1).url()
    return paging


def _cursor_paging(state: ListState, next_cursor: str | None) -> Paging:
    paging = Paging("cursor")
    if next_cursor:
        back = (*state.back, state.cursor) if state.cursor else ()
        paging.next_url = replace(state, cursor=next_cursor, back=back[-MAX_BACK:]).url()
    if state.cursor:
        previous = state.back[-1] if state.back else ""
        paging.prev_url = replace(state, cursor=previous, back=state.back[:-1], page=1).url()
        paging.first_url = state.at_start().url()
    return paging


def _page_window(current: int, last: int) -> list[int | None]:
    """Page numbers around the current one, the first and the last; None marks a gap."""
    shown = sorted({1, last, *range(max(current - 2, 1), min(current + 2, last) + 1)})
    window: list[int | None] = []
    for number in shown:
        if window and window[-1] is not None and number - window[-1] > 1:
            window.append(None)
        window.append(number)
    return window


def bulk_choices(actor: Actor) -> list[tuple[str, str]]:
    """The bulk actions whose permission the user holds in some form (the service still checks
    every item); delete is listed last, behind its confirmation dialog."""
    choices = []
    if actor.can(bulk_actions.PERMISSION_OF_ACTION["publish"]):
        choices = [(action, label) for action, label in ACTION_LABELS.items()]
    delete = bulk_actions.PERMISSION_OF_ACTION["delete"]
    if actor.can(delete) or actor.can(f"{delete}_own"):
        choices.append(("delete", "Delete"))
    return choices


def author_options(ctx: Context) -> list[tuple[str, str]]:
    """The author filter's choices: anyone, me, and every user for those who may list users."""
    options = [("", "Anyone"), ("me", "Me")]
    if ctx.actor.can("users.read"):
        users, _ = user_admin.list_users(ctx, limit=MAX_PAGE_SIZE)
        me = str(ctx.actor.user_id)
        for user in users:
            if str(user["id"]) != me:
                name = f"{user.get('firstName') or ''} {user.get('lastName') or ''}".strip()
                options.append((str(user["id"]), name or str(user.get("email"))))
    return options


def cell(data: Any, name: str) -> str:
    """A ``data`` field as a table cell shows it: text cut short, lists joined."""
    value = data.get(name) if isinstance(data, dict) else None
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        text = "Yes" if value else "No"
    elif isinstance(value, list):
        text = ", ".join(str(v) for v in value if not isinstance(v, dict | list))
    elif isinstance(value, dict):
        text = "…"
    else:
        text = str(value)
    return text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "…"


def summary_of(meta: dict[str, Any]) -> str:
    """Which items the page shows: "26 to 50 of 120" when counted, else how many."""
    shown = int(meta.get("count", 0))
    info = meta.get("pagination")
    if not info:
        return f"{shown} items on this page" if shown != 1 else "1 item on this page"
    start = int(info["offset"]) + 1
    total = f"{info['total']}{'+' if info.get('totalCapped') else ''}"
    return f"{start} to {start + shown - 1} of {total}"


def results_values(ctx: Context, state: ListState) -> dict[str, Any]:
    """The table, its paging and the bulk bar, read for ``ctx.actor`` (inside ``run_read``)."""
    actor = ctx.actor
    values: dict[str, Any] = {
        "state": state,
        "page_size": PAGE_SIZE,
        "status_labels": STATUS_LABELS,
        "cell": cell,
        "summary": "",
        "can_create": actor.can("content.create"),
        "clear_url": ListState(collection=state.collection, sort=state.sort).url(),
        "items": [],
        "collection": None,
        "paging": None,
        "list_error": None,
        "bulk": bulk_choices(actor),
        "sorted": sort_state(state),
        "sort_url": lambda key: sort_url(state, key),
        "statuses": STATUSES,
        # the locale filter shows only when there is more than one to choose from
        "locales": ctx.settings.enabled_locales,
    }
    try:
        document = lists.list_content(ctx, state.service_pairs(actor), state.collection or None)
    except BadRequest as exc:  # a search or date the service cannot use: said inline
        values["list_error"] = _first_message(exc)
        document = _collection_only(ctx, state)
    meta = document["meta"]
    values["collection"] = meta.get("collection")
    values["columns"] = columns_for(values["collection"])
    values["items"] = document["data"]
    if values["list_error"] is None:
        values["paging"] = paging_for(state, meta)
        values["summary"] = summary_of(meta)
    return values


def _collection_only(ctx: Context, state: ListState) -> dict[str, Any]:
    """No rows, but still the collection (for the heading and columns) when one is named."""
    named = collections.get_collection(ctx, state.collection) if state.collection else None
    return {"data": [], "meta": {"collection": named}}


def _first_message(exc: ServiceError) -> str:
    details = [d for d in exc.details if isinstance(d, dict) and d.get("message")]
    if details and details[0]["message"] != exc.message:
        return f"{exc.message}: {details[0].get('path')} {details[0]['message']}"
    return exc.message


def page_values(ctx: Context, state: ListState) -> dict[str, Any]:
    """Everything the whole page shows: the results, the filters and the shell."""
    values = results_values(ctx, state)
    collection = values["collection"]
    current = f"collection:{collection['name']}" if collection else "content"
    values["authors"] = author_options(ctx)
    values["date_fields"] = DATE_FIELDS
    return values | frame_values(ctx, current=current)


def wants_results_only(request: Request) -> bool:
    """An htmx swap of the results (a history restore needs the whole page)."""
    headers = request.headers
    return bool(headers.get("hx-request")) and not headers.get("hx-history-restore-request")


@router.get(LIST_PATH)
async def content_list(request: Request, actor: PageActor) -> Response:
    """The list of one collection (``?collection=NAME``) or of all of them."""
    state = ListState.parse(request.query_params)
    ctx = context_for(request, actor)
    if wants_results_only(request):
        values = await ctx.run_read(lambda: results_values(ctx, state))
        response = render(
            request, "content_list_results.html", session_id=actor.session_id, **values
        )
        # the address bar gets the list's own short URL, not the form's empty fields
        response.headers["hx-push-url"] = state.url()
        return response
    values = await ctx.run_read(lambda: page_values(ctx, state))
    return page(request, actor, "content_list.html", crumbs=_crumbs(values), **values)


def _crumbs(values: dict[str, Any]) -> list[tuple[str, str | None]]:
    collection = values["collection"]
    if collection is None:
        return [("Content", None)]
    return [("Content", LIST_PATH), (collection["display_name"], None)]


def bulk_summary(action: str, result: dict[str, Any]) -> tuple[str, bool]:
    """The toast after a bulk action: "3 published, 1 refused: <reason>" (and whether any
    item was refused)."""
    meta = result["meta"]
    parts = [f"{meta['succeeded']} {DONE[action]}"]
    refused = [r["error"]["error"] for r in result["data"] if not r["ok"]]
    if refused:
        reasons = {reason: refused.count(reason) for reason in refused}
        said = "; ".join(
            reason if count == 1 else f"{reason} ({count} items)"
            for reason, count in reasons.items()
        )
        parts.append(f"{len(refused)} refused: {said}")
    return ", ".join(parts), bool(refused)


@router.post(LIST_PATH + "/bulk")
async def content_bulk(request: Request, actor: PageActor) -> Response:
    """Apply one bulk action to the selected items; answer with the list as it now is and a
    toast telling what happened per item. A crafted action the user may not take gets the
    service's 403."""
    await check_csrf(request, admin_of(request).settings, actor.session_id)
    form = await request.form()
    action = str(form.get("action") or "")
    ids = [str(v) for v in form.getlist("ids") if isinstance(v, str) and v]
    state = ListState.parse(_state_params(str(form.get("state") or "")))
    if action not in bulk_actions.ACTIONS:
        raise BadRequest(f"Unknown bulk action; allowed: {', '.join(bulk_actions.ACTIONS)}")
    if len(ids) > bulk_actions.MAX_IDS:
        raise BadRequest(f"Select at most {bulk_actions.MAX_IDS} items")
    ctx = context_for(request, actor)
    notice, error = None, None
    if ids:
        result = await ctx.run_write(lambda: bulk_actions.bulk_action(ctx, action, ids))
        message, refused = bulk_summary(action, result)
        notice, error = (None, message) if refused else (message, None)
    else:
        error = "Select at least one item first."
    if wants_results_only(request):
        values = await ctx.run_read(lambda: results_values(ctx, state))
        return render(
            request,
            "content_list_results.html",
            session_id=actor.session_id,
            toast=notice or error,
            toast_error=error is not None,
            **values,
        )
    values = await ctx.run_read(lambda: page_values(ctx, state))
    return page(
        request,
        actor,
        "content_list.html",
        crumbs=_crumbs(values),
        notice=notice,
        error=error,
        **values,
    )


def _state_params(query: str) -> dict[str, str]:
    """The list state the bulk form carried back (the list's own query string)."""
    return dict(parse_qsl(query, keep_blank_values=False))
