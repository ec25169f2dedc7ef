"""Content lists: one service call behind ``/api/content`` and ``/api/collections/{name}/content``.

Parameters are SonicJS's (``where``, ``limit``, ``offset``, ``sort``, ``status``,
``collection_id``) plus ours (``page``, ``cursor``, ``search``, ``fields``, ``include``,
``filter[...]``). An unknown parameter is a 400 with the allowed list, never silently ignored.
Page paging returns the seed's pagination object; cursor (keyset) paging returns ``next_cursor``
and costs the same at page 2,000 as at page 1.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    BindParameter,
    ColumnElement,
    Connection,
    Integer,
    Row,
    Select,
    String,
    bindparam,
    exists,
    func,
    select,
    tuple_,
)

from sonic_cms.actors import Actor
from sonic_cms.cache.memo import Stamp
from sonic_cms.config import Settings
from sonic_cms.content.access import (
    EVERYTHING,
    remembered_visibility_change,
    visibility,
    visibility_scope,
)
from sonic_cms.content.collections import (
    compiled_schema,
    recall_collection,
    serialize_collection,
)
from sonic_cms.content.includes import attach_includes, parse_include
from sonic_cms.content.query import (
    Cond,
    FieldSet,
    Group,
    Limits,
    SortKey,
    make_cond,
    parse_brackets,
    parse_sort,
    parse_where,
)
from sonic_cms.content.rows import APPROVED_COMMENTS, ITEM_FIELDS, serialize_item
from sonic_cms.content.schema import FieldInfo
from sonic_cms.content.search import (
    RankedSearch,
    parse_search,
    plan_each_search,
    ranked_page,
    ranked_search,
    search_subquery,
    search_words,
)
from sonic_cms.content.sql import build_where, sort_expression
from sonic_cms.context import Context
from sonic_cms.db.schema.tables import COLLECTIONS, CONTENT
from sonic_cms.errors import BadRequest, NotFound
from sonic_cms.inputs.integers import INT64_MAX, INT64_MIN, parse_int
from sonic_cms.inputs.params import reject_unknown
from sonic_cms.locales.choice import enabled_locale, read_chain
from sonic_cms.locales.groups import DEFAULT_ROWS, best_of_chain, locale_of
from sonic_cms.pagination import list_envelope

#: The list parameter that makes a list a search; it also decides the read's transaction.
SEARCH_PARAM = "search"

PARAMS = (
    "where",
    "limit",
    "offset",
    "page",
    "sort",
    "status",
    "collection_id",
    "collection",
    "cursor",
    SEARCH_PARAM,
    "fields",
    "include",
    "author",
    "locale",
)
KEYSET_FIELDS = ("created_at", "updated_at", "title", "slug", "id", "version_number")
DEFAULT_SORT = [SortKey("created_at", True, "integer")]


@dataclass
class ListQuery:
    """A parsed, checked list request."""

    filters: list[Cond | Group] = field(default_factory=list)
    sort: list[SortKey] = field(default_factory=list)
    limit: int = 50
    offset: int = 0
    page: int = 1
    cursor: tuple[Any, str] | None = None
    fields: list[str] | None = None
    include: frozenset[str] = frozenset()
    search: str | None = None
    #: ``?locale=``: the asked tag, its fallback chain and the default locale (None: the
    #: default locale's rows only, as before translations existed)
    locale: tuple[str, tuple[str, ...], str] | None = None


def _bad_param(name: str, message: str) -> BadRequest:
    return BadRequest(
        "Invalid filter parameters",
        code="invalid_parameter",
        details=[{"path": name, "message": message}],
    )


def _int(params: dict[str, str], name: str, low: int, high: int) -> int | None:
    return parse_int(name, params[name], low, high) if name in params else None


def _single(pairs: list[tuple[str, str]]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    plain: dict[str, str] = {}
    brackets = []
    reject_unknown(
        (key for key, _ in pairs if not key.startswith("filter[")),
        PARAMS,
        also=("filter[<field>][<op>]",),
    )
    for key, value in pairs:
        if key.startswith("filter["):
            brackets.append((key, value))
        elif key in plain:
            raise _bad_param(key, "given more than once")
        else:
            plain[key] = value
    return plain, brackets


def parse_list(pairs: list[tuple[str, str]], fields: FieldSet, settings: Settings) -> ListQuery:
    """Check every parameter; 400 with a clear message for the first bad one."""
    params, brackets = _single(pairs)
    limits = Limits(settings.filter_max_depth, settings.filter_max_conditions)
    query = ListQuery(
        limit=_int(params, "limit", 1, settings.content_max_limit) or settings.content_default_limit
    )
    if "where" in params:
        query.filters.append(parse_where(params["where"], fields, limits))
    query.filters.extend(parse_brackets(brackets, fields, limits))
    for name, column in (
        ("status", "status"),
        ("collection_id", "collection_id"),
        ("collection", "collection"),
        ("author", "author_id"),
    ):
        if name in params:
            query.filters.append(make_cond(column, "eq", params[name], fields, from_text=True))
    query.sort = parse_sort(params["sort"], fields) if "sort" in params else []
    _paging(query, params)
    query.fields = _fields(params.get("fields"))
    query.include = parse_include(params.get("include"))
    query.search = params.get(SEARCH_PARAM)
    if "locale" in params:
        tag = enabled_locale(settings, params["locale"])
        query.locale = (tag, read_chain(settings, tag), settings.default_locale)
    if query.search is not None and query.cursor is not None:
        raise _bad_param("cursor", "cannot be combined with search")
    return query


def _paging(query: ListQuery, params: dict[str, str]) -> None:
    given = [p for p in ("offset", "page", "cursor") if p in params]
    if len(given) > 1:
        raise _bad_param(given[1], f"cannot be combined with {given[0]}")
    page = _int(params, "page", 1, 10_000_000)
    offset = _int(params, "offset", 0, 1_000_000_000)
    query.page = page or 1
    query.offset = offset if offset is not None else (query.page - 1) * query.limit
    if "cursor" in params:
        query.cursor = _decode_cursor(params["cursor"], query.sort or DEFAULT_SORT)


def _sort_signature(sort: list[SortKey]) -> str:
    if len(sort) != 1 or sort[0].field not in KEYSET_FIELDS:
        raise _bad_param("cursor", f"needs a single sort on one of {', '.join(KEYSET_FIELDS)}")
    return f"{sort[0].field}:{'desc' if sort[0].descending else 'asc'}"


def encode_cursor(sort: list[SortKey], value: Any, item_id: str) -> str:
    """An opaque token for the page after the row ``(value, item_id)``."""
    raw = orjson.dumps([_sort_signature(sort), value, item_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(token: str, sort: list[SortKey]) -> tuple[Any, str]:
    signature = _sort_signature(sort)
    try:
        decoded = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, orjson.JSONDecodeError):
        raise _bad_param("cursor", "is not a cursor this API issued") from None
    if (
        not isinstance(decoded, list)
        or len(decoded) != 3
        or decoded[0] != signature
        or not isinstance(decoded[2], str)
        or not isinstance(decoded[1], str | int)
        or (type(decoded[1]) is int and not INT64_MIN <= decoded[1] <= INT64_MAX)
    ):
        raise _bad_param("cursor", "does not belong to this sort order")
    return decoded[1], decoded[2]


def _fields(raw: str | None) -> list[str] | None:
    if raw is None:
        return None
    names = [n.strip() for n in raw.split(",") if n.strip()]
    unknown = [n for n in names if n not in ITEM_FIELDS]
    if unknown or not names:
        raise _bad_param(
            "fields",
            f"unknown field {(unknown or [''])[0][:60]!r}; allowed: {', '.join(ITEM_FIELDS)}",
        )
    return names


def field_set(conn: Connection, collection: Row[Any] | None) -> FieldSet:
    """Filterable data fields: the collection's, or every active collection's when listing all
    (any field name where one of them accepts undeclared keys)."""
    rows: Iterable[Row[Any]] = (
        [collection]
        if collection is not None
        else conn.execute(
            select(COLLECTIONS).where(COLLECTIONS.c.is_active == True)  # noqa: E712
        )
    )
    fields: dict[str, FieldInfo] = {}
    undeclared = False
    for row in rows:
        compiled = compiled_schema(row)
        fields.update(compiled.fields)
        undeclared = undeclared or compiled.extra_keys
    return FieldSet(fields, undeclared)


def list_content(
    ctx: Context, pairs: list[tuple[str, str]], collection: str | None = None
) -> dict[str, Any]:
    """``{data, meta}`` for a list request, obeying the actor's visibility now; a collection's
    list (``collection`` given) carries the collection as ``meta.collection``."""
    db, settings = ctx.db, ctx.settings
    now = ctx.clock.now_ms()
    ctx.actor.require("content.read")
    # Read before the transaction's first statement (cache/memo.py explains why).
    collections_read, content_read = ctx.stamp(("collection",)), ctx.stamp(("content",))
    # A search sets transaction-local planner settings on PostgreSQL (search.plan_each_search).
    searching = any(name == SEARCH_PARAM for name, _ in pairs)
    with db.read() if searching else db.read_committed() as conn:
        collection_id, row = None, None
        if collection is not None:
            row = recall_collection(ctx, conn, collection, collections_read)
            if row is None or not row.is_active:
                raise NotFound("Collection not found", code="collection_not_found")
            collection_id = row.id
        query = parse_list(pairs, field_set(conn, row), settings)
        if query.search is None:
            page = _run_planned(conn, db.dialect, ctx.actor, query, collection_id, now)
        else:
            page = _run_search(conn, db.dialect, ctx.actor, query, collection_id, now, settings)
        if query.cursor is None:
            count_key = (
                "content-count",
                settings.content_count_limit,
                collection_id,
                repr(query.filters),
                query.search,
                query.locale,
                visibility_scope(ctx.actor),
            )
            counted = page.counted or _recall_count(
                ctx, conn, count_key, page.matching, page.params, content_read
            )
            page.meta["pagination"] = _pagination(query, counted, len(page.items), page.has_more)
    if row is not None:  # SonicJS's meta.collection: the collection the path names
        page.meta["collection"] = serialize_collection(row)
    if query.locale is not None:
        page.meta["locale"], page.meta["fallback"] = query.locale[0], list(query.locale[1])
    return list_envelope(page.items, ctx.clock.now_ms(), **page.meta)


@dataclass
class _Page:
    """One page of a list, and what its count needs."""

    items: list[dict[str, Any]]
    meta: dict[str, Any]
    #: The ids of every matching row (the count's query), and the values of its parameters.
    matching: Select[Any]
    has_more: bool
    #: The count when the page's query already told it (a ranked search's window).
    counted: tuple[int, bool] | None = None
    params: dict[str, Any] = field(default_factory=dict)


# The parameters of a planned list's statements: what changes between two requests of one shape.
_NOW = bindparam("visible_at", type_=BigInteger)
_COLLECTION = bindparam("collection_id", type_=String)
_OFFSET = bindparam("page_offset", type_=Integer)
_SIZE = bindparam("page_size", type_=Integer)
_AFTER_VALUE: BindParameter[Any] = bindparam("after_value")
_AFTER_ID = bindparam("after_id", type_=String)


@dataclass(frozen=True, slots=True)
class _Plan:
    """The statements of one list shape, built once with the parameters above unbound."""

    #: The page's statement; a search without a sort has ranked statements instead.
    page: Select[Any] | RankedSearch
    matching: Select[Any]


#: Plans by shape. Building a statement costs more than running it on a warm SQLite page (a
#: list's visibility clause, columns and order are ~200 SQLAlchemy objects); a shape is what
#: :func:`_shape_key` names. Cleared whole when full: shapes with a filter value in them (one
#: per slug looked up) would otherwise grow without bound.
_PLANS: dict[tuple[Any, ...], _Plan] = {}
_PLANS_KEPT = 512


def _shape_key(
    dialect: str, actor: Actor, query: ListQuery, in_collection: bool
) -> tuple[Any, ...]:
    fields = tuple(query.fields) if query.fields is not None else None
    filters, sort = repr(query.filters), repr(query.sort)
    cursor = query.cursor is not None
    scope = visibility_scope(actor)
    # a search's statements join or rank its words' hits: never a plain list's plan
    search = None if query.search is None else "sorted" if query.sort else "ranked"
    return (dialect, scope, in_collection, fields, filters, sort, cursor, query.locale, search)


def _plan(dialect: str, actor: Actor, query: ListQuery, in_collection: bool) -> _Plan:
    """The statements of this list's shape (built on first use)."""
    key = _shape_key(dialect, actor, query, in_collection)
    plan = _PLANS.get(key)
    if plan is None:
        if len(_PLANS) >= _PLANS_KEPT:
            _PLANS.clear()
        plan = _PLANS[key] = _build_plan(dialect, actor, query, in_collection)
    return plan


