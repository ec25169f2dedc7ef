"""The query floor's spec: the SQL the content service issues for each benchmarked URL.

Each URL is read in-process by the API's own service (``list_content`` or ``get_item``, acting
anonymously; the second of two reads, the steady state) with SQLAlchemy's
``before_cursor_execute`` hook recording every statement exactly as the driver receives it
(text and parameters, in the driver's paramstyle), so the floor replays the same SELECTs on the
raw driver. The collection row a list carries in
``meta.collection`` never changes during a benchmark, so the spec holds it (as any cache would)
instead of its lookup query.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from sqlalchemy import event

from bench.content_seed import bench_context
from sonic_cms.actors import ANONYMOUS
from sonic_cms.content.history import get_item
from sonic_cms.content.lists import list_content
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.db.schema.tables import CONTENT
from sonic_cms.db.types import JSONText

LIST_PATH = re.compile(r"/api/collections/([^/]+)/content")
ITEM_PATH = re.compile(r"/api/content/([^/]+)")
Statement = tuple[str, Any]


@contextlib.contextmanager
def recorded(db: Database) -> Iterator[list[Statement]]:
    """Every statement ``db`` sends to its driver inside the block, with its parameters."""
    statements: list[Statement] = []

    def hook(*args: Any) -> None:
        _conn, _cursor, sql, parameters, _context, _many = args
        statements.append((sql, parameters))

    event.listen(db.engine, "before_cursor_execute", hook)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", hook)


def on_content(statements: list[Statement], *, counting: bool) -> Statement | None:
    """The one statement reading the content table that counts (or does not); None if none."""
    found = [
        (sql, params)
        for sql, params in statements
        if re.search(r"\bFROM content\b", sql) and ("count(" in sql) == counting
    ]
    if len(found) > 1:
        raise RuntimeError(f"more than one candidate statement: {[s for s, _ in found]}")
    return found[0] if found else None


def _steady(_namespace: str) -> str:
    """Generations that never move: nothing is written while the spec is captured, so what
    the service keeps in memory (list counts, collections) stays valid, as in a server."""
    return "capture"


def read_once(ctx: Context, url: str) -> dict[str, Any]:
    """The service's document for a benchmarked URL (a list or an item)."""
    parts = urlsplit(url)
    if item := ITEM_PATH.fullmatch(parts.path):
        return {"data": get_item(ctx, unquote(item[1]))}
    if listed := LIST_PATH.fullmatch(parts.path):
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        return list_content(ctx, pairs, unquote(listed[1]))
    raise ValueError(f"not a benchmarked read: {url}")


def capture_read(db: Database, url: str, count_limit: int) -> dict[str, Any]:
    """The spec of one URL: its kind, statements and the constant parts of its envelope.

    The URL is read twice and the second read recorded: the steady state of a server, where
    what the service remembers (a list's count, in newer code) costs no query. A count read
    from memory is a constant of the spec, as it is of the server.
    """
    ctx = replace(bench_context(db, ANONYMOUS), generations=_steady)
    read_once(ctx, url)
    with recorded(db) as statements:
        document = read_once(ctx, url)
    rows = on_content(statements, counting=False)
    if rows is None:
        raise RuntimeError(f"{url}: no SELECT on content among {statements}")
    meta = document.get("meta")
    if meta is None:
        return {"kind": "item", "rows": rows}
    count = on_content(statements, counting=True)
    return {
        "kind": "list",
        "rows": rows,
        "count": count,
        "cap": count_limit,
        "pagination": meta["pagination"] if count is None else None,
        "limit": meta["pagination"]["limit"],
        "cursor": "next_cursor" in meta,
        "collection": meta.get("collection"),
    }


def capture_spec(db: Database, urls: list[str]) -> dict[str, Any]:
    """The query floor's spec for ``urls``."""
    limit = db.settings.content_count_limit
    return {
        "json_columns": [c.name for c in CONTENT.columns if isinstance(c.type, JSONText)],
        "reads": {url: capture_read(db, url, limit) for url in urls},
    }
