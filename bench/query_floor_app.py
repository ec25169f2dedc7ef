"""The query floor: a bare ASGI app running the API's own SELECTs with the raw driver.

No framework, no middleware, no authentication, no SQLAlchemy per request: for each benchmarked
URL it runs the statements the content service issued for that URL (captured once by
bench/query_floor_spec.py: the page's SELECT and the capped count for a list, the row's SELECT
for an item) with ``sqlite3`` or ``psycopg`` on one connection per worker (opened by the app's
engine, so with its pragmas, then used raw), shapes the rows with the API's item serializer,
and answers the same bytes as the API (``meta.timestamp`` aside) with orjson. A read's ratio
to it is the share of "what the same query costs in Python" the application reaches; the bare
floor (bench/floor_app.py) measures the HTTP stack alone.

``BENCH_QUERY_FLOOR_FILE`` names the spec (JSON, see :mod:`bench.query_floor_spec`); the
``SONIC_*`` settings the database, as for the real server. Served by the same uvicorn
settings: ``uvicorn bench.query_floor_app:app_from_environment --factory``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import orjson
import psycopg
from psycopg.types.json import set_json_loads

from bench.floor_app import Message, Receive, Send, answer, lifespan, request_url
from sonic_cms.config import Settings
from sonic_cms.content.lists import DEFAULT_SORT, encode_cursor
from sonic_cms.content.rows import etag_of, serialize_item
from sonic_cms.db.engine import build_engine
from sonic_cms.pagination import list_envelope

App = Callable[[Message, Receive, Send], Awaitable[None]]
_MISSING = b'{"error":"not in the query floor"}'


class Runner(Protocol):
    """Runs one captured statement; returns the column names and the rows."""

    def __call__(self, sql: str, params: Any) -> tuple[list[str], Sequence[Sequence[Any]]]: ...


def driver_connection(settings: Settings) -> Any:
    """The raw DB-API connection (``sqlite3`` or ``psycopg``) as the app's engine opens it:
    the same pragmas (cache and mmap sizes, WAL) on SQLite, autocommit and orjson for JSON."""
    proxied = build_engine(settings).raw_connection()
    raw = proxied.driver_connection
    if isinstance(raw, psycopg.Connection):
        raw.autocommit = True
        set_json_loads(orjson.loads, raw)
    return raw


def runner_for(settings: Settings) -> Runner:
    """A runner on one driver connection; SQLite's ``data`` comes back as text, decoded later."""
    conn = driver_connection(settings)

    def run(sql: str, params: Any) -> tuple[list[str], Sequence[Sequence[Any]]]:
        cursor = conn.execute(sql, params)
        names = [column[0] for column in cursor.description or ()]
        return names, cursor.fetchall()

    return run


def item_of(names: list[str], row: Sequence[Any], json_columns: frozenset[str]) -> dict[str, Any]:
    """The API's item from a raw row (text JSON columns decoded, as SQLite returns them)."""
    mapping = dict(zip(names, row, strict=True))
    for name in json_columns:
        value = mapping[name]
        if isinstance(value, str):
            mapping[name] = orjson.loads(value)
    return serialize_item(mapping)


def first_page(limit: int, counted: int, cap: int, shown: int, has_more: bool) -> dict[str, Any]:
    """``meta.pagination`` of page 1 (offset 0) for ``counted`` rows counted up to ``cap + 1``:
    the API's rule for page 1, where a page that reaches the end proves the exact total."""
    total, capped = min(counted, cap), counted > cap
    if capped and not has_more:
        total, capped = shown, False
    elif capped:
        total = max(total, shown + 1)
    block: dict[str, Any] = {"page": 1, "limit": limit, "offset": 0, "total": total}
    block |= {"pages": -(-total // limit), "hasNext": has_more, "hasPrev": False}
    if capped:
        block["totalCapped"] = True
    return block


def list_body(run: Runner, read: dict[str, Any], json_columns: frozenset[str]) -> bytes:
    """A list read: the page's SELECT (one row more than shown), the capped count, the envelope."""
    limit = read["limit"]
    names, rows = run(*read["rows"])
    has_more = len(rows) > limit
    items = [item_of(names, row, json_columns) for row in rows[:limit]]
    meta: dict[str, Any] = {"count": len(items)}
    if read["cursor"]:
        last = items[-1] if items and has_more else None
        meta["next_cursor"] = (
            encode_cursor(DEFAULT_SORT, last["created_at"], last["id"]) if last else None
        )
    if read["count"] is not None:
        counted = int(run(*read["count"])[1][0][0])
        meta["pagination"] = first_page(limit, counted, read["cap"], len(items), has_more)
    elif read["pagination"] is not None:  # the service counted from memory
        meta["pagination"] = read["pagination"]
    if read["collection"] is not None:
        meta["collection"] = read["collection"]
    return orjson.dumps(list_envelope(items, int(time.time() * 1000), **meta))


def item_response(
    run: Runner, read: dict[str, Any], json_columns: frozenset[str]
) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """An item read: the row's SELECT, ``{"data": item}`` and its ETag."""
    names, rows = run(*read["rows"])
    item = item_of(names, rows[0], json_columns)
    return orjson.dumps({"data": item}), [(b"etag", etag_of(item).encode())]


def respond(
    run: Runner, read: dict[str, Any] | None, json_columns: frozenset[str]
) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    """Status, body and extra headers for one request."""
    if read is None:
        return 404, _MISSING, []
    if read["kind"] == "item":
        return 200, *item_response(run, read, json_columns)
    return 200, list_body(run, read, json_columns), []


def make_app(spec: dict[str, Any], run: Runner) -> App:
    """The ASGI app over a spec ``{"json_columns": [...], "reads": {url: read}}``."""
    reads: dict[bytes, dict[str, Any]] = {u.encode(): r for u, r in spec["reads"].items()}
    json_columns = frozenset(spec["json_columns"])

    async def app(scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return await lifespan(receive, send)
        await answer(send, *respond(run, reads.get(request_url(scope)), json_columns))

    return app


def app_from_environment() -> App:
    """uvicorn factory: the spec named by ``BENCH_QUERY_FLOOR_FILE`` on the database of the
    app's settings (``SONIC_*``, the same environment as the server), one connection per worker
    process."""
    spec = orjson.loads(Path(os.environ["BENCH_QUERY_FLOOR_FILE"]).read_bytes())
    return make_app(spec, runner_for(Settings()))