def _build_plan(dialect: str, actor: Actor, query: ListQuery, in_collection: bool) -> _Plan:
    conditions = _conditions(dialect, actor, query, _NOW, _COLLECTION if in_collection else None)
    if query.search is not None:
        return _build_search_plan(dialect, query, conditions)
    sort = query.sort or DEFAULT_SORT
    page: Select[Any] = select(*_columns(query)).where(*conditions)
    if query.cursor is not None:
        key = tuple_(CONTENT.c[sort[0].field], CONTENT.c.id)
        mark = tuple_(_AFTER_VALUE, _AFTER_ID)
        page = page.where(key < mark if sort[0].descending else key > mark)
    else:
        page = page.offset(_OFFSET)
    matching: Select[Any] = select(CONTENT.c.id).where(*conditions)
    return _Plan(page.order_by(*_order(query, dialect)).limit(_SIZE), matching)


def _build_search_plan(
    dialect: str, query: ListQuery, conditions: list[ColumnElement[bool]]
) -> _Plan:
    """A search's statements: ranked (content/search.py) unless sorted, when its hits join
    the list; the words are a parameter too."""
    hits = search_subquery(dialect)
    # Count from the search hits, checking each against the conditions: a join or IN lets
    # SQLite walk every visible row of the collection and probe the FTS index per row.
    matching: Select[Any] = select(hits.c.content_id).where(
        exists().where(CONTENT.c.id == hits.c.content_id, *conditions)
    )
    if not query.sort:
        return _Plan(ranked_search(dialect, _columns(query), conditions), matching)
    page = (
        select(*_columns(query))
        .join(hits, hits.c.content_id == CONTENT.c.id)
        .where(*conditions)
        .order_by(*_order(query, dialect))
        .offset(_OFFSET)
        .limit(_SIZE)
    )
    return _Plan(page, matching)


