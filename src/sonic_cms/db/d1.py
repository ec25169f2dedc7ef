"""Cloudflare D1's query API over a SQLAlchemy connection, for code ported from SonicJS.

``db.prepare(sql).bind(*params).first() / .all() / .run() / .raw()``, ``db.batch([...])`` and
``db.exec(script)`` behave as D1's do and return D1's result shapes. Parameters are always
bound, never spliced: on PostgreSQL the ``?`` and ``?NNN`` placeholders are rewritten to the
driver's ``%s`` outside string literals, identifiers and comments.

Unlike D1, ``exec`` runs a whole script in one transaction, so a bad statement in the middle
leaves nothing of the ones before it.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, exc

from sonic_cms.config import Settings
from sonic_cms.db.engine import Database

_READ_PREFIX = re.compile(r"^\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*(SELECT|EXPLAIN)\b", re.I | re.S)


class D1Error(RuntimeError):
    """A statement failed; the message is the engine's, ``index`` the statement in a batch."""

    def __init__(self, message: str, index: int | None = None) -> None:
        self.index = index
        super().__init__(message if index is None else f"statement {index + 1}: {message}")


@dataclass
class D1Result:
    """D1's result object: ``results`` rows as dicts, ``success`` and ``meta``."""

    results: list[dict[str, Any]] = field(default_factory=list)
    success: bool = True
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The shape wrangler prints with ``--json``."""
        return {"results": self.results, "success": self.success, "meta": self.meta}


@dataclass
class D1ExecResult:
    """What ``exec`` returns: how many statements ran and how long it took (ms)."""

    count: int
    duration: float


class D1PreparedStatement:
    """A statement and its bound parameters; binding returns a new statement, as in D1."""

    def __init__(self, database: D1Database, sql: str, params: tuple[Any, ...] = ()) -> None:
        self._database = database
        self.sql = sql
        self.params = params

    def bind(self, *params: Any) -> D1PreparedStatement:
        """A copy of this statement with ``params`` bound to its placeholders."""
        return D1PreparedStatement(self._database, self.sql, params)

    def first(self, column: str | None = None) -> Any:
        """The first row as a dict (or one column's value), None when there are no rows."""
        rows = self.all().results
        if not rows:
            return None
        if column is None:
            return rows[0]
        if column not in rows[0]:
            raise D1Error(f"D1_COLUMN_NOTFOUND: column {column!r} not in result")
        return rows[0][column]

    def all(self) -> D1Result:
        """Every row, with D1's meta."""
        return self._database._run_one(self)

    def run(self) -> D1Result:
        """Execute for effect; the result carries meta.changes and meta.last_row_id."""
        return self._database._run_one(self)

    def raw(self, column_names: bool = False) -> list[list[Any]]:
        """Rows as lists; with ``column_names`` the first list is the column names."""
        result, columns = self._database._run_one_with_columns(self)
        rows = [[row[name] for name in columns] for row in result.results]
        return [list(columns), *rows] if column_names else rows


class D1Database:
    """A database reached through D1's API."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def prepare(self, sql: str) -> D1PreparedStatement:
        """A statement to bind and run."""
        return D1PreparedStatement(self, sql)

    def batch(self, statements: Sequence[D1PreparedStatement]) -> list[D1Result]:
        """Run every statement in one transaction: all of them take effect, or none."""
        limit = self.database.settings.d1_batch_max_statements
        if len(statements) > limit:
            raise D1Error(f"batch of {len(statements)} statements exceeds the limit of {limit}")
        return self._run_all([(statement.sql, statement.params) for statement in statements])

    def exec(self, script: str) -> D1ExecResult:
        """Run a script of several statements (triggers included) in one transaction."""
        started = time.perf_counter()
        statements = split_statements(script, self.database.dialect)
        results = self._run_all([(sql, ()) for sql in statements])
        return D1ExecResult(count=len(results), duration=_elapsed_ms(started))

    def execute_script(self, script: str) -> list[D1Result]:
        """Run every statement of ``script`` in one transaction and return each one's result.

        This is what ``sonic db execute`` does with a file: all of it, or none of it.
        """
        statements = list(split_statements(script, self.database.dialect))
        if not statements:
            raise D1Error("no SQL statement to execute")
        return self._run_all([(sql, ()) for sql in statements])

    def _run_all(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[D1Result]:
        results: list[D1Result] = []
        with self.database.write() as conn:
            for index, (sql, params) in enumerate(statements):
                try:
                    results.append(self._execute(conn, sql, params)[0])
                except exc.DBAPIError as error:
                    raise D1Error(_engine_message(error), index) from error
        return results

    def _run_one(self, statement: D1PreparedStatement) -> D1Result:
        return self._run_one_with_columns(statement)[0]

    def _run_one_with_columns(self, statement: D1PreparedStatement) -> tuple[D1Result, list[str]]:
        is_read = bool(_READ_PREFIX.match(statement.sql))
        context = self.database.read() if is_read else self.database.write()
        try:
            with context as conn:
                return self._execute(conn, statement.sql, statement.params)
        except exc.DBAPIError as error:
            raise D1Error(_engine_message(error)) from error

    def _execute(
        self, conn: Connection, sql: str, params: Sequence[Any]
    ) -> tuple[D1Result, list[str]]:
        started = time.perf_counter()
        bound = tuple(_bind_value(value) for value in params)
        if conn.dialect.name == "postgresql":
            sql, bound = translate_placeholders(sql, bound)
        cursor = conn.exec_driver_sql(sql, bound)
        columns: list[str] = list(cursor.keys()) if cursor.returns_rows else []
        rows = [_row_dict(columns, row) for row in cursor.fetchall()] if cursor.returns_rows else []
        changes = 0 if cursor.returns_rows else max(cursor.rowcount, 0)
        last_row_id = getattr(cursor, "lastrowid", None) or 0
        meta = {
            "duration": _elapsed_ms(started),
            "changes": changes,
            "last_row_id": last_row_id,
            "changed_db": changes > 0,
            "rows_read": len(rows),
            "rows_written": changes,
        }
        return D1Result(results=rows, success=True, meta=meta), columns


def connect(target: str | Database | Settings) -> D1Database:
    """A D1-style database for a URL, the app's Database, or Settings."""
    if isinstance(target, Database):
        return D1Database(target)
    settings = target if isinstance(target, Settings) else Settings(database_url=target)
    return D1Database(Database(settings))


def _bind_value(value: Any) -> Any:
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return value


def _row_dict(columns: list[str], row: Sequence[Any]) -> dict[str, Any]:
    return {name: _result_value(value) for name, value in zip(columns, row, strict=True)}


def _result_value(value: Any) -> Any:
    """Values as D1 returns them: JSON as text, numbers as numbers, datetimes as SQLite text."""
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, bytes | memoryview):
        return list(bytes(value))
    return value


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


