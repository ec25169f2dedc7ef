"""Counting the SQL statements a piece of work runs, for the admin's N+1 tests.

A page that runs one query per row shows up as a count that grows with the rows; a test renders
the same page over a few rows and over many and asserts the counts are equal.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event


@dataclass
class Statements:
    """The statements seen, in order."""

    sql: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.sql)


@contextmanager
def counting_statements(engine: Engine) -> Iterator[Statements]:
    """Record every statement ``engine`` executes inside the ``with`` block."""
    seen = Statements()

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.sql.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
