"""Bulk content import: many items per transaction, all-or-nothing per batch.

Seeding a site or migrating one means thousands of items; one transaction per item is dominated
by commits. Items are taken in batches: every item of a batch is checked exactly as
:func:`sonic_cms.services.content.create_item` checks it (the same compiled schema, defaults,
slug rules, references), then the batch's content rows and their version-1 rows are written with
two executemany inserts in one transaction. Search stays consistent on its own: SQLite's FTS5
triggers fire per row, PostgreSQL's GIN index is over an expression of the row.

A bad item fails its whole batch: nothing of that batch is written, and every problem of the
batch is reported with its line number, so a caller can fix the file and import the rest again.
Other batches are not affected.

Hooks fire per item, as for ``POST /api/content``: the ``content:create`` and ``content:save``
filters on each item once its fields have the right shape (a plugin's refusal is a problem of
that item, so it fails the batch), then the full checks on what the filters returned; the
actions after the batch commits, one per item. With no handlers registered this costs two
dictionary lookups per item.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection, Table, insert, select

from sonic_cms.clock import Clock
from sonic_cms.db.change_capture import capture_paused, last_rowid, sqlite_log_inserted
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import User
from sonic_cms.plugins.hooks import HookCancelled, HookScope
from sonic_cms.services import content_hooks
from sonic_cms.services.actors import Actor
from sonic_cms.services.content import (
    VERSIONS,
    Target,
    after_write,
    checked_data,
    field_problems,
    new_item_row,
    publish_created,
    resolve_target,
    unique_slug,
    unknown_field_problems,
    version_row,
)
from sonic_cms.services.content_access import CONTENT
from sonic_cms.services.errors import BadRequest
from sonic_cms.services.search import FTS_INSERT_TRIGGER, index_new_items
from sonic_cms.services.slugs import slugify

USERS = cast(Table, User.__table__)
IMPORTABLE = frozenset({"title", "slug", "status", "data", "author_id"})
#: Bound parameters per IN list (SQLite allows 32,766 per statement; keep well under).
_IN_CHUNK = 500


@dataclass(frozen=True)
class Malformed:
    """An input line that is not JSON (the reader's error message), reported like a bad item."""

    message: str


@dataclass(frozen=True)
class Problem:
    """Why one item of a batch was refused."""

    line: int
    path: str
    message: str


@dataclass
class BatchResult:
    """One batch: the lines it covered, how many items it wrote, and why it was refused."""

    first_line: int
    last_line: int
    written: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the batch was written."""
        return not self.problems


@dataclass
class ImportReport:
    """The outcome of a bulk import, batch by batch."""

    batches: list[BatchResult] = field(default_factory=list)

    @property
    def created(self) -> int:
        """Items written."""
        return sum(b.written for b in self.batches)

    @property
    def rejected(self) -> list[BatchResult]:
        """Batches that wrote nothing because one of their items was bad."""
        return [b for b in self.batches if not b.ok]


class _Rejected(Exception):
    """Rolls a batch's transaction back; carries the batch's problems."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


def bulk_create_items(
    db: Database,
    actor: Actor,
    clock: Clock,
    collection: str,
    items: Iterable[Any],
    *,
    batch_size: int,
    author_id: str | None = None,
    first_line: int = 1,
) -> ImportReport:
    """Create ``items`` (dicts as ``POST /api/content`` takes them) in ``collection``.

    Items are numbered from ``first_line`` for the report. ``author_id`` is the author of items
    that name none (default: the acting user); only the system actor may name ``author_id``
    per item. Returns a report; a batch with a bad item writes nothing.
    """
    actor.require("content.create")
    if batch_size < 1:
        raise BadRequest("batch_size must be at least 1", code="invalid_batch_size")
    default_author = author_id or actor.user_id
    if default_author is None and not actor.is_system:
        raise BadRequest("Content needs an author: act as a user", code="author_required")
    with db.read() as conn:
        resolve_target(conn, collection)  # 404 before reading any input
    report = ImportReport()
    for start, batch in _batches(items, batch_size, first_line):
        result = BatchResult(first_line=start, last_line=start + len(batch) - 1)
        try:
            with db.write() as conn:
                hooks = db.hooks.scope(conn, actor, db.read)
                result.written = _write_batch(
                    hooks, actor, clock.now_ms(), collection, batch, start, default_author
                )
            hooks.fire()
        except _Rejected as rejected:
            result.problems = rejected.problems
        report.batches.append(result)
    if report.created and db.dialect == "postgresql":
        # fresh statistics: without them the planner may scan content for a search (seconds)
        with db.write() as conn:
            conn.exec_driver_sql("ANALYZE content")
    return report


def _batches(items: Iterable[Any], size: int, first_line: int) -> Iterator[tuple[int, list[Any]]]:
    iterator = iter(items)
    line = first_line
    while batch := list(itertools.islice(iterator, size)):
        yield line, batch
        line += len(batch)


@dataclass
class _SlugBook:
    """Slugs taken in the collection: prefetched for the batch, plus those the batch claims."""

    conn: Connection
    target: Target
    known: dict[str, bool]
    claimed: set[str] = field(default_factory=set)

    def taken(self, slug: str) -> bool:
        if slug in self.claimed:
            return True
        if slug not in self.known:
            query = select(CONTENT.c.id).where(
                CONTENT.c.collection_id == self.target.id, CONTENT.c.slug == slug
            )
            self.known[slug] = self.conn.execute(query.limit(1)).first() is not None
        return self.known[slug]


def _slug_book(conn: Connection, target: Target, batch: list[Any]) -> _SlugBook:
    """One query for every explicit slug and every generated base slug of the batch."""
    wanted = set()
    for raw in batch:
        if isinstance(raw, dict):
            slug, title = raw.get("slug"), raw.get("title")
            if isinstance(slug, str):
                wanted.add(slug)
            elif isinstance(title, str):
                wanted.add(slugify(title.strip()) or "item")
    found: set[str] = set()
    ordered = sorted(wanted)
    for chunk in (ordered[i : i + _IN_CHUNK] for i in range(0, len(ordered), _IN_CHUNK)):
        found |= set(
            conn.execute(
                select(CONTENT.c.slug).where(
                    CONTENT.c.collection_id == target.id, CONTENT.c.slug.in_(chunk)
                )
            ).scalars()
        )
    return _SlugBook(conn, target, {s: s in found for s in wanted})


def _write_batch(
    hooks: HookScope,
    actor: Actor,
    now: int,
    collection: str,
    batch: list[Any],
    start: int,
    default_author: str | None,
) -> int:
    conn = hooks.conn
    target = resolve_target(conn, collection)
    slugs = _slug_book(conn, target, batch)
    authors = _known_authors(conn, batch, default_author) if actor.is_system else set()
    rows: list[dict[str, Any]] = []
    versions: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for line, raw in enumerate(batch, start):
        item, found = _prepare(hooks, actor, target, raw, now, slugs, authors, default_author)
        problems += [Problem(line, p["path"], p["message"]) for p in found]
        if item is not None and not problems:
            rows.append(item)
            versions.append(version_row(item, item["author_id"], now))
    if problems:
        raise _Rejected(problems)
    _insert_items(conn, rows, versions)
    for row in rows:
        after_write(hooks, "create", row)
    return len(rows)


def _insert_items(
    conn: Connection, rows: list[dict[str, Any]], versions: list[dict[str, Any]]
) -> None:
    """Insert a batch's content rows and version rows.

    On SQLite the per-row work of triggers is done for the batch as a set instead, inside the
    same transaction: the FTS trigger is dropped and re-created around the insert and the rows
    are indexed in one statement (see index_new_items), and time travel's capture triggers are
    paused while one statement per table logs exactly what they would have (same JSON, same
    order). No other connection ever sees the table without its triggers; a failure restores
    them with the rollback.
    """
    if conn.dialect.name != "sqlite":
        conn.execute(insert(CONTENT), rows)
        conn.execute(insert(VERSIONS), versions)
        return
    trigger = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
        (FTS_INSERT_TRIGGER,),
    ).scalar()
    marks = {table: last_rowid(conn, table) for table in ("content", "content_versions")}
    with capture_paused(conn) as log_ourselves:
        if trigger is not None:
            conn.exec_driver_sql(f"DROP TRIGGER {FTS_INSERT_TRIGGER}")
        _sqlite_insert(conn, CONTENT, rows)
        _sqlite_insert(conn, VERSIONS, versions)
        if trigger is not None:
            index_new_items(conn, [r["id"] for r in rows])
            conn.exec_driver_sql(trigger)
        if log_ourselves:
            for table, mark in marks.items():
                sqlite_log_inserted(conn, table, mark)


