"""`sonic db import-sonicjs FILE.sql`: move a SonicJS (v2.x) database in from `wrangler d1 export`.

The export is SQLite's own SQL (CREATE TABLE, INSERT INTO "t" VALUES(...), triggers,
``replace(..., char(10))`` for newlines, sqlite_sequence), so it is loaded into a scratch SQLite
database by SQLite itself rather than parsed here. That scratch file is kept in
SONIC_BACKUP_DIR: tables sonic-cms has no place for (faqs, forms, ...) stay there.

Rows are then mapped into sonic-cms in one transaction, each row in a savepoint so a row that
cannot be mapped is skipped with its reason while the rest go in. What SonicJS does differently:
timestamps in seconds (media, plugins, system_logs) become milliseconds; ``workflow_history``'s
older shape (action, from_status, to_status) becomes states and metadata; duplicate
``content_versions`` numbers are renumbered; slugs that clash within a collection or hold
non-ASCII letters are rewritten; API tokens are stored as keyed digests, never in plaintext;
password hashes (PBKDF2 or the old salted SHA-256) are kept and replaced by argon2id at login;
rich text (and the HTML in every version row) is cleaned on the way in by the same allow-list as
every write (sonic_cms.inputs.html), so nothing imported serves a ``<script>``.
"""

from __future__ import annotations

import datetime as dt
import gzip
import sqlite3
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Table, exc, func, insert, select

from sonic_cms.comments.counts import status_moves
from sonic_cms.config import Settings
from sonic_cms.content.slugs import is_valid_slug, slugify
from sonic_cms.context import Context
from sonic_cms.db import migrate
from sonic_cms.db.records import ROLES
from sonic_cms.db.schema import COMMENT_STATUSES, LOG_CATEGORIES, metadata
from sonic_cms.digests import LEGACY_API_TOKEN_PURPOSE, keyed_digest
from sonic_cms.inputs.html import HtmlPlan, plan_for_schema, sanitize
from sonic_cms.locale_tags import LocaleTagError, canonical_tag
from sonic_cms.operations.dump_format import column_kind

#: Epoch values below this are seconds (1e11 ms is 1973; 1e11 s is the year 5138).
SECONDS_LIMIT = 100_000_000_000
IMPORT_WORKFLOW_ID = "sonicjs-import"
#: SonicJS tables sonic-cms keeps its own rows for.
OWN_ROWS = {
    "migrations": "migration tracker; sonic-cms records its own revisions",
    "d1_migrations": "wrangler's migration tracker; not needed",
    "permissions": "sonic-cms has its own permission catalogue",
    "role_permissions": "sonic-cms has its own role grants",
    "log_config": "sonic-cms has its own log settings",
    "workflow_states": "sonic-cms has the same default states",
}


class SonicJSImportError(ValueError):
    """The export cannot be imported at all; nothing was written."""

    def __init__(self, message: str, code: str) -> None:
        self.code = code
        super().__init__(message)


@dataclass
class TableReport:
    """What happened to one SonicJS table."""

    table: str
    mapped: int = 0
    skipped: int = 0
    notes: list[str] = field(default_factory=list)
    #: rows whose rich text the HTML allow-list changed
    html_cleaned: int = 0

    def note(self, text: str) -> None:
        """Record a reason or a rewrite (kept short: the first 20 per table)."""
        if len(self.notes) < 20:
            self.notes.append(text)


@dataclass
class ImportReport:
    """Per table: mapped, skipped and why; and where the scratch copy is kept."""

    scratch: Path
    tables: list[TableReport] = field(default_factory=list)

    @property
    def total_mapped(self) -> int:
        """Rows written into sonic-cms."""
        return sum(t.mapped for t in self.tables)

    def table(self, name: str) -> TableReport:
        """The report line for ``name``."""
        return next(t for t in self.tables if t.table == name)