def _order(query: ListQuery, dialect: str) -> list[ColumnElement[Any]]:
    """ORDER BY of a list: its sort (newest first by default), then the id for a total order."""
    sort = query.sort or DEFAULT_SORT
    order = [sort_expression(k, dialect) for k in sort]
    order.append(CONTENT.c.id.desc() if sort[0].descending else CONTENT.c.id.asc())
    return order


def _conditions(
    dialect: str,
    actor: Actor,
    query: ListQuery,
    now: int | ColumnElement[int],
    collection_id: ColumnElement[str] | None,
) -> list[ColumnElement[bool]]:
    """What a listed item must satisfy: the actor's visibility at ``now``, the filters, and
    being in the collection when one is named (values, or parameters bound per request)."""
    visible = visibility(actor, now)
    conditions = [visible, *(build_where(f, dialect) for f in query.filters)]
    if query.locale is None:
        conditions.append(DEFAULT_ROWS)
    else:
        _, chain, default = query.locale
        conditions.append(best_of_chain(chain, default, visible))
    if collection_id is not None:
        conditions.append(CONTENT.c.collection_id == collection_id)
    return conditions


def _run_planned(
    conn: Connection,
    dialect: str,
    actor: Actor,
    query: ListQuery,
    collection_id: str | None,
    now_ms: int,
) -> _Page:
    """A page of a list without search, through its shape's :class:`_Plan`."""
    plan = _plan(dialect, actor, query, collection_id is not None)
    params: dict[str, Any] = {
        "visible_at": now_ms,
        "collection_id": collection_id,
        "page_size": query.limit + 1,
        "page_offset": query.offset,
    }
    if query.cursor is not None:
        params["after_value"], params["after_id"] = query.cursor
    assert isinstance(plan.page, Select)  # a list without search is never ranked
    rows = conn.execute(plan.page, params).all()
    return _page_of(conn, actor, query, rows, plan.matching, None, params)


