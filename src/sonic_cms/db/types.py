"""Column types that make one model produce the seed's SQLite DDL and a sound PostgreSQL one.

SQLite keeps the seed's declared types (TEXT, INTEGER, BOOLEAN, JSON, DATETIME) so that
``PRAGMA table_info`` reads like the seed document; PostgreSQL gets BIGINT for epoch
milliseconds (they overflow INTEGER) and JSONB for JSON, so fields inside ``data`` can be
filtered and indexed.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import BigInteger, Dialect, Integer, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.sql.type_api import TypeEngine
from sqlalchemy.types import JSON, TypeDecorator

#: A 64-bit integer: INTEGER in SQLite (as the seed declares it), BIGINT in PostgreSQL.
Int64 = BigInteger().with_variant(Integer(), "sqlite")
#: Epoch milliseconds (``Date.now()``), which overflow PostgreSQL's 32-bit INTEGER.
EpochMs = Int64


class IntBool(TypeDecorator[bool]):
    """A 0/1 INTEGER column (the seed's ``is_active INTEGER``) seen from Python as a bool."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: bool | int | None, dialect: Dialect) -> int | None:
        return None if value is None else int(bool(value))

    def process_result_value(self, value: int | None, dialect: Dialect) -> bool | None:
        return None if value is None else bool(value)


class JSONText(TypeDecorator[Any]):
    """JSON held as text in SQLite (the seed's ``TEXT -- JSON``) and as JSONB in PostgreSQL.

    Values are serialized with orjson so both engines store the same compact text.
    ``declared`` is the SQLite type name the seed uses for the column: TEXT or JSON.
    """

    impl = Text
    cache_ok = True

    def __init__(self, declared: str = "TEXT") -> None:
        super().__init__()
        self.declared = declared

    def __repr__(self) -> str:
        return "JSONText()" if self.declared == "TEXT" else f"JSONText({self.declared!r})"

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB())
        if self.declared == "JSON":
            return dialect.type_descriptor(JSON())
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "postgresql":
            return value
        return orjson.dumps(value).decode()

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect.name == "postgresql":
            return value
        if isinstance(value, str):
            return orjson.loads(value)
        return value


class epoch_ms_now(FunctionElement[int]):  # noqa: N801 - reads as a SQL function
    """``Date.now()`` as a column default, in milliseconds on both engines."""

    type = BigInteger()
    inherit_cache = True


@compiles(epoch_ms_now, "sqlite")
def _epoch_ms_sqlite(element: epoch_ms_now, compiler: Any, **kw: Any) -> str:
    return "(CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER))"


@compiles(epoch_ms_now, "postgresql")
def _epoch_ms_postgresql(element: epoch_ms_now, compiler: Any, **kw: Any) -> str:
    return "(floor(extract(epoch from clock_timestamp()) * 1000)::bigint)"