def token_digest(settings: Settings, plaintext: str) -> str:
    """The stored form of an imported API token, the one authentication looks it up by."""
    return keyed_digest(settings, LEGACY_API_TOKEN_PURPOSE, plaintext)


def imported_slug(value: str) -> str:
    """A SonicJS slug as it is when the API would accept it (its URL keeps working), else one
    made by the API's own rule (``content.slugs``); ``item`` when nothing is left."""
    return value if is_valid_slug(value) else (slugify(value) or "item")


_GZIP_MAGIC = b"\x1f\x8b"


def read_export(export: Path) -> str:
    """The SQL text of a ``wrangler d1 export`` file, plain (``.sql``) or gzipped (``.sql.gz``,
    recognised by its first bytes whatever its name).

    Raises:
        SonicJSImportError: with a code naming the cause (``file_not_found``, ``not_a_file``,
            ``unreadable_file``, ``corrupt_gzip``, ``not_utf8``) and what to do about it.
    """
    if not export.exists():
        raise SonicJSImportError(f"no such file: {export}", "file_not_found")
    if not export.is_file():
        raise SonicJSImportError(f"{export} is not a file; give the export's path", "not_a_file")
    try:
        raw = export.read_bytes()
    except OSError as error:
        raise SonicJSImportError(
            f"cannot read {export}: {error.strerror}; check its permissions", "unreadable_file"
        ) from error
    if raw.startswith(_GZIP_MAGIC):
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as error:
            raise SonicJSImportError(
                f"{export} is not a whole gzip file ({error}); copy or export it again",
                "corrupt_gzip",
            ) from error
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SonicJSImportError(
            f"{export} is not UTF-8 text ({error.reason} at byte {error.start}); give the "
            "`.sql` or `.sql.gz` file `wrangler d1 export` wrote",
            "not_utf8",
        ) from error


def load_scratch(export: Path, target: Path) -> Path:
    """Run the export's SQL in a new SQLite file (SQLite reads its own dialect best)."""
    script = read_export(export)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    conn = sqlite3.connect(target)
    try:
        conn.executescript(script)
    except sqlite3.Error as error:
        conn.close()
        target.unlink(missing_ok=True)
        raise SonicJSImportError(
            f"not a readable SQLite export: {error}; give the file `wrangler d1 export` wrote",
            "bad_export",
        ) from error
    conn.close()
    return target


def import_sonicjs(ctx: Context, export: Path) -> ImportReport:
    """Map a SonicJS export into the database in one transaction; returns the per-table report."""
    db = ctx.db
    if migrate.current_revision(db) != migrate.head_revision():
        raise SonicJSImportError("run `sonic db migrate` before importing", "not_migrated")
    stamp = dt.datetime.fromtimestamp(ctx.clock.now_ms() / 1000, dt.UTC).strftime("%Y%m%d_%H%M%S")
    scratch = load_scratch(export, ctx.settings.backup_dir / f"sonicjs-import-{stamp}.db")
    source = sqlite3.connect(scratch)
    source.row_factory = sqlite3.Row
    report = ImportReport(scratch)
    try:
        names = [
            str(r[0])
            for r in source.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        with db.write() as conn:
            if db.is_sqlite:
                conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
            mapper = _Mapper(conn, source, ctx.settings, report)
            for name in MAPPED_ORDER:
                if name in names:
                    MAPPERS[name](mapper)
            for name in names:
                if name not in MAPPERS:
                    _report_unmapped(source, name, report, scratch)
    finally:
        source.close()
    return report


def _report_unmapped(
    source: sqlite3.Connection, name: str, report: ImportReport, kept: Path
) -> None:
    count = int(source.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0])
    reason = OWN_ROWS.get(name, f"no sonic-cms table; kept in {kept.name}")
    report.tables.append(TableReport(name, 0, count, [reason]))


