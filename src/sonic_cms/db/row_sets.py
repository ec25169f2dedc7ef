"""Many rows of one table written in one statement: the bulk import's writers, one per engine.

An ``executemany`` hands every row to SQLAlchemy and the driver in Python, with the GIL held
(SQLite takes the GIL back for every row; psycopg builds and sends multi-row ``VALUES``). These
writers take checked rows (dicts with the same keys), run each value through its column's own
bind processing once, so that what is stored is what an ORM insert stores, and give the whole
set to the database at once: SQLite one JSON parameter for ``INSERT ... SELECT FROM
json_each``, PostgreSQL one ``COPY ... FROM STDIN``. Packing (:func:`packed_rows`) is separate
from writing, so the bulk import packs in its preparing thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
import psycopg
from sqlalchemy import Connection, Dialect, Table
from sqlalchemy.exc import DBAPIError

from sonic_cms.db import write_tracking
from sonic_cms.db.types import JSONText


class PackedRows(Protocol):
    """Rows of one table, ready to be written."""

    def insert(self, conn: Connection) -> None:
        """Insert the rows, in order, in ``conn``'s transaction."""


def packed_rows(table: Table, rows: list[dict[str, Any]], dialect: Dialect) -> PackedRows:
    """``rows`` (all with the same keys) bind-processed for ``dialect``'s set writer."""
    columns = list(rows[0]) if rows else []
    processors = [_processor(table, name, dialect) for name in columns]
    steps = list(zip(columns, processors, strict=True))
    values = [[p(row[n]) if p else row[n] for n, p in steps] for row in rows]
    if dialect.name == "postgresql":
        return CopyRows(table, columns, values)
    return JsonRows(table, columns, orjson.dumps(values).decode())


def _processor(table: Table, name: str, dialect: Dialect) -> Callable[[Any], Any] | None:
    """The column's bind processing; on PostgreSQL JSON goes to COPY as its JSON text (the
    driver would otherwise adapt the dict itself)."""
    column_type = table.c[name].type
    if dialect.name == "postgresql" and isinstance(column_type, JSONText):
        return _json_text
    return column_type.bind_processor(dialect)


def _json_text(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


@dataclass(frozen=True)
class JsonRows:
    """SQLite: the rows as a JSON array of arrays, for one ``INSERT ... SELECT FROM json_each``.

    One statement with one parameter means SQLite inserts every row while Python's GIL is
    released, so the import's preparing thread really runs meanwhile.
    """

    table: Table
    columns: list[str]
    payload: str

    def insert(self, conn: Connection) -> None:
        """Insert the rows, in order."""
        if not self.columns:
            return
        names = ", ".join(f'"{name}"' for name in self.columns)
        values = ", ".join(f"value ->> {i}" for i in range(len(self.columns)))
        conn.exec_driver_sql(
            f'INSERT INTO "{self.table.name}" ({names}) '
            f"SELECT {values} FROM json_each(?) ORDER BY key",
            (self.payload,),
        )


@dataclass(frozen=True)
class CopyRows:
    """PostgreSQL: the rows for one ``COPY ... FROM STDIN`` on the transaction's own psycopg
    connection (the server parses no SQL and plans nothing per row; psycopg writes the rows in
    C). COPY bypasses SQLAlchemy's events, so the table is recorded for write tracking here, and
    a driver error is raised as the same SQLAlchemy exception an ``INSERT`` would raise.
    """

    table: Table
    columns: list[str]
    values: list[list[Any]]

    def insert(self, conn: Connection) -> None:
        """Insert the rows, in order."""
        if not self.columns:
            return
        names = ", ".join(f'"{name}"' for name in self.columns)
        statement = f'COPY "{self.table.name}" ({names}) FROM STDIN'
        write_tracking.record(conn, self.table.name)
        driver: psycopg.Connection[Any] = conn.connection.driver_connection  # type: ignore[assignment]
        try:
            with driver.cursor() as cursor, cursor.copy(statement) as copy:
                for row in self.values:
                    copy.write_row(row)
        except psycopg.Error as error:
            raise DBAPIError.instance(
                statement, None, error, psycopg.Error, dialect=conn.dialect
            ) from error
