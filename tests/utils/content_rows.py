"""Collections and content rows for workflow tests, written straight to the tables."""

from __future__ import annotations

from sqlalchemy import insert

from sonic_cms.clock import Clock
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Collection, Content
from sonic_cms.ids import new_id


def make_collection(db: Database, clock: Clock, name: str = "articles") -> str:
    """A collection with a permissive schema; returns its id."""
    collection_id = f"col-{name}-{new_id()[-8:]}"
    now = clock.now_ms()
    with db.write() as conn:
        conn.execute(
            insert(Collection).values(
                id=collection_id,
                name=f"{name}-{collection_id[-8:]}",
                display_name=name.title(),
                schema={"type": "object", "properties": {}, "additionalProperties": True},
                created_at=now,
                updated_at=now,
            )
        )
    return collection_id


def make_content(
    db: Database, clock: Clock, collection_id: str, author_id: str, *, status: str = "draft"
) -> str:
    """A content item by ``author_id``; returns its id."""
    content_id = new_id()
    now = clock.now_ms()
    with db.write() as conn:
        conn.execute(
            insert(Content).values(
                id=content_id,
                collection_id=collection_id,
                slug=f"item-{content_id[-12:]}",
                title="An item",
                data={"body": "text"},
                status=status,
                author_id=author_id,
                workflow_state_id=status,
                published_at=now if status == "published" else None,
                created_at=now,
                updated_at=now,
            )
        )
    return content_id
