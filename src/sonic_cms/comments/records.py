"""One comment's representation and the statements that read comments with their authors.

Every answer (the API, hooks, the admin, the CLI) shows a comment through
:func:`serialize_comment`: the author by id and public name only, never their email. The body
is the plain text as written; whoever renders it as HTML escapes it (the admin's templates do).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, Select, select

from sonic_cms.db.schema.tables import COMMENTS, USERS

#: A comment's columns and its author's public name, for every read.
WITH_AUTHOR: Select[Any] = select(
    COMMENTS, USERS.c.first_name.label("author_first"), USERS.c.last_name.label("author_last")
).join(USERS, USERS.c.id == COMMENTS.c.user_id)


def serialize_comment(row: Row[Any] | dict[str, Any]) -> dict[str, Any]:
    """``{id, content_id, parent_id, user_id, body, status, created_at, updated_at, author}``."""
    m = row._mapping if isinstance(row, Row) else row
    name = f"{m.get('author_first') or ''} {m.get('author_last') or ''}".strip()
    return {
        "id": m["id"],
        "content_id": m["content_id"],
        "parent_id": m["parent_id"],
        "user_id": m["user_id"],
        "body": m["body"],
        "status": m["status"],
        "created_at": m["created_at"],
        "updated_at": m["updated_at"],
        "author": {"id": m["user_id"], "name": name},
    }


def load_comments(conn: Connection, ids: list[str], *, lock: bool = False) -> list[Row[Any]]:
    """The comments of ``ids`` that exist (any status), with their authors, in id order.

    ``lock`` holds them until the transaction ends on PostgreSQL, so two moderators changing
    one comment at once queue up and the second sees the first's status (the approved count
    moves once). SQLite needs no lock: its write transactions begin IMMEDIATE.
    """
    query = WITH_AUTHOR.where(COMMENTS.c.id.in_(ids)).order_by(COMMENTS.c.id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update(of=COMMENTS)
    return list(conn.execute(query).all())


def load_comment(conn: Connection, comment_id: str, *, lock: bool = False) -> Row[Any] | None:
    """One comment with its author, or None."""
    found = load_comments(conn, [comment_id], lock=lock)
    return found[0] if found else None