class _Mapper:
    """Reads SonicJS rows and writes sonic-cms rows, remembering which ids made it."""

    def __init__(
        self, conn: Connection, source: sqlite3.Connection, settings: Settings, report: ImportReport
    ) -> None:
        self.conn = conn
        self.source = source
        self.settings = settings
        self.report = report
        self.ids: dict[str, set[str]] = {}
        #: collection id -> where its HTML fields are; content id -> its collection's plan
        self.html_plans: dict[str, HtmlPlan | None] = {}
        self.item_plans: dict[str, HtmlPlan | None] = {}
        #: collection id -> the data keys its schema declares (None: it accepts any)
        self.declared: dict[str, frozenset[str] | None] = {}

    def rows(self, table: str) -> list[dict[str, Any]]:
        return [dict(r) for r in self.source.execute(f'SELECT * FROM "{table}" ORDER BY rowid')]

    def start(self, table: str) -> TableReport:
        line = TableReport(table)
        self.report.tables.append(line)
        self.ids[table] = set()
        return line

    def has(self, table: str, row_id: Any) -> bool:
        return row_id is not None and str(row_id) in self.ids.get(table, set())

    def write(self, line: TableReport, table: Table, row: dict[str, Any]) -> bool:
        """Insert one row in a savepoint; on a constraint failure skip it with the reason."""
        values = {c.name: _convert(row[c.name], c) for c in table.columns if c.name in row}
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(table).values(**values))
        except exc.IntegrityError as error:
            reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
            return self.skip(line, f"{row.get('id')}: {reason}")
        line.mapped += 1
        self.ids[table.name].add(str(row["id"]))
        return True

    @staticmethod
    def clean_html(row: dict[str, Any], plan: HtmlPlan | None) -> bool:
        """Clean the row's ``data`` (JSON text) where its collection holds HTML; whether it
        changed."""
        if plan is None or row.get("data") is None:
            return False
        data = _convert(row["data"], _table("content").c.data)
        cleaned = sanitize(plan, data)
        if cleaned is data:
            return False
        row["data"] = cleaned
        return True

    def skip(self, line: TableReport, reason: str) -> bool:
        line.skipped += 1
        line.note(reason)
        return False


def _convert(value: Any, column: Any) -> Any:
    kind = column_kind(column)
    if value is None:
        return None
    if kind == "json" and isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    if kind in ("bool", "intbool"):
        return bool(value)
    if kind == "datetime" and isinstance(value, str):
        return dt.datetime.fromisoformat(value.replace("Z", ""))
    if kind == "int" and column.name.endswith(("_at", "_until", "_expires", "last_updated")):
        return value * 1000 if isinstance(value, int) and abs(value) < SECONDS_LIMIT else value
    return value


def _table(name: str) -> Table:
    return metadata.tables[name]


def _map_users(m: _Mapper) -> None:
    line = m.start("users")
    invitations: list[tuple[str, str]] = []
    existing = {str(e).lower() for e in m.conn.execute(select(_table("users").c.email)).scalars()}
    for row in m.rows("users"):
        if str(row["email"]).lower() in existing:
            m.skip(line, f"{row['id']}: email {row['email']} already exists")
            continue
        if row.get("role") not in ROLES:
            line.note(f"{row['id']}: role {row.get('role')!r} unknown, made viewer")
            row["role"] = "viewer"
        if row.get("invited_by"):
            invitations.append((row["id"], row["invited_by"]))
            row["invited_by"] = None
        if m.write(line, _table("users"), row):
            existing.add(str(row["email"]).lower())
    users = _table("users")
    for user_id, inviter in invitations:
        if m.has("users", user_id) and m.has("users", inviter):
            m.conn.execute(users.update().where(users.c.id == user_id).values(invited_by=inviter))
    if line.mapped:
        line.note("password hashes kept; verified once at login, then re-hashed with argon2id")


