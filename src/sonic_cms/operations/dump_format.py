"""The portable SQL dump format shared by export, import, backups and time-travel snapshots.

A dump is plain SQL that both engines (and ``sqlite3``/``psql``) accept once the schema exists:

```
-- sonic-cms dump
-- format: 1
-- schema_revision: 0001
-- source: sqlite
-- created_at: 2026-01-01T00:00:00.000Z
-- schema: included
-- tables: users,collections,content
BEGIN TRANSACTION;
CREATE TABLE ...;                      (the source engine's DDL, for people; see below)
INSERT INTO "users" ("id","email",...) VALUES('u1','a@example.com',...);
-- table-end: users rows=1 checksum=5f2c...
COMMIT;
-- end-of-dump: tables=3 rows=120
```

Values are literals every engine reads the same way: '' -escaped strings (newlines kept inside
the quotes), integers, reals, NULL, TRUE/FALSE for boolean columns, 1/0 for the seed's INTEGER
flags, JSON as compact text with sorted keys, DATETIME as ``YYYY-MM-DD HH:MM:SS``. The importer
never executes the file: it parses each row, converts it with the target table's column types
and binds the values, so a dump moves between SQLite and PostgreSQL. The DDL in a dump is for
people; the importer builds the schema with the packaged migrations at the dump's revision.

The ``table-end`` lines carry a row count and an order-independent checksum of the encoded rows,
so a truncated or altered dump is detected before the import commits.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

import orjson
from sqlalchemy import Boolean, Column, DateTime, Float, Integer, Table
from sqlalchemy.types import TypeEngine

from sonic_cms.db.types import IntBool, JSONText

FORMAT_VERSION = 1
MAGIC = "-- sonic-cms dump"
_CHECKSUM_MODULUS = 1 << 128

Kind = Literal["json", "bool", "intbool", "datetime", "int", "float", "text"]


#: What to do next, by code, for the errors whose message names only the cause. An operator
#: reading one line at 3 a.m. should not have to guess the next command.
NEXT_STEPS = {
    "bad_dump": "export the database again",
    "corrupt_dump": "the file is damaged or was edited: export it again, or use another backup",
    "truncated_dump": "the file is incomplete: copy it again whole, or export it again",
    "not_a_dump": "give a file written by `sonic db export` or `sonic db backup`",
    "unsupported_format": "import it with the sonic-cms version that wrote it",
    "wrong_type": "the file is damaged or was edited: export it again",
    "schema_mismatch": "import it with the sonic-cms version that wrote it, or export it again",
    "file_not_found": "check the path (backups are in SONIC_BACKUP_DIR)",
    "unknown_table": "`sonic db info` lists the tables",
    "future_timestamp": "give a moment in the past (`sonic db time-travel info` shows the range)",
    "bad_backup": "check the disk under SONIC_BACKUP_DIR, then run `sonic db backup` again",
}


class DumpError(ValueError):
    """The dump cannot be used; ``code`` is a stable machine code, the message says why and
    (from :data:`NEXT_STEPS` when the message does not) what to do next."""

    def __init__(self, message: str, code: str = "bad_dump", line: int | None = None) -> None:
        self.code = code
        self.line = line
        step = NEXT_STEPS.get(code)
        if step and "`sonic" not in message and "sonic-cms" not in message:
            message = f"{message}; {step}"
        super().__init__(message if line is None else f"line {line}: {message}")


@dataclass
class DumpHeader:
    """What the comment lines at the top of a dump say."""

    schema_revision: str | None
    source: str
    created_at: str
    include_schema: bool
    tables: list[str]
    extra: dict[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """The header as comment lines."""
        values = {
            "format": str(FORMAT_VERSION),
            "schema_revision": self.schema_revision or "none",
            "source": self.source,
            "created_at": self.created_at,
            "schema": "included" if self.include_schema else "omitted",
            "tables": ",".join(self.tables),
            **self.extra,
        }
        return [MAGIC, *(f"-- {key}: {value}" for key, value in values.items())]


#: Column types and the kind of their values, most specific first (IntBool is an Integer).
_KINDS: tuple[tuple[type[TypeEngine[Any]], Kind], ...] = (
    (JSONText, "json"),
    (IntBool, "intbool"),
    (Boolean, "bool"),
    (DateTime, "datetime"),
    (Float, "float"),
    (Integer, "int"),
)


def column_kind(column: Column[Any]) -> Kind:
    """How a column's values are written and read back."""
    return next((kind for type_, kind in _KINDS if isinstance(column.type, type_)), "text")