def _sqlite_insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """``INSERT ... VALUES`` for many rows straight through the driver, with each column's own
    bind processing (JSON, booleans): SQLAlchemy's per-row parameter handling cost more than
    SQLite's insert of a content row without its indexes."""
    if not rows:
        return
    names = list(rows[0])
    processors = [table.c[name].type.bind_processor(conn.dialect) for name in names]
    steps = list(zip(names, processors, strict=True))
    columns = ", ".join(f'"{name}"' for name in names)
    marks = ", ".join("?" * len(names))
    sql = f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})'
    conn.exec_driver_sql(sql, [tuple(p(row[n]) if p else row[n] for n, p in steps) for row in rows])


def _known_authors(conn: Connection, batch: list[Any], default: str | None) -> set[str]:
    named = {r["author_id"] for r in batch if isinstance(r, dict) and "author_id" in r}
    wanted = {a for a in named | {default} if isinstance(a, str)}
    if not wanted:
        return set()
    return set(conn.execute(select(USERS.c.id).where(USERS.c.id.in_(wanted))).scalars())


def _prepare(
    hooks: HookScope,
    actor: Actor,
    target: Target,
    raw: Any,
    now: int,
    slugs: _SlugBook,
    authors: set[str],
    default_author: str | None,
) -> tuple[dict[str, Any] | None, list[dict[str, str]]]:
    """The item's row, or the problems that refuse it."""
    if isinstance(raw, Malformed):
        return None, [{"path": "line", "message": f"not JSON: {raw.message}"}]
    if not isinstance(raw, dict):
        return None, [{"path": "line", "message": "must be a JSON object"}]
    problems = _shape_problems(actor, raw, authors, default_author)
    if problems:
        return None, problems
    try:
        raw, changed = _filtered(hooks, target, raw, default_author)
    except HookCancelled as refused:
        return None, [{"path": "plugin", "message": refused.message}]
    problems = _shape_problems(actor, raw, authors, default_author) if changed else []
    if problems:
        return None, problems
    conn = hooks.conn
    status = raw.get("status", "draft")
    author = raw.get("author_id", default_author)
    title = raw["title"].strip()
    slug = raw.get("slug")
    if slug is not None and slugs.taken(slug):
        return None, [{"path": "slug", "message": f"{slug!r} is already used in {target.name}"}]
    slug = slug or unique_slug(title, slugs.taken)
    slugs.claimed.add(slug)
    fields = {"title": title, "slug": slug, "data": raw.get("data") or {}}
    data, problems = checked_data(conn, target, fields, creating=True)
    if problems:
        return None, problems
    item = new_item_row(target, now, fields | {"data": data}, str(author), status, raw)
    try:
        publish_created(hooks, item)
    except HookCancelled as refused:
        return None, [{"path": "plugin", "message": refused.message}]
    return item, []


