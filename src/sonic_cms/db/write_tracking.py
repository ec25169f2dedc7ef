"""Which tables a write transaction changed, announced after it commits.

Caches must drop what a write changed before the write's response returns, whatever path wrote
(a route, the CLI, the scheduler, a plugin, an import). Asking every service to remember an
invalidation call is how SonicJS ended up serving stale pages; here the engine itself records
the tables each statement of a :meth:`~sonic_cms.db.engine.Database.write` transaction touches
and hands the set to the database's commit listeners once the commit succeeded. A textual
statement that may write (``exec``, raw SQL of ``sonic db execute``) cannot be attributed to a
table and counts as touching everything: coarser, never finer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.sql.dml import UpdateBase

logger = logging.getLogger("sonic_cms.db")

#: Stands for "some table a textual statement wrote".
EVERYTHING = "*"
#: ``Connection.info`` key holding the set of a tracked transaction (absent: not tracked).
TOUCHED = "sonic_touched_tables"

CommitListener = Callable[[frozenset[str]], None]

_READ_ONLY_PREFIXES = (
    "select",
    "pragma",
    "explain",
    "values",
    "show",
    "create trigger",
    "drop trigger",
)
_WRITE_WORD = re.compile(r"\b(?:insert|update|delete|replace)\b")
_DML_TARGET = re.compile(
    r'\s*(?:insert\s+(?:or\s+\w+\s+)?into|update(?:\s+or\s+\w+)?|delete\s+from)\s+"?(?P<table>\w+)"?[\s(]',
    re.IGNORECASE,
)


def install(engine: Engine) -> None:
    """Record the tables DML statements touch on connections that are being tracked."""

    @event.listens_for(engine, "before_cursor_execute")
    def _record(
        conn: Connection, _cursor: Any, sql: str, _params: Any, context: Any, _many: Any
    ) -> None:
        touched: set[str] | None = conn.info.get(TOUCHED)
        if touched is None:
            return
        statement = getattr(getattr(context, "compiled", None), "statement", None)
        if isinstance(statement, UpdateBase):
            touched.add(getattr(getattr(statement, "table", None), "name", EVERYTHING))
        else:
            touched.update(textual_targets(sql))


def textual_targets(sql: str) -> set[str]:
    """The tables a textual statement may write: the target of a plain INSERT, UPDATE or
    DELETE, nothing for reads and trigger definitions, :data:`EVERYTHING` for the rest."""
    head = sql.lstrip().lower()
    if head.startswith(_READ_ONLY_PREFIXES):
        return set()
    if head.startswith("with"):  # a CTE may end in (or hold) an INSERT, UPDATE or DELETE
        return {EVERYTHING} if _WRITE_WORD.search(head) else set()
    match = _DML_TARGET.match(sql)
    return {match.group("table")} if match else {EVERYTHING}


def record(conn: Connection, table: str) -> None:
    """Count ``table`` as touched by a statement the engine's events do not see (a COPY on the
    driver connection), when ``conn`` is being tracked."""
    touched: set[str] | None = conn.info.get(TOUCHED)
    if touched is not None:
        touched.add(table)


def start(conn: Connection) -> None:
    """Begin recording on ``conn`` (a fresh set per transaction)."""
    conn.info[TOUCHED] = set()


def finish(conn: Connection) -> frozenset[str]:
    """Stop recording on ``conn``; the tables touched since :func:`start`."""
    return frozenset(conn.info.pop(TOUCHED, ()) or ())


def announce(listeners: list[CommitListener], touched: frozenset[str]) -> None:
    """Tell every listener; one failing listener is logged and does not stop the others (the
    data is committed: the write must not look failed to its caller)."""
    if not touched:
        return
    for listener in listeners:
        try:
            listener(touched)
        except Exception:
            logger.exception("commit listener %r failed", listener)
