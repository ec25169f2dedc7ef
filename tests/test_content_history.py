"""Per-item time travel at the service level: content as of T, restored as a new version."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select, text

from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Collection, Content, ContentVersion
from sonic_cms.services.content_history import content_as_of, restore_content_as_of
from sonic_cms.services.errors import BadRequest, Forbidden, NotFound
from tests.conftest import START_MS
from tests.utils.auth import actor_with_role, create_random_user


@pytest.fixture
def item(db: Database, clock) -> str:
    author = create_random_user(db, clock, "author")
    with db.write() as conn:
        conn.execute(
            insert(Collection),
            {
                "id": "col",
                "name": "blog",
                "display_name": "Blog",
                "schema": {},
                "created_at": START_MS,
                "updated_at": START_MS,
            },
        )
        conn.execute(
            insert(Content),
            {
                "id": "c1",
                "collection_id": "col",
                "slug": "s",
                "title": "Third",
                "data": {"title": "Third"},
                "author_id": author.id,
                "created_at": START_MS,
                "updated_at": START_MS + 2000,
                "version_number": 3,
            },
        )
        for number, title in enumerate(["First", "Second", "Third"], start=1):
            conn.execute(
                insert(ContentVersion),
                {
                    "id": f"v{number}",
                    "content_id": "c1",
                    "version": number,
                    "data": {"title": title},
                    "author_id": author.id,
                    "created_at": START_MS + (number - 1) * 1000,
                },
            )
    return "c1"


def test_content_as_of_returns_the_version_current_then(db: Database, clock, item: str):
    viewer = actor_with_role(db, clock, "viewer")
    assert content_as_of(db, viewer, item, START_MS + 1500)["data"] == {"title": "Second"}
    assert content_as_of(db, viewer, item, START_MS + 1000)["version"] == 2
    assert content_as_of(db, viewer, item, START_MS + 99_000)["data"] == {"title": "Third"}


@pytest.mark.parametrize(
    ("as_of", "error", "code"),
    [(START_MS - 1, NotFound, "not_yet"), (-5, BadRequest, "bad_as_of")],
)
def test_content_as_of_refuses_moments_without_a_state(db, clock, item, as_of, error, code):
    with pytest.raises(error) as failure:
        content_as_of(db, actor_with_role(db, clock, "viewer"), item, as_of)
    assert failure.value.code == code


def test_unknown_item_is_not_found(db: Database, clock, item: str):
    with pytest.raises(NotFound):
        content_as_of(db, actor_with_role(db, clock, "viewer"), "nope", START_MS)


def test_restore_as_of_adds_a_new_version(db: Database, clock, item: str):
    editor = actor_with_role(db, clock, "editor")
    clock.advance(10_000)
    restored = restore_content_as_of(db, editor, clock, item, START_MS + 500)
    assert restored["version"] == 4 and restored["restored_from"] == 1
    assert restored["data"] == {"title": "First"} and restored["title"] == "First"
    with db.read() as conn:
        versions = conn.execute(
            select(ContentVersion.version, ContentVersion.data)
            .where(ContentVersion.content_id == item)
            .order_by(ContentVersion.version)
        ).all()
    assert [tuple(v) for v in versions][-1] == (4, {"title": "First"})
    assert len(versions) == 4


def test_restore_needs_edit_permission_and_writes_nothing(db: Database, clock, item: str):
    viewer = actor_with_role(db, clock, "viewer")
    with pytest.raises(Forbidden):
        restore_content_as_of(db, viewer, clock, item, START_MS + 500)
    with db.read() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM content_versions")).scalar() == 3
        assert conn.execute(text("SELECT title FROM content")).scalar() == "Third"
