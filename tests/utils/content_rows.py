"""Collections, content rows and pending schedules for workflow tests, written straight to the
tables."""

from __future__ import annotations

from sqlalchemy import insert

from sonic_cms.clock import Clock, utc_datetime
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Collection, Content, ScheduledContent
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


def make_schedule(
    db: Database, content_id: str, user_id: str, jobs: dict[str, tuple[str, int]]
) -> None:
    """Pending scheduled jobs of ``content_id``: ``jobs`` maps each id to (action, due ms); a
    row is written as is, so an action the API would refuse can be stored."""
    with db.write() as conn:
        for job_id, (action, due_ms) in jobs.items():
            conn.execute(
                insert(ScheduledContent).values(
                    id=job_id,
                    content_id=content_id,
                    action=action,
                    scheduled_at=utc_datetime(due_ms),
                    user_id=user_id,
                    status="pending",
                )
            )
