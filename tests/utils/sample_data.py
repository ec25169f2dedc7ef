"""Rows of every kind of column, for export/import and time-travel tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert, select, text

from sonic_cms.clock import Clock
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Collection, Content, Media, Plugin, User, WorkflowHistory
from sonic_cms.operations.export_sql import dump_tables
from tests.utils.auth import create_random_user

NASTY = (
    "it's \"quoted\"; -- not a comment\nsecond line\t, VALUES('x');\r\n-- table-end: x\r Ü 日本 🎉"
)


def seed_sample(db: Database, clock: Clock) -> dict[str, Any]:
    """A user who invited another, a collection, content, media, a plugin, workflow history."""
    inviter = create_random_user(db, clock, "admin")
    invited = create_random_user(db, clock, "editor")
    now = clock.now_ms()
    with db.write() as conn:
        conn.execute(
            User.__table__.update()
            .where(User.id == inviter.id)
            .values(invited_by=invited.id, bio=NASTY)
        )
        conn.execute(
            insert(Collection),
            {
                "id": "col-blog-1a2b3c4d",
                "name": "blog",
                "display_name": "Blog",
                "schema": {"type": "object", "properties": {"title": {"type": "string"}}},
                "created_at": now,
                "updated_at": now,
            },
        )
        conn.execute(
            insert(Media),
            {
                "id": "m1",
                "filename": "a.png",
                "original_name": "a.png",
                "mime_type": "image/png",
                "size": 12,
                "r2_key": "uploads/a.png",
                "public_url": "/files/uploads/a.png",
                "tags": ["x", "y"],
                "uploaded_by": inviter.id,
                "uploaded_at": now,
            },
        )
        for number in range(3):
            conn.execute(
                insert(Content),
                {
                    "id": f"c{number}",
                    "collection_id": "col-blog-1a2b3c4d",
                    "slug": f"post-{number}",
                    "title": f"Post {number} {NASTY}",
                    "data": {
                        "title": NASTY,
                        "n": number,
                        "f": 1.5,
                        "nested": {"b": 1, "a": [None]},
                    },
                    "author_id": inviter.id,
                    "created_at": now + number,
                    "updated_at": now + number,
                    "featured_image_id": "m1",
                },
            )
        conn.execute(
            insert(Plugin),
            {
                "id": "p1",
                "name": "faq",
                "display_name": "FAQ",
                "version": "1.0.0",
                "author": "me",
                "category": "content",
                "is_core": True,
                "settings": {"enabled": True},
                "rating": 4.5,
                "installed_at": now,
                "last_updated": now,
            },
        )
        workflow_id = conn.execute(text("SELECT id FROM workflows LIMIT 1")).scalar()
        if workflow_id is None:
            workflow_id = "wf-default"
            conn.execute(text("INSERT INTO workflows (id, name) VALUES ('wf-default', 'Default')"))
        conn.execute(
            insert(WorkflowHistory),
            {
                "id": "wh1",
                "content_id": "c0",
                "workflow_id": workflow_id,
                "from_state_id": "draft",
                "to_state_id": "published",
                "user_id": inviter.id,
                "meta": {"k": "v"},
                "created_at": dt.datetime(2026, 1, 2, 3, 4, 5),
            },
        )
    return {"inviter": inviter.id, "invited": invited.id}


def table_rows(db: Database, *, with_change_log: bool = False) -> dict[str, list[tuple[Any, ...]]]:
    """Every dumped table's rows, sorted, as the models read them (engine-neutral); time
    travel's change log only when asked (a restore keeps the target's own)."""
    result: dict[str, list[tuple[Any, ...]]] = {}
    with db.read() as conn:
        for table in dump_tables(with_change_log=with_change_log):
            rows = [tuple(_neutral(v) for v in row) for row in conn.execute(select(table))]
            result[table.name] = sorted(rows, key=repr)
    return result


def _neutral(value: Any) -> Any:
    if isinstance(value, dict | list):
        import orjson

        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat()
    return value