def quote(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def encode_value(value: Any, kind: Kind) -> str:
    """The literal for one value read through the model's column type."""
    return ENCODERS[kind](value)


def _nullable(encode: Callable[[Any], str]) -> Callable[[Any], str]:
    def encoder(value: Any) -> str:
        return "NULL" if value is None else encode(value)

    return encoder


def _plain(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return quote(str(value))


#: One encoder per column kind, chosen once per column rather than per value.
ENCODERS: dict[Kind, Callable[[Any], str]] = {
    "json": _nullable(lambda v: quote(orjson.dumps(v, option=orjson.OPT_SORT_KEYS).decode())),
    "bool": _nullable(lambda v: "TRUE" if v else "FALSE"),
    "intbool": _nullable(lambda v: "1" if v else "0"),
    "datetime": _nullable(lambda v: quote(_format_datetime(v))),
    "int": _nullable(_plain),
    "float": _nullable(_plain),
    "text": _nullable(_plain),
}


def _format_datetime(value: Any) -> str:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        text = value.strftime("%Y-%m-%d %H:%M:%S")
        return f"{text}.{value.microsecond:06d}" if value.microsecond else text
    return str(value)


def insert_statement(table: str, columns: list[str], literals: list[str]) -> str:
    """One row as an INSERT statement on one logical line."""
    names = ",".join(f'"{name}"' for name in columns)
    return f'INSERT INTO "{table}" ({names}) VALUES({",".join(literals)});'


class TableChecksum:
    """Row count and order-independent checksum of a table's encoded rows."""

    def __init__(self) -> None:
        self.rows = 0
        self._total = 0

    def add(self, literals: list[str]) -> None:
        """Account for one row."""
        digest = hashlib.sha256("\x1f".join(literals).encode()).digest()
        self._total = (self._total + int.from_bytes(digest[:16], "big")) % _CHECKSUM_MODULUS
        self.rows += 1

    @property
    def hexdigest(self) -> str:
        """The checksum as 32 hex digits."""
        return f"{self._total:032x}"


def table_end_line(table: str, checksum: TableChecksum) -> str:
    """The line after a table's rows."""
    return f"-- table-end: {table} rows={checksum.rows} checksum={checksum.hexdigest}"


# ---------------------------------------------------------------- reading


_VALUE = re.compile(
    r"\s*(?:'((?:[^']|'')*)'|(NULL)|(TRUE)|(FALSE)|(-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?))\s*(,|$)",
    re.S | re.I,
)
_INSERT = re.compile(r'INSERT INTO "([^"]+)" \(([^)]*)\) VALUES\((.*)\);\s*$', re.S)
_TABLE_END = re.compile(r"-- table-end: (\S+) rows=(\d+) checksum=([0-9a-f]{32})\s*$")
_END = re.compile(r"-- end-of-dump: tables=(\d+) rows=(\d+)\s*$")

Token = tuple[str, Any]


def parse_values(text: str, line: int) -> tuple[list[Token], list[str]]:
    """The values of a VALUES(...) list as (type, value) tokens and their literal texts."""
    tokens: list[Token] = []
    literals: list[str] = []
    position = 0
    while position < len(text):
        match = _VALUE.match(text, position)
        if match is None:
            raise DumpError("unreadable value in INSERT", "corrupt_dump", line)
        string, null, true, false, number = match.groups()[:5]
        if string is not None:
            tokens.append(("str", string.replace("''", "'")))
        elif null is not None:
            tokens.append(("null", None))
        elif true is not None or false is not None:
            tokens.append(("bool", true is not None))
        else:
            tokens.append(("num", number))
        literals.append(match.group(0).strip().rstrip(",").strip())
        position = match.end()
        if match.group(6) == "" and position < len(text):
            raise DumpError("unreadable value in INSERT", "corrupt_dump", line)
    return tokens, literals


def convert(token: Token, kind: Kind, where: str, line: int) -> Any:
    """A token as the Python value the target column's type binds."""
    token_type, value = token
    if token_type == "null":  # noqa: S105 - a token kind, not a secret
        return None
    try:
        if kind == "json":
            _expect(token_type, "str")
            return orjson.loads(value)
        if kind in ("bool", "intbool"):
            if token_type == "bool":  # noqa: S105
                return value
            _expect(token_type, "num")
            return bool(int(value))
        if kind == "datetime":
            _expect(token_type, "str")
            return dt.datetime.fromisoformat(value)
        if kind == "int":
            _expect(token_type, "num")
            return int(value)
        if kind == "float":
            _expect(token_type, "num")
            return float(value)
        _expect(token_type, "str")
        return value
    except (ValueError, orjson.JSONDecodeError) as exc:
        raise DumpError(f"{where}: {exc}", "wrong_type", line) from exc


def _expect(actual: str, wanted: str) -> None:
    if actual != wanted:
        raise ValueError(f"expected a {'string' if wanted == 'str' else 'number'}, got {actual}")


@dataclass
class InsertRow:
    """One parsed INSERT."""

    table: str
    columns: list[str]
    tokens: list[Token]
    literals: list[str]
    line: int


@dataclass
class TableEnd:
    """One parsed table-end line."""

    table: str
    rows: int
    checksum: str
    line: int


@dataclass
class EndOfDump:
    """The final line of a complete dump."""

    tables: int
    rows: int


Event = InsertRow | TableEnd | EndOfDump


def open_text(path: Path) -> IO[str]:
    """Open a dump for reading, gunzipping ``.gz`` files."""
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    # newline="": a carriage return inside a value must come back as it was written.
    return path.open("r", encoding="utf-8", newline="")


def open_output(path: Path) -> IO[str]:
    """Open a dump for writing, gzipping when the name ends in ``.gz``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".gz":
        return io.TextIOWrapper(
            gzip.open(path, "wb", compresslevel=6), encoding="utf-8", newline=""
        )
    return path.open("w", encoding="utf-8", newline="")


def read_dump(stream: IO[str]) -> tuple[DumpHeader, Iterator[Event]]:
    """The header of a dump and a lazy iterator over its rows and markers.

    Raises:
        DumpError: this is not a sonic-cms dump, or its format is unknown.
    """
    first = stream.readline().rstrip("\n")
    if first != MAGIC:
        raise DumpError(
            "not a sonic-cms dump (first line is not '-- sonic-cms dump')", "not_a_dump"
        )
    values: dict[str, str] = {}
    number = 1
    line = stream.readline()
    while line.startswith("-- ") and ": " in line and not line.startswith("-- table-end"):
        key, _, value = line[3:].rstrip("\n").partition(": ")
        values[key] = value
        number += 1
        line = stream.readline()
    header = _header_from(values)
    return header, iter_events(itertools.chain([line], stream), number + 1)


def _header_from(values: dict[str, str]) -> DumpHeader:
    if values.get("format") != str(FORMAT_VERSION):
        raise DumpError(
            f"dump format {values.get('format')!r} is not supported (this version reads "
            f"{FORMAT_VERSION})",
            "unsupported_format",
        )
    known = {"format", "schema_revision", "source", "created_at", "schema", "tables"}
    revision = values.get("schema_revision", "none")
    return DumpHeader(
        schema_revision=None if revision == "none" else revision,
        source=values.get("source", "?"),
        created_at=values.get("created_at", "?"),
        include_schema=values.get("schema") == "included",
        tables=[t for t in values.get("tables", "").split(",") if t],
        extra={k: v for k, v in values.items() if k not in known},
    )


def iter_events(stream: Iterable[str], first_line: int = 1) -> Iterator[Event]:
    """Parse statements after the header, one at a time, so memory stays flat."""
    buffer: list[str] = []
    quotes = 0
    start = first_line
    for number, line in enumerate(stream, start=first_line):
        if not buffer:
            start = number
            event = _comment_event(line, number)
            if event is not None:
                yield event
                continue
            if line.startswith("--") or not line.strip():
                continue
        buffer.append(line)
        quotes += line.count("'")
        if quotes % 2 == 0 and line.rstrip().endswith(";"):
            statement = "".join(buffer)
            buffer, quotes = [], 0
            parsed = _statement_event(statement, start)
            if parsed is not None:
                yield parsed
    if buffer:
        raise DumpError("dump ends in the middle of a statement (truncated?)", "truncated_dump")


def _comment_event(line: str, number: int) -> Event | None:
    if not line.startswith("-- "):
        return None
    match = _TABLE_END.match(line)
    if match:
        return TableEnd(match.group(1), int(match.group(2)), match.group(3), number)
    match = _END.match(line)
    if match:
        return EndOfDump(int(match.group(1)), int(match.group(2)))
    return None


def _statement_event(statement: str, line: int) -> InsertRow | None:
    if statement.startswith("INSERT INTO "):
        match = _INSERT.match(statement)
        if match is None:
            raise DumpError("malformed INSERT statement", "corrupt_dump", line)
        columns = [c.strip().strip('"') for c in match.group(2).split(",")]
        tokens, literals = parse_values(match.group(3), line)
        if len(tokens) != len(columns):
            raise DumpError(
                f"{len(tokens)} values for {len(columns)} columns", "corrupt_dump", line
            )
        return InsertRow(match.group(1), columns, tokens, literals, line)
    word = re.match(r"\s*(\w+)", statement)
    head = word.group(1).upper() if word else ""
    if head in {"BEGIN", "COMMIT", "CREATE", "PRAGMA"}:
        return None
    raise DumpError(f"unexpected statement {statement[:40]!r}", "corrupt_dump", line)


def kinds_for(table: Table, columns: list[str], line: int) -> list[Kind]:
    """Each dumped column's kind in the target table; a column the target lacks is an error."""
    kinds: list[Kind] = []
    for name in columns:
        if name not in table.c:
            raise DumpError(
                f"table {table.name} has no column {name!r} (dump from another schema?)",
                "schema_mismatch",
                line,
            )
        kinds.append(column_kind(table.c[name]))
    return kinds
