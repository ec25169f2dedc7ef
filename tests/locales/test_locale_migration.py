"""Revision 0015 on both engines: rows, their history and their search survive the upgrade
(SQLite rebuilds ``content``), and the downgrade drops translations and restores the seed's
UNIQUE(collection_id, slug)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from sonic_cms.clock import FrozenClock
from sonic_cms.content.search import parse_search, search_subquery, search_words
from sonic_cms.db import migrate
from sonic_cms.db.change_capture import uncovered_tables
from sonic_cms.db.engine import Database
from tests.conftest import START_MS, make_settings
from tests.utils.auth import create_random_user
from tests.utils.content_rows import make_collection, make_content


@pytest.fixture
def empty_db(empty_db_url: str):
    database = Database(make_settings(empty_db_url))
    yield database
    database.dispose()


def _history(db: Database, item: str, user: str) -> None:
    with db.write() as conn:
        workflow = conn.execute(text("SELECT id FROM workflows LIMIT 1")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO workflow_history (id, content_id, workflow_id, to_state_id, user_id) "
                "VALUES ('wh-1', :item, :workflow, 'published', :user)"
            ),
            {"item": item, "workflow": workflow, "user": user},
        )


def _count(db: Database, sql: str) -> int:
    with db.read() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def _insert_row(db: Database, item_id: str, collection: str, author: str, slug: str, **extra):
    columns = {
        "id": item_id,
        "collection_id": collection,
        "slug": slug,
        "title": "Marteau",
        "data": "{}",
        "status": "draft",
        "author_id": author,
        "created_at": START_MS,
        "updated_at": START_MS,
        **extra,
    }
    names = ", ".join(columns)
    values = ", ".join(f":{name}" for name in columns)
    with db.write() as conn:
        conn.execute(text(f"INSERT INTO content ({names}) VALUES ({values})"), columns)


#: The revision 0015 follows (the chain grows; the test is about 0015 alone).
_IDS = [r.revision for r in migrate.ordered_revisions()]
BEFORE = _IDS[_IDS.index("0015") - 1]


def test_upgrade_keeps_rows_history_and_search_and_downgrade_drops_translations(
    empty_db: Database,
):
    clock = FrozenClock(START_MS)
    migrate.upgrade(empty_db, BEFORE)
    author = create_random_user(empty_db, clock, "editor").id
    collection = make_collection(empty_db, clock)
    item = make_content(empty_db, clock, collection, author, status="published")
    _history(empty_db, item, author)
    with empty_db.write() as conn:
        conn.execute(text("UPDATE content SET title = 'Crème Brûlée' WHERE id = :id"), {"id": item})

    assert migrate.upgrade(empty_db, "0015") == ["0015"]
    assert _count(empty_db, "SELECT COUNT(*) FROM content WHERE locale IS NULL") == 1
    assert _count(empty_db, "SELECT COUNT(*) FROM workflow_history") == 1
    hits = search_subquery(empty_db.dialect)
    words = {"search_q": search_words(empty_db.dialect, parse_search("creme brulee", 100))}
    with empty_db.read() as conn:
        assert conn.execute(select(hits.c.content_id), words).scalars().all() == [item]
        assert uncovered_tables(conn) == []
    slug = _slug_of(empty_db, item)
    _insert_row(empty_db, "tr-1", collection, author, slug, locale="fr", translation_group_id=item)
    with pytest.raises(IntegrityError):
        _insert_row(
            empty_db, "tr-2", collection, author, "other", locale="fr", translation_group_id=item
        )
    with pytest.raises(IntegrityError):
        _insert_row(empty_db, "dup", collection, author, slug)

    migrate.downgrade(empty_db, BEFORE)
    assert _count(empty_db, "SELECT COUNT(*) FROM content") == 1
    assert _count(empty_db, "SELECT COUNT(*) FROM workflow_history") == 1
    with pytest.raises(IntegrityError):
        _insert_row(empty_db, "dup", collection, author, slug)
    with empty_db.read() as conn:
        assert uncovered_tables(conn) == []
    assert migrate.upgrade(empty_db, "0015") == ["0015"]


def _slug_of(db: Database, item: str) -> str:
    with db.read() as conn:
        return str(
            conn.execute(text("SELECT slug FROM content WHERE id = :id"), {"id": item}).scalar_one()
        )
