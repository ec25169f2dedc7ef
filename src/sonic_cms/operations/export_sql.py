"""Write a portable SQL dump of the database, streamed row by row so memory stays flat.

All tables are read in one snapshot: a deferred read transaction on SQLite (WAL readers see one
consistent state), REPEATABLE READ on PostgreSQL, so a dump taken while the server writes is
consistent. Rows are fetched in batches through a server-side cursor on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy import Connection, String, Table, func, null, select
from sqlalchemy.schema import CreateIndex, CreateTable

from sonic_cms.db import migrate
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import metadata
from sonic_cms.operations.dump_format import (
    ENCODERS,
    DumpError,
    DumpHeader,
    TableChecksum,
    column_kind,
    insert_statement,
    table_end_line,
)

#: Tables a dump never holds: migration bookkeeping (the target has its own) and the marker a
#: restore holds only inside its own transaction.
EXCLUDED_TABLES = frozenset({"migrations", "change_log_pause"})
#: Time travel's change log. `sonic db export` dumps carry it, so a copy of a database has its
#: history too (an import loads it only into a database without history of its own); backups
#: and snapshots leave it out, since a restore keeps the database's own log.
CHANGE_LOG = "change_log"
#: Columns written as NULL: they name something of the source server alone (a PostgreSQL
#: transaction id), which the importing database replaces with its own.
SERVER_LOCAL_COLUMNS = {CHANGE_LOG: frozenset({"txid"})}
FETCH_BATCH = 1000

#: Called as (table, rows written so far, rows in the table).
Progress = Callable[[str, int, int], None]


@dataclass
class ExportSummary:
    """What a dump holds: rows and checksum per table."""

    header: DumpHeader
    tables: dict[str, TableChecksum] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        """Rows in the whole dump."""
        return sum(c.rows for c in self.tables.values())


def dump_tables(names: list[str] | None = None, *, with_change_log: bool = True) -> list[Table]:
    """The tables to dump, parents before children; ``names`` restricts them."""
    excluded = EXCLUDED_TABLES if with_change_log else EXCLUDED_TABLES | {CHANGE_LOG}
    tables = [t for t in metadata.sorted_tables if t.name not in excluded]
    if not names:
        return tables
    known = {t.name: t for t in tables}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise DumpError(f"no such table: {', '.join(unknown)}", "unknown_table")
    return [t for t in tables if t.name in set(names)]


@contextmanager
def snapshot_connection(db: Database) -> Iterator[Connection]:
    """A read-only transaction that sees one consistent state of the whole database."""
    if db.is_sqlite:
        with db.read() as conn:
            yield conn
        return
    with db.engine.connect() as raw:
        conn = raw.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            yield conn


def export_dump(
    db: Database,
    out: IO[str],
    *,
    tables: list[str] | None = None,
    include_schema: bool = True,
    with_change_log: bool = True,
    header_extra: Callable[[Connection], dict[str, str]] | None = None,
    progress: Progress | None = None,
) -> ExportSummary:
    """Write the dump of ``db`` to ``out``; ``header_extra`` adds header lines read in the
    same snapshot (time travel records its change-log position that way)."""
    chosen = dump_tables(tables, with_change_log=with_change_log)
    revision = _require_head(db)
    with snapshot_connection(db) as conn:
        counts = {t.name: _count(conn, t) for t in chosen}
        extra = {"row_counts": ",".join(f"{name}={n}" for name, n in counts.items())}
        header = DumpHeader(
            schema_revision=revision,
            source=db.dialect,
            created_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            include_schema=include_schema,
            tables=[t.name for t in chosen],
            extra={**extra, **(header_extra(conn) if header_extra else {})},
        )
        summary = ExportSummary(header)
        out.write("\n".join(header.lines()) + "\n")
        out.write("BEGIN TRANSACTION;\n")
        if include_schema:
            _write_schema(conn, chosen, out)
        for table in chosen:
            summary.tables[table.name] = _write_rows(conn, table, out, counts[table.name], progress)
        out.write("COMMIT;\n")
        out.write(f"-- end-of-dump: tables={len(chosen)} rows={summary.rows}\n")
    return summary


def _require_head(db: Database) -> str | None:
    current = migrate.current_revision(db)
    head = migrate.head_revision()
    if current != head:
        raise DumpError(
            f"the database is at revision {current or 'nothing'}, not {head}; "
            "run `sonic db migrate` first",
            "not_migrated",
        )
    return current


def _write_schema(conn: Connection, tables: list[Table], out: IO[str]) -> None:
    out.write(f"-- schema: {conn.dialect.name} DDL, for reading; import uses the migrations\n")
    for table in tables:
        ddl = str(CreateTable(table).compile(dialect=conn.dialect)).strip()
        out.write(_as_comment(ddl + ";"))
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            out.write(_as_comment(str(CreateIndex(index).compile(dialect=conn.dialect)) + ";"))


def _as_comment(sql: str) -> str:
    return "".join(f"--   {line}\n" for line in sql.splitlines() if line.strip())


def _count(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _write_rows(
    conn: Connection, table: Table, out: IO[str], total: int, progress: Progress | None
) -> TableChecksum:
    columns = list(table.columns)
    names = [c.name for c in columns]
    encoders = [ENCODERS[column_kind(c)] for c in columns]
    checksum = TableChecksum()
    for row in _stream(conn, table):
        literals = [encode(value) for encode, value in zip(encoders, row, strict=True)]
        checksum.add(literals)
        out.write(insert_statement(table.name, names, literals))
        out.write("\n")
        if progress and checksum.rows % FETCH_BATCH == 0:
            progress(table.name, checksum.rows, total)
    out.write(table_end_line(table.name, checksum) + "\n")
    if progress:
        progress(table.name, checksum.rows, total)
    return checksum


def _stream(conn: Connection, table: Table) -> Iterator[Any]:
    """Rows in primary-key order (byte order on both engines), fetched in batches."""
    key = table.primary_key.columns.values()[0]
    textual = isinstance(key.type, String)
    order = key.collate("C") if textual and conn.dialect.name == "postgresql" else key
    local = SERVER_LOCAL_COLUMNS.get(table.name, frozenset())
    columns = [null().label(c.name) if c.name in local else c for c in table.columns]
    query = select(*columns).order_by(order)
    result = conn.execution_options(yield_per=FETCH_BATCH).execute(query)
    yield from result