def _run_search(
    conn: Connection,
    dialect: str,
    actor: Actor,
    query: ListQuery,
    collection_id: str | None,
    now_ms: int,
    settings: Settings,
) -> _Page:
    """A page of a search, through its shape's :class:`_Plan`: relevance-ranked unless a sort
    is given."""
    assert query.search is not None
    terms = parse_search(query.search, settings.search_max_length)
    plan = _plan(dialect, actor, query, collection_id is not None)
    params: dict[str, Any] = {
        "visible_at": now_ms,
        "collection_id": collection_id,
        "search_q": search_words(dialect, terms),
    }
    plan_each_search(conn, dialect)
    size = query.limit + 1
    if isinstance(plan.page, Select):
        rows = conn.execute(plan.page, {**params, "page_offset": query.offset, "page_size": size})
        return _page_of(conn, actor, query, rows.all(), plan.matching, None, params)
    window = settings.search_rank_window
    ranked = ranked_page(conn, plan.page, params, query.offset, size, window)
    counted = ranked.count(settings.content_count_limit)
    return _page_of(conn, actor, query, ranked.rows, plan.matching, counted, params)


def _page_of(
    conn: Connection,
    actor: Actor,
    query: ListQuery,
    rows: Sequence[Row[Any]],
    matching: Select[Any],
    counted: tuple[int, bool] | None,
    params: dict[str, Any],
) -> _Page:
    """The page's items and meta from its rows (one more than the limit, if there are more)."""
    sort = query.sort or DEFAULT_SORT
    has_more = len(rows) > query.limit
    rows = rows[: query.limit]
    items = [_shape(row, query.fields) for row in rows]
    if query.locale is not None:
        default = query.locale[2]
        for item, row in zip(items, rows, strict=True):
            item["locale"] = locale_of(row, default)
    if query.include:
        attach_includes(conn, items, rows, query.include, show_email=actor.is_authenticated)
    meta: dict[str, Any] = {"count": len(items)}
    if _keyset_ok(sort, query):
        last = rows[-1] if rows and has_more else None
        meta["next_cursor"] = (
            encode_cursor(sort, getattr(last, sort[0].field), last.id) if last is not None else None
        )
    return _Page(items, meta, matching, has_more, counted, params)