def _engine_message(error: exc.DBAPIError) -> str:
    return str(error.orig).strip() or type(error.orig).__name__


_DOLLAR_TAG = re.compile(r"\$[A-Za-z_]*\$")


def _scan(sql: str) -> Iterator[tuple[str, str]]:
    """Yield (kind, text) pieces: 'code', or 'quoted' for strings, identifiers and comments."""
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"`":
            end = i + 1
            while end < n:
                if sql[end] == ch:
                    if end + 1 < n and sql[end + 1] == ch:
                        end += 2
                        continue
                    break
                end += 1
            yield "quoted", sql[i : end + 1]
            i = end + 1
        elif ch == "$" and (tag := _DOLLAR_TAG.match(sql, i)):
            end = sql.find(tag.group(0), tag.end())
            end = n if end == -1 else end + len(tag.group(0))
            yield "quoted", sql[i:end]
            i = end
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end == -1 else end
            yield "quoted", sql[i:end]
            i = end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            end = n if end == -1 else end + 2
            yield "quoted", sql[i:end]
            i = end
        else:
            start = i
            i += 1
            while i < n and sql[i] not in "'\"`$" and not sql.startswith(("--", "/*"), i):
                i += 1
            yield "code", sql[start:i]


_PLACEHOLDER = re.compile(r"\?(\d*)")
_LIKE = re.compile(r"(?<![\w$])LIKE(?![\w$])", re.I)


def translate_placeholders(sql: str, params: Sequence[Any]) -> tuple[str, tuple[Any, ...]]:
    """Rewrite D1 (SQLite) SQL for psycopg: ``?``/``?NNN`` become ``%s``, ``%`` is escaped.

    ``LIKE`` becomes ``ILIKE``, because D1's LIKE ignores ASCII case and PostgreSQL's does not;
    ported queries then find the same rows. Returns the new SQL and the parameters in the order
    the new placeholders use them.
    """
    ordered: list[Any] = []
    next_index = 0
    pieces: list[str] = []

    def placeholder(match: re.Match[str]) -> str:
        nonlocal next_index
        if match.group(1):
            # SQLite numbers a bare "?" one past the largest number used before it.
            position = int(match.group(1)) - 1
            next_index = max(next_index, position + 1)
        else:
            position = next_index
            next_index += 1
        if not 0 <= position < len(params):
            raise D1Error(f"placeholder {match.group(0)} has no bound value")
        ordered.append(params[position])
        return "%s"

    for kind, text in _scan(sql):
        text = text.replace("%", "%%")
        if kind == "code":
            text = _LIKE.sub("ILIKE", _PLACEHOLDER.sub(placeholder, text))
        pieces.append(text)
    return "".join(pieces), tuple(ordered)


def split_statements(script: str, dialect: str = "sqlite") -> Iterable[str]:
    """Split a script into complete statements; CREATE TRIGGER ... END; stays whole.

    On SQLite, SQLite's own ``complete_statement`` decides where a statement ends, so semicolons
    inside strings, comments and trigger bodies never split one. PostgreSQL trigger bodies live
    in dollar-quoted functions, which the scanner already keeps whole, so every ``;`` ends one.
    """
    is_complete = sqlite3.complete_statement if dialect == "sqlite" else (lambda _sql: True)
    current: list[str] = []
    for kind, text in _scan(script):
        if kind != "code":
            current.append(text)
            continue
        for part in re.split(r"(;)", text):
            current.append(part)
            candidate = "".join(current)
            if part == ";" and is_complete(candidate):
                if _has_code(candidate):
                    yield candidate.strip()
                current = []
    rest = "".join(current).strip()
    if _has_code(rest):
        yield rest


def _has_code(sql: str) -> bool:
    return any(kind == "code" and text.strip(" \t\r\n;") for kind, text in _scan(sql))
