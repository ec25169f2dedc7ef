"""Load a portable SQL dump in one transaction: all of it, or none of it.

The file is parsed row by row (never executed), each value converted with the target table's
column type and bound, in batches. Row counts and checksums in the dump are checked as each
table ends, and the end-of-dump marker must be present, so a truncated or altered file fails
before the commit and leaves the target as it was.
"""

from __future__ import annotations

import gzip
import os
import sqlite3
import zlib
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Table, delete, exc, insert, inspect, text, update

from sonic_cms.db import migrate
from sonic_cms.db.engine import Database, sqlite_path
from sonic_cms.operations.dump_format import (
    DumpError,
    DumpHeader,
    EndOfDump,
    InsertRow,
    Kind,
    TableChecksum,
    TableEnd,
    convert,
    kinds_for,
    open_text,
    read_dump,
)
from sonic_cms.operations.export_sql import CHANGE_LOG, dump_tables

INSERT_BATCH = 1000

#: Called as (table, rows loaded so far, rows the dump announces for the table).
Progress = Callable[[str, int, int], None]
#: Runs inside the import's transaction after the rows are in (time travel replays changes).
AfterLoad = Callable[[Connection], None]


@dataclass
class ImportSummary:
    """Rows inserted per table, and whether the schema was created first."""

    header: DumpHeader
    inserted: dict[str, int] = field(default_factory=dict)
    created_schema: bool = False
    #: Tables of the dump checked but not loaded: the change log, when the database already
    #: has a history of its own (it is kept, and the import is captured on top of it).
    skipped_tables: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """Rows inserted in all tables."""
        return sum(self.inserted.values())


def read_header(path: Path) -> DumpHeader:
    """The header of the dump at ``path``."""
    with _opened(path) as stream:
        header, _ = read_dump(stream)
    return header


@contextmanager
def _opened(path: Path) -> Iterator[IO[str]]:
    """Open a dump, turning gzip and encoding failures into DumpError."""
    if not path.is_file():
        raise DumpError(f"no such file: {path}", "file_not_found")
    try:
        with open_text(path) as stream:
            yield stream
    except EOFError as error:
        raise DumpError("compressed dump ends early (truncated)", "truncated_dump") from error
    except (gzip.BadGzipFile, zlib.error, UnicodeDecodeError) as error:
        raise DumpError(f"dump is corrupted: {error}", "corrupt_dump") from error


def check_revision(header: DumpHeader) -> None:
    """Refuse a dump from a schema this version of sonic-cms does not know."""
    known = [script.revision for script in migrate.ordered_revisions()]
    if header.schema_revision is not None and header.schema_revision not in known:
        raise DumpError(
            f"dump is from schema revision {header.schema_revision}, newer than this sonic-cms "
            f"(knows up to {known[-1]}); upgrade sonic-cms before importing it",
            "newer_schema",
        )


def verify_dump(path: Path) -> ExpectedCounts:
    """Read a whole dump without a database: every row parses, counts and checksums match."""
    with _opened(path) as stream:
        header, events = read_dump(stream)
        check_revision(header)
        tables = {t.name: t for t in dump_tables()}
        counts: ExpectedCounts = {}
        checksum = TableChecksum()
        complete = False
        for event in events:
            if isinstance(event, InsertRow):
                _known_table(tables, event)
                kinds_for(tables[event.table], event.columns, event.line)
                checksum.add(event.literals)
            elif isinstance(event, TableEnd):
                _check_table_end(event, checksum)
                counts[event.table] = event.rows
                checksum = TableChecksum()
            else:
                complete = True
        if not complete:
            raise DumpError("dump has no end-of-dump line (truncated?)", "truncated_dump")
    return counts


ExpectedCounts = dict[str, int]


def import_dump(
    db: Database,
    path: Path,
    *,
    replace: bool = False,
    pause_capture: bool = False,
    progress: Progress | None = None,
    after_load: AfterLoad | None = None,
) -> ImportSummary:
    """Load the dump at ``path`` into ``db`` in one transaction.

    ``replace`` empties every table the dump covers first (restore); ``pause_capture`` keeps
    time travel's change log from recording the load. An unmigrated database gets the schema
    from the migrations first: a new SQLite file is built under a private name and moved into
    place only when the load succeeded, a PostgreSQL database is returned to empty if it fails.
    The dump's change log is loaded only into a database without history of its own (then the
    load itself is not captured: the copy's log is the source's); otherwise it is skipped.

    Raises:
        DumpError: the dump is unreadable, truncated, altered, from a newer schema, has values
            of the wrong type, or conflicts with rows already in the database.
    """
    header = read_header(path)
    check_revision(header)

    def load(target: Database) -> ImportSummary:
        created = _ensure_schema(target, header)
        try:
            # A database the migrations just created holds only default rows; the dump has them.
            summary = _load(target, path, replace or created, pause_capture, progress, after_load)
        except BaseException:
            if created:
                _remove_schema(target)
            raise
        summary.created_schema = created
        return summary

    new_file = _new_sqlite_file(db)
    return load(db) if new_file is None else _into_new_file(db, new_file, load)