def _map_collections(m: _Mapper) -> None:
    line = m.start("collections")
    for row in m.rows("collections"):
        schema = _convert(row["schema"], _table("collections").c.schema)
        if not isinstance(schema, dict):
            m.skip(line, f"{row['id']}: schema is not a JSON object")
            continue
        if m.write(line, _table("collections"), row):
            m.html_plans[str(row["id"])] = plan_for_schema(schema)
            m.declared[str(row["id"])] = _declared_keys(schema)


def _map_media(m: _Mapper) -> None:
    line = m.start("media")
    for row in m.rows("media"):
        if not m.has("users", row["uploaded_by"]):
            m.skip(line, f"{row['id']}: uploader {row['uploaded_by']} was not imported")
            continue
        m.write(line, _table("media"), row)
    if line.mapped:
        line.note("timestamps in seconds converted to milliseconds; files stay in R2")


def _map_content(m: _Mapper) -> None:
    line = m.start("content")
    content = _table("content")
    # a slug is unique per collection and locale (translations keep theirs: docs/localisation.md)
    taken = {
        (str(c), loc, str(s))
        for c, loc, s in m.conn.execute(
            select(content.c.collection_id, content.c.locale, content.c.slug)
        )
    }
    undeclared: dict[str, set[str]] = {}
    for row in m.rows("content"):
        if not m.has("collections", row["collection_id"]):
            m.skip(line, f"{row['id']}: collection {row['collection_id']} was not imported")
            continue
        if not m.has("users", row["author_id"]):
            m.skip(line, f"{row['id']}: author {row['author_id']} was not imported")
            continue
        for column in ("reviewer_id",):
            if row.get(column) and not m.has("users", row[column]):
                row[column] = None
        if row.get("featured_image_id") and not m.has("media", row["featured_image_id"]):
            line.note(f"{row['id']}: featured image {row['featured_image_id']} missing, dropped")
            row["featured_image_id"] = None
        if not _checked_locale(m, line, row):
            continue
        row["slug"] = _free_slug(line, row, taken)
        plan = m.html_plans.get(str(row["collection_id"]))
        cleaned = m.clean_html(row, plan)
        if m.write(line, content, row):
            taken.add((row["collection_id"], row.get("locale"), row["slug"]))
            m.item_plans[str(row["id"])] = plan
            line.html_cleaned += cleaned
            _collect_undeclared(m, row, undeclared)
    _note_cleaned(line)
    _accept_undeclared(m, line, undeclared)


def _declared_keys(schema: dict[str, Any]) -> frozenset[str] | None:
    properties = schema.get("properties")
    if schema.get("additionalProperties") is True:
        return None
    return frozenset(properties) if isinstance(properties, dict) else frozenset()


def _collect_undeclared(m: _Mapper, row: dict[str, Any], found: dict[str, set[str]]) -> None:
    """Note the data keys of an imported item its collection's schema does not declare."""
    declared = m.declared.get(str(row["collection_id"]))
    data = _convert(row.get("data"), _table("content").c.data)
    if declared is not None and isinstance(data, dict) and set(data) - declared:
        found.setdefault(str(row["collection_id"]), set()).update(set(data) - declared)


def _accept_undeclared(m: _Mapper, line: TableReport, found: dict[str, set[str]]) -> None:
    """SonicJS stores whatever keys its forms send; the data is kept as it is, and a collection
    whose items hold undeclared keys accepts them from now on (``additionalProperties``)."""
    collections = _table("collections")
    for collection_id, keys in sorted(found.items()):
        where = collections.c.id == collection_id
        schema = m.conn.execute(select(collections.c.schema).where(where)).scalar_one()
        accepting = {**schema, "additionalProperties": True}
        m.conn.execute(collections.update().where(where).values(schema=accepting))
        named = ", ".join(sorted(keys)[:10])
        line.note(
            f"collection {collection_id}: items hold data keys its schema does not declare "
            f"({named}); kept, and the collection now accepts them (additionalProperties: true)"
        )


