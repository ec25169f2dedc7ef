"""Bulk content import: many items per transaction, all-or-nothing per batch.

Seeding a site or migrating one means thousands of items; one transaction per item is dominated
by commits. Items are taken in batches: every item of a batch is checked exactly as
:func:`sonic_cms.content.items.create_item` checks it (the same compiled schema, defaults,
slug rules, references), then the batch's content rows and their version-1 rows are written in
one transaction. The rows go in as sets (one statement per table, see
:mod:`sonic_cms.db.row_sets`: SQLite's ``INSERT ... SELECT FROM json_each``, PostgreSQL's
``COPY``), and the search index and time travel's change log are filled set-wise with exactly
what their per-row triggers would write (see :func:`_insert_items`). The next batch is prepared
while this one is written (see :class:`_Import`).

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

import gc
import itertools
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Dialect, select

from sonic_cms.actors import Actor
from sonic_cms.content import hook_payloads as content_hooks
from sonic_cms.content.items import (
    Target,
    after_write,
    checked_data,
    existence_problems,
    field_problems,
    new_item_row,
    publish_created,
    resolve_target,
    unique_slug,
    unknown_field_problems,
    version_row,
)
from sonic_cms.content.search import (
    FTS_INSERT_TRIGGER,
    index_new_items,
    pg_index_new_items,
    pg_search_deferred,
)
from sonic_cms.content.slugs import slugify
from sonic_cms.context import Context
from sonic_cms.db.change_capture import (
    capture_paused,
    last_rowid,
    pg_log_inserted,
    sqlite_log_inserted,
)
from sonic_cms.db.planner_statistics import GrowthAnalyzer
from sonic_cms.db.row_sets import PackedRows, packed_rows
from sonic_cms.db.schema.tables import CONTENT, USERS, VERSIONS
from sonic_cms.errors import BadRequest
from sonic_cms.locales.groups import DEFAULT_ROWS
from sonic_cms.plugins import hookspecs
from sonic_cms.plugins.hooks import HookCancelled, HookScope

IMPORTABLE = frozenset({"title", "slug", "status", "data", "author_id"})
#: Filters that must run inside the batch's transaction, one item at a time.
_ITEM_FILTERS = (hookspecs.CONTENT_CREATE, hookspecs.CONTENT_SAVE, hookspecs.CONTENT_PUBLISH)
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
    ctx: Context,
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
    db, actor = ctx.db, ctx.actor
    actor.require("content.create")
    if batch_size < 1:
        raise BadRequest("batch_size must be at least 1", code="invalid_batch_size")
    default_author = author_id or actor.user_id
    if default_author is None and not actor.is_system:
        raise BadRequest("Content needs an author: act as a user", code="author_required")
    with db.read() as conn:
        resolve_target(conn, collection)  # 404 before reading any input
    job = _Import(ctx, collection, default_author)
    report = ImportReport()
    batches = _batches(items, batch_size, first_line)
    statistics = GrowthAnalyzer.start(db, "content", "content_versions")
    with _cyclic_gc_paused():
        results: Iterator[BatchResult]
        if any(ctx.hooks.has(hook, "filter") for hook in _ITEM_FILTERS):
            # filters must see each item inside its batch's transaction: one stage
            results = (job.run_sequential(start, batch) for start, batch in batches)
        else:
            results = job.run_pipelined(batches)
        for result in results:
            report.batches.append(result)
            if statistics is not None:
                statistics.wrote(result.written)
    if report.created and db.dialect == "postgresql":
        # fresh statistics: without them the planner may scan content for a search (seconds)
        with db.write() as conn:
            conn.exec_driver_sql("ANALYZE content")
            conn.exec_driver_sql("ANALYZE content_fts_vectors")
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
    #: title -> its slugified base, computed once for the prefetch and reused for the item
    bases: dict[str, str] = field(default_factory=dict)
    claimed: set[str] = field(default_factory=set)

    def taken(self, slug: str) -> bool:
        if slug in self.claimed:
            return True
        if slug not in self.known:
            query = select(CONTENT.c.id).where(
                CONTENT.c.collection_id == self.target.id, CONTENT.c.slug == slug, DEFAULT_ROWS
            )
            self.known[slug] = self.conn.execute(query.limit(1)).first() is not None
        return self.known[slug]


def _slug_book(conn: Connection, target: Target, batch: list[Any], claimed: set[str]) -> _SlugBook:
    """One query for every explicit slug and every generated base slug of the batch."""
    wanted = set()
    bases: dict[str, str] = {}
    for raw in batch:
        if isinstance(raw, dict):
            slug, title = raw.get("slug"), raw.get("title")
            if isinstance(slug, str):
                wanted.add(slug)
            elif isinstance(title, str):
                base = bases[title.strip()] = slugify(title.strip()) or "item"
                wanted.add(base)
    found: set[str] = set()
    ordered = sorted(wanted)
    for chunk in (ordered[i : i + _IN_CHUNK] for i in range(0, len(ordered), _IN_CHUNK)):
        found |= set(
            conn.execute(
                select(CONTENT.c.slug).where(
                    CONTENT.c.collection_id == target.id, CONTENT.c.slug.in_(chunk), DEFAULT_ROWS
                )
            ).scalars()
        )
    return _SlugBook(conn, target, {s: s in found for s in wanted}, bases, claimed)


def _batch_result(start: int, batch: list[Any], problems: list[Problem]) -> BatchResult:
    """The report line of the batch of ``batch`` starting at line ``start``."""
    return BatchResult(first_line=start, last_line=start + len(batch) - 1, problems=problems)


@dataclass
class _Prepared:
    """A batch checked and turned into rows, not yet written."""

    start: int
    batch: list[Any]
    target: Target
    hooks: HookScope
    rows: list[dict[str, Any]] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    _packed: list[PackedRows] | None = None

    def pack(self, dialect: Dialect) -> None:
        """Pack the rows for the engine's set insert now (in the preparing thread)."""
        if not self.problems:
            self._packed = [
                packed_rows(CONTENT, self.rows, dialect),
                packed_rows(VERSIONS, self.versions, dialect),
            ]

    def packed(self, dialect: Dialect) -> list[PackedRows]:
        """The packed content and version rows."""
        if self._packed is None:
            self.pack(dialect)
        assert self._packed is not None
        return self._packed

    def result(self) -> BatchResult:
        """The report line of this batch, before it is written."""
        return _batch_result(self.start, self.batch, self.problems)