def _shape_problems(
    actor: Actor, raw: dict[str, Any], authors: set[str], default_author: str | None
) -> list[dict[str, str]]:
    """Problems of the item's own fields, its status permission and its author."""
    allowed = IMPORTABLE if actor.is_system else IMPORTABLE - {"author_id"}
    problems = unknown_field_problems(raw, allowed) + field_problems(raw, creating=True)
    status = raw.get("status", "draft")
    if status != "draft" and not actor.can("content.publish"):
        problems.append({"path": "status", "message": "publishing needs content.publish"})
    author = raw.get("author_id", default_author)
    if actor.is_system and (not isinstance(author, str) or author not in authors):
        problems.append({"path": "author_id", "message": "names no user"})
    return problems


def _filtered(
    hooks: HookScope, target: Target, raw: dict[str, Any], default_author: str | None
) -> tuple[dict[str, Any], bool]:
    """The item after the ``content:create``/``content:save`` filters; whether they changed it."""
    if not hooks.wants("content:create") and not hooks.wants("content:save"):
        return raw, False
    payload = content_hooks.write_payload(
        {**raw, "status": raw.get("status", "draft")},
        item_id=None,
        collection_id=target.id,
        collection=target.name,
        author_id=str(raw.get("author_id", default_author)),
    )
    changes = content_hooks.filter_write(hooks, "create", payload)
    if not changes:
        return raw, False
    changed = {**raw, **changes}
    if changed.get("slug") is None:
        changed.pop("slug", None)
    return changed, True