def _note_cleaned(line: TableReport) -> None:
    if line.html_cleaned:
        line.note(f"{line.html_cleaned} row(s): rich text cleaned by the HTML allow-list")


def _checked_locale(m: _Mapper, line: TableReport, row: dict[str, Any]) -> bool:
    """A translation's ``locale`` in canonical spelling (the default locale's tag stored as
    NULL, as sonic-cms writes it); a malformed tag or a locale without its group is skipped
    with the reason (docs/localisation.md)."""
    raw, default = row.get("locale"), m.settings.default_locale
    if raw is None:
        return True
    try:
        tag = canonical_tag(str(raw))
    except LocaleTagError as exc:
        return m.skip(line, f"{row['id']}: {exc}")
    if tag != default and not row.get("translation_group_id"):
        return m.skip(line, f"{row['id']}: a {tag} row without translation_group_id")
    row["locale"] = None if tag == default else tag
    if row["locale"] is None:
        row["translation_group_id"] = None
    return True


def _free_slug(
    line: TableReport, row: dict[str, Any], taken: set[tuple[str, str | None, str]]
) -> str:
    original = str(row["slug"])
    slug = imported_slug(original)
    if slug != original:
        line.note(f"{row['id']}: slug {original!r} → {slug!r} (not a valid slug)")
    candidate, number = slug, 1
    while (row["collection_id"], row.get("locale"), candidate) in taken:
        number += 1
        candidate = f"{slug}-{number}"
    if candidate != slug:
        line.note(f"{row['id']}: slug {slug!r} taken in its collection → {candidate!r}")
    return candidate


def _map_content_versions(m: _Mapper) -> None:
    line = m.start("content_versions")
    versions = _table("content_versions")
    used: dict[str, set[int]] = {}
    for row in m.rows("content_versions"):
        if not m.has("content", row["content_id"]) or not m.has("users", row["author_id"]):
            m.skip(line, f"{row['id']}: its content or author was not imported")
            continue
        numbers = used.setdefault(row["content_id"], set())
        if row["version"] in numbers:
            new = max(numbers) + 1
            line.note(f"{row['id']}: duplicate version {row['version']} renumbered {new}")
            row["version"] = new
        cleaned = m.clean_html(row, m.item_plans.get(str(row["content_id"])))
        if m.write(line, versions, row):
            numbers.add(int(row["version"]))
            line.html_cleaned += cleaned
    _note_cleaned(line)


def _map_workflow_history(m: _Mapper) -> None:
    line = m.start("workflow_history")
    states = set(m.conn.execute(select(_table("workflow_states").c.id)).scalars())
    workflows = _table("workflows")
    count = m.conn.execute(
        select(func.count()).select_from(workflows).where(workflows.c.id == IMPORT_WORKFLOW_ID)
    ).scalar_one()
    if not count:
        m.conn.execute(
            insert(workflows).values(
                id=IMPORT_WORKFLOW_ID,
                name="Imported from SonicJS",
                description="Holds workflow history moved in from SonicJS",
            )
        )
    for row in m.rows("workflow_history"):
        if not m.has("content", row["content_id"]) or not m.has("users", row["user_id"]):
            m.skip(line, f"{row['id']}: its content or user was not imported")
            continue
        if row.get("to_status") not in states or row.get("from_status") not in states | {None}:
            m.skip(line, f"{row['id']}: unknown status {row.get('to_status')!r}")
            continue
        mapped = {
            **row,
            "workflow_id": IMPORT_WORKFLOW_ID,
            "from_state_id": row.get("from_status"),
            "to_state_id": row["to_status"],
            "metadata": orjson.dumps({"action": row.get("action"), "source": "sonicjs"}).decode(),
        }
        m.write(line, _table("workflow_history"), mapped)


