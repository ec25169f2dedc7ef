"""Each item's approved-comment count, kept in ``content_comment_counts``.

Item reads show ``comments: {approved: N}`` from this table (one primary-key lookup in the
read's own statement), so a list never counts comments. Every status change adjusts it in the
same transaction, through :func:`status_moves`, as one ``INSERT ... ON CONFLICT DO UPDATE``
adding the change: two transactions adjusting one item at once both count, whichever commits
first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from sonic_cms.db.schema.tables import COMMENT_COUNTS


def approved_delta(old: str | None, new: str | None) -> int:
    """+1 into approved, -1 out of it, 0 otherwise."""
    return int(new == "approved") - int(old == "approved")


def status_moves(conn: Connection, moves: Iterable[tuple[str, str | None, str | None]]) -> None:
    """Adjust the counts for ``(content_id, old_status, new_status)`` moves, one statement per
    item whose count changes."""
    deltas: Counter[str] = Counter()
    for content_id, old, new in moves:
        deltas[content_id] += approved_delta(old, new)
    for content_id, delta in sorted(deltas.items()):
        if delta:
            _add(conn, content_id, delta)


def _add(conn: Connection, content_id: str, delta: int) -> None:
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = dialect_insert(COMMENT_COUNTS).values(
        id=content_id, content_id=content_id, approved=max(delta, 0)
    )
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=[COMMENT_COUNTS.c.content_id],
            set_={"approved": COMMENT_COUNTS.c.approved + delta},
        )
    )


def approved_count(conn: Connection, content_id: str) -> int:
    """The item's approved count (0 without a row)."""
    found = conn.execute(
        select(COMMENT_COUNTS.c.approved).where(COMMENT_COUNTS.c.content_id == content_id)
    ).scalar()
    return int(found or 0)
