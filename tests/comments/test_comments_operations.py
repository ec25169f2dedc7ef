"""Comments are content for operations, on both engines: time travel brings back a thread and
its counts as they were at a moment (replies after their parents), and a backup restores them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from sonic_cms.clock import FrozenClock
from sonic_cms.comments import moderation, posting
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.operations import backup, time_travel
from sonic_cms.operations.restore import restore_backup, restore_to_moment
from tests.conftest import make_settings
from tests.content.helpers import context_on
from tests.utils.auth import actor_with_role
from tests.utils.content_rows import make_collection, make_content


@pytest.fixture
def ops_db(db_url: str, tmp_path: Path) -> Iterator[Database]:
    database = Database(make_settings(db_url, backup_dir=tmp_path / "backups"))
    yield database
    database.dispose()


@pytest.fixture
def ops(ctx: Context, ops_db: Database) -> Context:
    return replace(ctx, db=ops_db, settings=ops_db.settings)


def _state(db: Database) -> tuple[list[Any], list[Any]]:
    with db.read() as conn:
        comments = conn.execute(
            text("SELECT id, parent_id, status, body FROM comments ORDER BY id")
        ).all()
        counts = conn.execute(
            text("SELECT content_id, approved FROM content_comment_counts ORDER BY content_id")
        ).all()
    return [tuple(r) for r in comments], [tuple(r) for r in counts]


def _thread(db: Database, clock: FrozenClock) -> tuple[str, Context, Context, dict[str, Any]]:
    editor = actor_with_role(db, clock, "editor")
    assert editor.user_id is not None
    item = make_content(db, clock, make_collection(db, clock), editor.user_id, status="published")
    moderator = context_on(db, clock, editor)
    viewer = context_on(db, clock, actor_with_role(db, clock, "viewer"))
    top = posting.post_comment(moderator, item, "Top")
    return item, moderator, viewer, top


def test_time_travel_brings_back_a_thread_and_its_counts(
    ops_db: Database, ops: Context, clock: FrozenClock
):
    item, moderator, viewer, top = _thread(ops_db, clock)
    reply = posting.post_comment(viewer, item, "Reply", top["id"])
    moderation.moderate(moderator, "approve", [reply["id"]])
    time_travel.take_snapshot(ops)
    time.sleep(0.02)
    posting.post_comment(moderator, item, "Reply to the reply", reply["id"])
    time.sleep(0.02)
    with ops_db.read() as conn:
        moment = time_travel.db_now_ms(conn)
    expected = _state(ops_db)
    assert expected[1] == [(item, 3)]
    time.sleep(0.02)
    moderation.moderate(moderator, "spam", [top["id"]])
    with ops_db.write() as conn:
        conn.execute(text("DELETE FROM content WHERE id = :id"), {"id": item})
    assert _state(ops_db) == ([], [])
    with ops_db.read() as conn:
        logged = conn.execute(text("SELECT DISTINCT table_name FROM change_log")).scalars().all()
    assert {"comments", "content_comment_counts"} <= set(logged)
    restore_to_moment(ops, moment)
    assert _state(ops_db) == expected


def test_a_backup_restores_comments_and_counts(ops_db: Database, ops: Context, clock: FrozenClock):
    item, _, viewer, top = _thread(ops_db, clock)
    posting.post_comment(viewer, item, "<b>pending</b>", top["id"])
    expected = _state(ops_db)
    made = backup.create_backup(ops)
    with ops_db.write() as conn:
        conn.execute(text("DELETE FROM content WHERE id = :id"), {"id": item})
    assert _state(ops_db) == ([], [])
    restore_backup(ops, made.path)
    assert _state(ops_db) == expected


SONICJS_COMMENTS = """
CREATE TABLE comments (id TEXT PRIMARY KEY, content_id TEXT NOT NULL REFERENCES content(id) ON DELETE CASCADE, user_id TEXT NOT NULL REFERENCES users(id), parent_id TEXT REFERENCES comments(id), body TEXT NOT NULL, status TEXT DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'spam', 'deleted')), created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
INSERT INTO "comments" VALUES('cm-reply','content-about','user-legacy','cm-top','A reply, listed first','approved',1756720100,1756720100);
INSERT INTO "comments" VALUES('cm-top','content-about','admin-user-id',NULL,'<b>Top</b>','approved',1756720000,1756720000);
INSERT INTO "comments" VALUES('cm-waiting','content-about','user-legacy',NULL,'Waiting',NULL,1756720200,1756720200);
INSERT INTO "comments" VALUES('cm-stray','content-missing','admin-user-id',NULL,'On nothing','approved',1756720300,1756720300);
INSERT INTO "comments" VALUES('cm-orphan','content-about','admin-user-id','cm-stray','Under nothing','approved',1756720400,1756720400);
"""  # noqa: E501 - the seed's migration 012, as wrangler exports it


def test_sonicjs_comments_move_in_with_their_counts(ops_db: Database, ops: Context, tmp_path: Path):
    from sonic_cms.operations.sonicjs_import import import_sonicjs

    fixture = Path(__file__).parents[1] / "fixtures" / "sonicjs_export.sql"
    export = tmp_path / "sonicjs.sql"
    export.write_text(fixture.read_text() + SONICJS_COMMENTS)
    report = import_sonicjs(ops, export)
    line = report.table("comments")
    assert (line.mapped, line.skipped) == (3, 2), line.notes
    comments, counts = _state(ops_db)
    assert [(c[0], c[1], c[2]) for c in comments] == [
        ("cm-reply", "cm-top", "approved"),
        ("cm-top", None, "approved"),
        ("cm-waiting", None, "pending"),
    ]
    assert counts == [("content-about", 2)]
    with ops_db.read() as conn:
        created = conn.execute(text("SELECT created_at FROM comments WHERE id = 'cm-top'"))
        assert created.scalar() == 1756720000000  # SonicJS's seconds, in milliseconds