def _map_api_tokens(m: _Mapper) -> None:
    line = m.start("api_tokens")
    for row in m.rows("api_tokens"):
        if not m.has("users", row["user_id"]):
            m.skip(line, f"{row['id']}: owner {row['user_id']} was not imported")
            continue
        row["token"] = token_digest(m.settings, str(row["token"]))
        m.write(line, _table("api_tokens"), row)
    if line.mapped:
        line.note("tokens stored as HMAC-SHA256 digests; the plaintext was not kept")


def _map_plugins(m: _Mapper) -> None:
    line = m.start("plugins")
    for row in m.rows("plugins"):
        m.write(line, _table("plugins"), row)


def _map_system_logs(m: _Mapper) -> None:
    line = m.start("system_logs")
    for row in m.rows("system_logs"):
        if row.get("user_id") and not m.has("users", row["user_id"]):
            row["user_id"] = None
        if row.get("category") not in LOG_CATEGORIES:
            line.note(f"{row['id']}: category {row.get('category')!r} filed under 'system'")
            data = _convert(row.get("data"), _table("system_logs").c.data)
            extra = {"original_category": row["category"]}
            row["data"] = {**data, **extra} if isinstance(data, dict) else extra
            row["category"] = "system"
        m.write(line, _table("system_logs"), row)


def _map_settings(m: _Mapper) -> None:
    """SonicJS's settings rows, as they are (the same table shape); a setting this database
    already holds keeps its value (the row is skipped with the reason)."""
    line = m.start("settings")
    for row in m.rows("settings"):
        m.write(line, _table("settings"), row)


def _map_comments(m: _Mapper) -> None:
    """SonicJS's comments (its migration 012, the same table), each reply after its parent; a
    comment whose item, author or parent was not imported is skipped with the reason, a
    status-less one is ``pending``. The imported items' approved counts follow."""
    line = m.start("comments")
    waiting = m.rows("comments")
    unsettled = {str(row["id"]) for row in waiting}
    moves: list[tuple[str, str | None, str | None]] = []
    while waiting:
        ready = [row for row in waiting if not _parent_waits(m, row, unsettled)]
        if not ready:  # parents in a cycle: none of them can go in
            for row in waiting:
                m.skip(line, f"{row['id']}: its parent {row['parent_id']} was not imported")
            break
        for row in ready:
            status = row.get("status") or "pending"
            imported = _comment_importable(m, line, row) and m.write(
                line, _table("comments"), {**row, "status": status}
            )
            if imported:
                moves.append((str(row["content_id"]), None, status))
        unsettled -= {str(row["id"]) for row in ready}
        waiting = [row for row in waiting if str(row["id"]) in unsettled]
    status_moves(m.conn, moves)


def _parent_waits(m: _Mapper, row: dict[str, Any], unsettled: set[str]) -> bool:
    """Whether the row's parent is in the export and not yet imported or skipped."""
    parent = row.get("parent_id")
    return parent is not None and str(parent) in unsettled


def _comment_importable(m: _Mapper, line: TableReport, row: dict[str, Any]) -> bool:
    if not m.has("content", row["content_id"]) or not m.has("users", row["user_id"]):
        return m.skip(line, f"{row['id']}: its content or author was not imported")
    if row.get("parent_id") is not None and not m.has("comments", row["parent_id"]):
        return m.skip(line, f"{row['id']}: its parent {row['parent_id']} was not imported")
    if row.get("status") not in (*COMMENT_STATUSES, None):
        return m.skip(line, f"{row['id']}: unknown status {row.get('status')!r}")
    return True


MAPPERS: dict[str, Callable[[_Mapper], None]] = {
    "users": _map_users,
    "collections": _map_collections,
    "media": _map_media,
    "content": _map_content,
    "content_versions": _map_content_versions,
    "workflow_history": _map_workflow_history,
    "api_tokens": _map_api_tokens,
    "plugins": _map_plugins,
    "system_logs": _map_system_logs,
    "settings": _map_settings,
    "comments": _map_comments,
}
MAPPED_ORDER = list(MAPPERS)
