"""JSON export and import in the seed's format: ``{version, timestamp, data: {users, ...}}``.

The seed's ``exportData`` writes users, collections, content and media; this writes those four
first and then every other table, rows keyed by column name. Import checks every value against
its column's type before writing anything, then inserts in one transaction, skipping rows that
conflict with existing ones (the seed's ``onConflictDoNothing``), and reports inserted and
skipped rows per table. Keys in Drizzle's camelCase (``passwordHash``) are accepted too.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from sonic_cms.db import migrate
from sonic_cms.db.engine import Database
from sonic_cms.operations.dump_format import DumpError, DumpHeader, Kind, column_kind
from sonic_cms.operations.export_sql import dump_tables, snapshot_connection
from sonic_cms.operations.import_sql import check_revision

JSON_VERSION = "2.0.0"
SEED_TABLES = ("users", "collections", "content", "media")
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _ordered(names: list[str] | None) -> list[Table]:
    tables = dump_tables(names, with_change_log=False)  # an interchange of rows, not history
    first = [t for name in SEED_TABLES for t in tables if t.name == name]
    return first + [t for t in tables if t not in first]


def _plain(value: Any, kind: Kind) -> Any:
    if kind == "datetime" and isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return value


def export_json(db: Database, path: Path, tables: list[str] | None = None) -> dict[str, int]:
    """Write the JSON export, one row at a time; returns rows per table."""
    chosen = _ordered(tables)
    counts: dict[str, int] = {}
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    head = {
        "version": JSON_VERSION,
        "timestamp": now,
        "schema_revision": migrate.current_revision(db),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out, snapshot_connection(db) as conn:
        out.write(orjson.dumps(head)[:-1] + b',"data":{')
        for position, table in enumerate(chosen):
            out.write(b"," if position else b"")
            out.write(orjson.dumps(str(table.name)) + b":[")
            names = [str(c.name) for c in table.columns]
            kinds = [column_kind(c) for c in table.columns]
            count = 0
            for row in conn.execution_options(yield_per=1000).execute(select(table)):
                item = {n: _plain(v, k) for n, v, k in zip(names, row, kinds, strict=True)}
                out.write((b",\n" if count else b"\n") + orjson.dumps(item))
                count += 1
            out.write(b"]")
            counts[table.name] = count
        out.write(b"}}\n")
    return counts


def import_json(db: Database, path: Path) -> dict[str, tuple[int, int]]:
    """Load a JSON export; returns (inserted, skipped) per table.

    Raises:
        DumpError: unreadable JSON, unknown table or column, or a value of the wrong type;
            nothing was written.
    """
    try:
        document = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise DumpError(f"cannot read {path}: {exc}", "file_not_found") from exc
    except orjson.JSONDecodeError as exc:
        raise DumpError(f"not valid JSON: {exc}", "corrupt_dump") from exc
    rows = _validated(document)
    result: dict[str, tuple[int, int]] = {}
    with db.write() as conn:
        if db.is_sqlite:
            conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        for table, items in rows:
            inserted = sum(_insert_ignoring_conflicts(conn, table, item) for item in items)
            result[table.name] = (inserted, len(items) - inserted)
    return result


def _validated(document: Any) -> list[tuple[Table, list[dict[str, Any]]]]:
    if not isinstance(document, dict) or not isinstance(document.get("data"), dict):
        raise DumpError("expected an object with a 'data' object", "wrong_type")
    revision = document.get("schema_revision")
    if revision is not None:
        check_revision(DumpHeader(str(revision), "json", "", False, []))
    known = {t.name: t for t in _ordered(None)}
    unknown = [name for name in document["data"] if name not in known]
    if unknown:
        raise DumpError(f"unknown table(s): {', '.join(unknown)}", "schema_mismatch")
    validated = []
    for name, table in known.items():
        items = document["data"].get(name, [])
        if not isinstance(items, list):
            raise DumpError(f"data.{name} must be a list", "wrong_type")
        validated.append(
            (table, [_row(table, item, f"data.{name}[{i}]") for i, item in enumerate(items)])
        )
    return validated


def _row(table: Table, item: Any, where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise DumpError(f"{where} must be an object", "wrong_type")
    row: dict[str, Any] = {}
    for key, value in item.items():
        name = key if key in table.c else _CAMEL.sub("_", key).lower()
        if name not in table.c:
            raise DumpError(f"{where}: table {table.name} has no column {key!r}", "schema_mismatch")
        row[name] = _typed(value, column_kind(table.c[name]), f"{where}.{key}")
    return row


def _typed(value: Any, kind: Kind, where: str) -> Any:
    if value is None or kind == "json":
        return value
    ok = {
        "bool": isinstance(value, bool) or value in (0, 1),
        "intbool": isinstance(value, bool) or value in (0, 1),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, int | float) and not isinstance(value, bool),
        "text": isinstance(value, str),
        "datetime": isinstance(value, str),
    }[kind]
    if not ok:
        raise DumpError(f"{where}: expected {kind}, got {type(value).__name__}", "wrong_type")
    if kind == "datetime":
        try:
            return dt.datetime.fromisoformat(value.replace("Z", ""))
        except ValueError as exc:
            raise DumpError(f"{where}: not a date and time: {value!r}", "wrong_type") from exc
    if kind in ("bool", "intbool"):
        return bool(value)
    return value


def _insert_ignoring_conflicts(conn: Connection, table: Table, row: dict[str, Any]) -> int:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(**row).on_conflict_do_nothing()
    return int(conn.execute(statement).rowcount or 0)