def _recall_count(
    ctx: Context,
    conn: Connection,
    key: tuple[Any, ...],
    matching: Select[Any],
    params: dict[str, Any],
    read_under: Stamp | None,
) -> tuple[int, bool]:
    """:func:`_count`, from memory while no content was written since ``read_under`` and no
    item entered or left the public view (``key`` names the list and who reads it)."""
    counted: tuple[int, bool] | None = ctx.recall(key)
    if counted is None:
        counted = _count(conn, matching, params, ctx.settings)
        if read_under is None:
            return counted  # nothing can be remembered: spare the visibility query
        public = key[-1] != EVERYTHING
        now = ctx.clock.now_ms()
        until = remembered_visibility_change(ctx, now, read_under, conn) if public else None
        ctx.remember(key, counted, ("content",), read_under, until_ms=until)
    return counted


def _count(
    conn: Connection, matching: Select[Any], params: dict[str, Any], settings: Settings
) -> tuple[int, bool]:
    """How many rows match, counting at most ``content_count_limit`` (and whether it stopped).

    An exact count reads every matching row (or index entry); a filter on a ``data`` field
    cannot use an index, so at 100k items one page would cost a full scan. Counting stops at
    the limit, which bounds the cost of every page; ``hasNext`` stays exact regardless.
    """
    cap = settings.content_count_limit
    bounded = matching.limit(cap + 1).subquery("matching")
    total = int(conn.execute(select(func.count()).select_from(bounded), params).scalar_one())
    return min(total, cap), total > cap