@dataclass
class _Import:
    """One bulk import: how its batches are prepared (checked, slugged, turned into rows) and
    written.

    Two stages. Preparing is Python; writing is mostly the database (SQLite releases the GIL
    while it works; psycopg while it waits for PostgreSQL). With no filter handlers on the item
    hooks, batch N+1 is prepared in a thread, from its own read transaction, while batch N is
    written: the import then costs about the larger of the two stages instead of their sum.
    The write transaction checks that what the batch was prepared against still holds (the
    collection's schema, slugs still free, referenced items, media and authors still there)
    and prepares the batch again inside the transaction when it does not, so concurrent
    writers can never make it store what a sequential import would have refused. Filter
    handlers must see each item inside the batch's transaction, so with any of them
    registered both stages run there, one batch after the other.
    """

    #: The import's collaborators, acting for its caller.
    ctx: Context
    collection: str
    default_author: str | None
    #: Slugs this import claimed in batches prepared but maybe not yet committed.
    claimed: set[str] = field(default_factory=set)

    def prepare(self, hooks: HookScope, target: Target, start: int, batch: list[Any]) -> _Prepared:
        """Check every item of ``batch`` on ``hooks.conn``; rows for the good ones."""
        conn = hooks.conn
        prepared = _Prepared(start, batch, target, hooks)
        slugs = _slug_book(conn, target, batch, self.claimed)
        actor = self.ctx.actor
        authors = _known_authors(conn, batch, self.default_author) if actor.is_system else set()
        now = self.ctx.clock.now_ms()
        for line, raw in enumerate(batch, start):
            item, found = _prepare(
                hooks, actor, target, raw, now, slugs, authors, self.default_author
            )
            prepared.problems += [Problem(line, p["path"], p["message"]) for p in found]
            if item is not None and not prepared.problems:
                prepared.rows.append(item)
                prepared.versions.append(version_row(item, item["author_id"], now))
        prepared.pack(conn.dialect)
        return prepared

    def run_sequential(self, start: int, batch: list[Any]) -> BatchResult:
        """Prepare and write one batch inside one write transaction."""
        try:
            with self.ctx.db.write() as conn:
                hooks = self.ctx.hook_scope(conn)
                prepared = self.prepare(hooks, resolve_target(conn, self.collection), start, batch)
                written = self._store(prepared, hooks)
        except _Rejected as rejected:
            return _batch_result(start, batch, rejected.problems)
        hooks.fire()
        return written

    def run_pipelined(self, batches: Iterator[tuple[int, list[Any]]]) -> Iterator[BatchResult]:
        """Prepare the next batch in a thread while this one is written."""
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-prepare") as pool:
            pending: Future[_Prepared] | None = None
            for start, batch in batches:
                upcoming = pool.submit(self._prepare_outside, start, batch)
                if pending is not None:
                    yield self._write_prepared(pending.result())
                pending = upcoming
            if pending is not None:
                yield self._write_prepared(pending.result())

    def _prepare_outside(self, start: int, batch: list[Any]) -> _Prepared:
        with self.ctx.db.read() as conn:
            hooks = self.ctx.hook_scope(conn)
            return self.prepare(hooks, resolve_target(conn, self.collection), start, batch)

    def _write_prepared(self, prepared: _Prepared) -> BatchResult:
        if prepared.problems:
            prepared.hooks.discard()
            return prepared.result()
        try:
            with self.ctx.db.write() as conn:
                hooks = self.ctx.hook_scope(conn)
                target = resolve_target(conn, self.collection)
                if not _still_valid(conn, prepared, target, self.ctx.actor, self.default_author):
                    prepared.hooks.discard()
                    self.claimed.difference_update(row["slug"] for row in prepared.rows)
                    prepared = self.prepare(hooks, target, prepared.start, prepared.batch)
                written = self._store(prepared, hooks)
        except _Rejected as rejected:
            prepared.hooks.discard()
            return _batch_result(prepared.start, prepared.batch, rejected.problems)
        if prepared.hooks is not hooks:
            prepared.hooks.fire()  # content:publish actions queued while preparing
        hooks.fire()
        return written

    @staticmethod
    def _store(prepared: _Prepared, hooks: HookScope) -> BatchResult:
        if prepared.problems:
            raise _Rejected(prepared.problems)
        _insert_items(hooks.conn, prepared)
        for row in prepared.rows:
            after_write(hooks, "create", row)
        result = prepared.result()
        result.written = len(prepared.rows)
        return result


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """An import allocates a few dicts and lists per item and creates no reference cycles, yet
    the allocations trigger the cyclic collector, whose passes cost about 8% of an import.
    Paused while the import runs (reference counting still frees everything at once); switched
    back on only by whoever paused it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _still_valid(
    conn: Connection, prepared: _Prepared, target: Target, actor: Actor, default_author: str | None
) -> bool:
    """Whether what the batch was checked against outside the transaction still holds."""
    if target.id != prepared.target.id or target.schema is not prepared.target.schema:
        return False
    slugs = sorted(row["slug"] for row in prepared.rows)
    for chunk in (slugs[i : i + _IN_CHUNK] for i in range(0, len(slugs), _IN_CHUNK)):
        taken = conn.execute(
            select(CONTENT.c.id)
            .where(CONTENT.c.collection_id == target.id, CONTENT.c.slug.in_(chunk), DEFAULT_ROWS)
            .limit(1)
        ).first()
        if taken is not None:
            return False
    if actor.is_system:
        wanted = {row["author_id"] for row in prepared.rows}
        if not wanted <= _known_authors(conn, [{"author_id": a} for a in wanted], default_author):
            return False
    linked = target.schema.references or target.schema.media
    return not linked or not any(
        existence_problems(conn, target, row["data"]) for row in prepared.rows
    )


def _insert_items(conn: Connection, prepared: _Prepared) -> None:
    """Insert a batch's content rows and version rows.

    The per-row work of triggers is done for the batch as a set instead, inside the same
    transaction: the search index is filled with one statement while the per-row search
    trigger stands aside, and time travel's capture triggers are paused while one statement
    per table logs exactly what they would have (same row JSON, same order; on PostgreSQL the
    same transaction id). No other transaction ever sees a trigger missing; a failure restores
    everything with the rollback.
    """
    if conn.dialect.name == "postgresql":
        _insert_items_postgresql(conn, prepared)
        return
    trigger = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
        (FTS_INSERT_TRIGGER,),
    ).scalar()
    marks = {table: last_rowid(conn, table) for table in ("content", "content_versions")}
    with capture_paused(conn) as log_ourselves:
        if trigger is not None:
            conn.exec_driver_sql(f"DROP TRIGGER {FTS_INSERT_TRIGGER}")
        for packed in prepared.packed(conn.dialect):
            packed.insert(conn)
        if trigger is not None:
            index_new_items(conn, [r["id"] for r in prepared.rows])
            conn.exec_driver_sql(trigger)
        if log_ourselves:
            for table, mark in marks.items():
                sqlite_log_inserted(conn, table, mark)


def _insert_items_postgresql(conn: Connection, prepared: _Prepared) -> None:
    """PostgreSQL: COPY both tables with the search trigger deferred and capture paused (a
    transaction-local setting and a pause row, neither seen by other transactions), then one
    statement for the search vectors and one per table for the change log."""
    ids = [row["id"] for row in prepared.rows]
    with capture_paused(conn) as log_ourselves, pg_search_deferred(conn):
        for packed in prepared.packed(conn.dialect):
            packed.insert(conn)
        pg_index_new_items(conn, ids)
        if log_ourselves:
            pg_log_inserted(conn, "content", ids)
            pg_log_inserted(conn, "content_versions", [v["id"] for v in prepared.versions])


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
    slug = slug or unique_slug(title, slugs.taken, slugs.bases.get(title))
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
    if not hooks.wants(hookspecs.CONTENT_CREATE) and not hooks.wants(hookspecs.CONTENT_SAVE):
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