def _new_sqlite_file(db: Database) -> Path | None:
    """The SQLite file of ``db`` when it does not exist yet or holds no table, else None."""
    target = sqlite_path(db.settings.database_url) if db.is_sqlite else None
    if target is None or not target.exists():
        return target
    probe = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    try:
        empty = probe.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] == 0
    except sqlite3.DatabaseError:
        return None  # not a database: the import's own checks say so
    finally:
        probe.close()
    return target if empty else None


def _into_new_file(
    db: Database, target: Path, load: Callable[[Database], ImportSummary]
) -> ImportSummary:
    """Import into a private file beside ``target`` and move it into place only when the import
    succeeded: a failed import leaves no half-made database behind to confuse the retry."""
    scratch_path = target.with_name(f".{target.name}.importing-{os.getpid()}")
    _remove_sqlite_files(scratch_path)
    scratch = Database(db.settings.model_copy(update={"database_url": f"sqlite:///{scratch_path}"}))
    try:
        summary = load(scratch)
        scratch.dispose()
        with closing(sqlite3.connect(scratch_path)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the main file
        db.dispose()  # pooled connections would keep reading the empty file's inode
        _remove_sqlite_files(target)
        os.replace(scratch_path, target)
    finally:
        scratch.dispose()
        _remove_sqlite_files(scratch_path)
    return summary


def _remove_sqlite_files(path: Path) -> None:
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        candidate.unlink(missing_ok=True)


def _remove_schema(db: Database) -> None:
    """Return a database whose schema this import created to empty: the migrations down, then
    their bookkeeping tables, so a retry finds the database as it was."""
    migrate.downgrade(db, "base")
    with db.write() as conn:
        for name in inspect(conn).get_table_names():
            conn.execute(text(f'DROP TABLE IF EXISTS "{name}"'))


def _ensure_schema(db: Database, header: DumpHeader) -> bool:
    current = migrate.current_revision(db)
    if current == migrate.head_revision():
        return False
    if current is not None:
        raise DumpError(
            f"the database is at revision {current}; run `sonic db migrate` first", "not_migrated"
        )
    with db.read() as conn:
        if inspect(conn).get_table_names():
            raise DumpError(
                "the database has tables but no migration state, so it is not a sonic-cms "
                "database: import into a new one (a new SQLite file, or `sonic db create` on "
                "PostgreSQL), or drop this one first (`sonic db delete`)",
                "not_migrated",
            )
    if not header.include_schema:
        raise DumpError(
            "the database is empty and the dump has no schema; run `sonic db migrate` first",
            "not_migrated",
        )
    migrate.upgrade(db)
    return True


def _load(
    db: Database,
    path: Path,
    replace: bool,
    pause_capture: bool,
    progress: Progress | None,
    after_load: AfterLoad | None,
) -> ImportSummary:
    with _opened(path) as stream, db.write() as conn:
        header, events = read_dump(stream)
        if db.is_sqlite:
            conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        load_log = CHANGE_LOG in header.tables and not _has_history(conn)
        skipped = [CHANGE_LOG] if CHANGE_LOG in header.tables and not load_log else []
        # The dump's change log already describes the rows it loads: capturing the load too
        # would put every row in the log twice.
        pause = pause_capture or load_log
        if pause:
            conn.exec_driver_sql("INSERT INTO change_log_pause (id) VALUES (1)")
        if replace:
            empty_tables(conn, [name for name in header.tables if name not in skipped])
        loader = _TableLoader(conn, header, progress, skip=frozenset(skipped))
        try:
            for event in events:
                loader.handle(event)
        except exc.IntegrityError as error:
            message = (
                f"rows conflict with the database: {_first_line(error)}; nothing was imported "
                "(use --replace to empty the dumped tables first)"
            )
            raise DumpError(message, "conflict") from error
        loader.finish()
        if load_log:
            adopt_change_log(conn)
        if after_load is not None:
            after_load(conn)
        if pause:
            conn.exec_driver_sql("DELETE FROM change_log_pause")
        return ImportSummary(header, loader.inserted, skipped_tables=skipped)


def _has_history(conn: Connection) -> bool:
    """Whether the database's change log holds anything (then it keeps its own)."""
    return conn.execute(text(f"SELECT 1 FROM {CHANGE_LOG} LIMIT 1")).first() is not None


def adopt_change_log(conn: Connection) -> None:
    """Make an imported change log this database's own.

    ``txid`` names a transaction of the database that wrote an entry; another server's ids
    would look like transactions still running to every later snapshot here, and the entries
    would be replayed twice. They become the import's own transaction (none on SQLite). On
    PostgreSQL the id sequence moves past the imported ids, so the next capture continues it.
    """
    if conn.dialect.name != "postgresql":
        conn.execute(text(f"UPDATE {CHANGE_LOG} SET txid = NULL WHERE txid IS NOT NULL"))
        return
    conn.execute(text(f"UPDATE {CHANGE_LOG} SET txid = txid_current()"))
    conn.execute(
        text(
            f"SELECT setval(pg_get_serial_sequence('{CHANGE_LOG}', 'id'), "
            f"COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {CHANGE_LOG}"
        )
    )


def empty_tables(conn: Connection, names: list[str]) -> None:
    """Delete every row of ``names``, children first."""
    for table in reversed(dump_tables(names)):
        conn.execute(delete(table))


def _first_line(error: Exception) -> str:
    return str(getattr(error, "orig", error)).strip().splitlines()[0]


def _known_table(tables: dict[str, Table], event: InsertRow) -> None:
    if event.table not in tables:
        raise DumpError(f"unknown table {event.table!r}", "schema_mismatch", event.line)


def _check_table_end(event: TableEnd, checksum: TableChecksum) -> None:
    if event.rows != checksum.rows or event.checksum != checksum.hexdigest:
        raise DumpError(
            f"table {event.table}: the dump announces {event.rows} rows with checksum "
            f"{event.checksum}, found {checksum.rows} with {checksum.hexdigest} (altered?)",
            "corrupt_dump",
            event.line,
        )


class _TableLoader:
    """Buffers rows of the current table and inserts them in batches."""

    def __init__(
        self,
        conn: Connection,
        header: DumpHeader,
        progress: Progress | None,
        skip: frozenset[str] = frozenset(),
    ) -> None:
        self.conn = conn
        self.skip = skip
        self.tables = {t.name: t for t in dump_tables(header.tables or None)}
        self.expected = _announced_counts(header)
        self.progress = progress
        self.inserted: dict[str, int] = {}
        self.complete = False
        self._table: Table | None = None
        self._kinds: list[Kind] = []
        self._columns: list[str] = []
        self._batch: list[dict[str, Any]] = []
        self._deferred: list[tuple[Any, dict[str, Any]]] = []
        self._checksum = TableChecksum()

    def handle(self, event: InsertRow | TableEnd | EndOfDump) -> None:
        """Take one parsed event from the dump."""
        if isinstance(event, InsertRow):
            self._row(event)
        elif isinstance(event, TableEnd):
            self._end_table(event)
        else:
            self.complete = True

    def _row(self, event: InsertRow) -> None:
        _known_table(self.tables, event)
        table = self.tables[event.table]
        if self._table is not table:
            if self._table is not None:
                raise DumpError(
                    f"rows of {event.table} before {self._table.name} ended", "corrupt_dump"
                )
            self._table, self._columns = table, event.columns
            self._kinds = kinds_for(table, event.columns, event.line)
        elif event.columns != self._columns:
            self._kinds = kinds_for(table, event.columns, event.line)
            self._columns = event.columns
        self._checksum.add(event.literals)
        if table.name in self.skip:
            return  # checked (checksum, counts), not loaded
        values = {
            name: convert(token, kind, f"{table.name}.{name}", event.line)
            for name, token, kind in zip(event.columns, event.tokens, self._kinds, strict=True)
        }
        self._batch.append(self._defer_self_references(table, values))
        if len(self._batch) >= INSERT_BATCH:
            self._flush()

    def _defer_self_references(self, table: Table, values: dict[str, Any]) -> dict[str, Any]:
        """A row pointing at a row of its own table later in the dump (users.invited_by) is
        inserted with NULL there and updated once the whole table is in."""
        for fk in table.foreign_keys:
            if fk.column.table is table and values.get(fk.parent.name) is not None:
                key = table.primary_key.columns.values()[0].name
                self._deferred.append((values[key], {fk.parent.name: values[fk.parent.name]}))
                values = {**values, fk.parent.name: None}
        return values

    def _flush(self) -> None:
        if self._table is None or not self._batch:
            return
        self.conn.execute(insert(self._table), self._batch)
        name = self._table.name
        self.inserted[name] = self.inserted.get(name, 0) + len(self._batch)
        self._batch = []
        if self.progress:
            self.progress(name, self.inserted[name], self.expected.get(name, 0))

    def _end_table(self, event: TableEnd) -> None:
        if self._table is not None and self._table.name != event.table:
            raise DumpError(
                f"table-end for {event.table} inside {self._table.name}", "corrupt_dump"
            )
        _check_table_end(event, self._checksum)
        self._flush()
        table = self._table if self._table is not None else self.tables.get(event.table)
        if table is not None:
            key = table.primary_key.columns.values()[0]
            for row_id, values in self._deferred:
                self.conn.execute(update(table).where(key == row_id).values(**values))
        self.inserted.setdefault(event.table, 0)
        if self.progress:
            self.progress(event.table, self.inserted[event.table], event.rows)
        self._table, self._deferred, self._checksum = None, [], TableChecksum()

    def finish(self) -> None:
        """Refuse a dump that stops before its end marker or in the middle of a table."""
        if self._table is not None or not self.complete:
            raise DumpError("dump has no end-of-dump line (truncated?)", "truncated_dump")


def _announced_counts(header: DumpHeader) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in header.extra.get("row_counts", "").split(","):
        name, _, number = item.partition("=")
        if number.isdigit():
            counts[name] = int(number)
    return counts