def _keyset_ok(sort: list[SortKey], query: ListQuery) -> bool:
    return query.search is None and len(sort) == 1 and sort[0].field in KEYSET_FIELDS


def _columns(query: ListQuery) -> list[ColumnElement[Any]]:
    names = (
        set(ITEM_FIELDS.values())
        if query.fields is None
        else {ITEM_FIELDS[f] for f in query.fields}
    )
    names |= {"id", "author_id", "collection_id", "featured_image_id"}
    # sorting columns are selected for the cursor; ``author`` sorts by the author's name
    names |= {k.field for k in query.sort if k.field in CONTENT.c} | {"created_at"}
    if query.locale is not None:
        names |= {"locale", "translation_group_id"}
    columns: list[ColumnElement[Any]] = [CONTENT.c[n] for n in sorted(names)]
    # the whole representation carries the approved comment count (a lookup per listed row)
    return columns if query.fields is not None else [*columns, APPROVED_COMMENTS]


def _shape(row: Any, fields: list[str] | None) -> dict[str, Any]:
    if fields is None:
        return serialize_item(row)
    m = row._mapping
    return {name: m[ITEM_FIELDS[name]] for name in fields}


def _pagination(
    query: ListQuery, counted: tuple[int, bool], shown: int, has_more: bool
) -> dict[str, Any]:
    """The seed's pagination object, agreeing with what paging returns: ``hasNext`` is
    ``page < pages`` and ``hasPrev`` is ``page > 1`` on every page.

    Pages are ``limit`` items on the grid the request's offset sets (``page`` is
    ``ceil(offset / limit) + 1``, the page number for ``page=`` requests). Below the count
    limit ``total`` is exact. Beyond it (``totalCapped``) ``total`` and ``pages`` are lower
    bounds, raised by what this page proves: one more row exists when ``hasNext`` (the page
    fetched a row more than it shows), and a page that reaches the end gives the exact total.
    """
    total, capped = counted
    if capped and shown and not has_more:
        total, capped = query.offset + shown, False
    elif capped and shown:
        # an empty page past the end proves nothing about rows before its offset
        total = max(total, query.offset + shown + (1 if has_more else 0))
    before = -(-query.offset // query.limit)
    pagination: dict[str, Any] = {
        "page": before + 1,
        "limit": query.limit,
        "offset": query.offset,
        "total": total,
        "pages": before + -(-max(total - query.offset, 0) // query.limit),
        "hasNext": has_more,
        "hasPrev": query.offset > 0,
    }
    if capped:
        pagination["totalCapped"] = True
    return pagination


def content_stats(ctx: Context) -> dict[str, Any]:
    """Counts per status and per collection, of what the actor may read now."""
    scope = visibility(ctx.actor, ctx.clock.now_ms())
    with ctx.db.read() as conn:
        rows = conn.execute(
            select(CONTENT.c.collection_id, CONTENT.c.status, func.count().label("n"))
            .where(scope, DEFAULT_ROWS)
            .group_by(CONTENT.c.collection_id, CONTENT.c.status)
        ).all()
        names = {r.id: r.name for r in conn.execute(select(COLLECTIONS.c.id, COLLECTIONS.c.name))}
    by_status: dict[str, int] = {}
    by_collection: dict[str, dict[str, Any]] = {}
    for row in rows:
        by_status[row.status] = by_status.get(row.status, 0) + row.n
        entry = by_collection.setdefault(
            row.collection_id,
            {
                "collection_id": row.collection_id,
                "name": names.get(row.collection_id),
                "total": 0,
                "by_status": {},
            },
        )
        entry["total"] += row.n
        entry["by_status"][row.status] = row.n
    return {
        "total": sum(by_status.values()),
        "by_status": by_status,
        "by_collection": sorted(by_collection.values(), key=lambda e: str(e["name"])),
        "collections": len(names),
    }
