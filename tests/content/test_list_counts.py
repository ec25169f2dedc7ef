"""List totals: capped at SONIC_CONTENT_COUNT_LIMIT, exact below it; search counts visible rows."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text

from sonic_cms.actors import ANONYMOUS, SYSTEM
from sonic_cms.api.app import create_app
from sonic_cms.clock import FrozenClock
from sonic_cms.content.bulk import bulk_create_items
from sonic_cms.content.lists import list_content
from tests.conftest import START_MS
from tests.content.helpers import sync_examples
from tests.utils.auth import actor_with_role, create_random_user


@pytest.fixture
def seeded(db, clock, ctx):
    sync_examples(db, clock)
    author = create_random_user(db, clock, "editor").id
    items = [
        {
            "title": f"Item {n}",
            "status": "draft" if n % 3 == 0 else "published",
            "data": {"content": "walrus" if n % 2 else "narwhal"},
        }
        for n in range(12)
    ]
    report = bulk_create_items(
        ctx.acting_as(SYSTEM), "blog-posts", items, batch_size=100, author_id=author
    )
    assert report.created == 12


def _pagination(ctx, actor, pairs, limit=None):
    settings = ctx.settings
    if limit is not None:
        settings = settings.model_copy(update={"content_count_limit": limit})
    reader = replace(ctx, settings=settings, clock=FrozenClock(START_MS), actor=actor)
    return list_content(reader, pairs, "blog-posts")["meta"]["pagination"]


def test_total_is_exact_below_the_limit(ctx, seeded):
    page = _pagination(ctx, ANONYMOUS, [("limit", "5")])
    assert page["total"] == 8 and page["pages"] == 2 and page["hasNext"] is True
    assert "totalCapped" not in page


def test_total_stops_at_the_limit_and_says_so(ctx, seeded):
    page = _pagination(ctx, ANONYMOUS, [("limit", "2")], limit=3)
    assert (page["total"], page["pages"], page["totalCapped"]) == (3, 2, True)
    last = _pagination(ctx, ANONYMOUS, [("limit", "2"), ("page", "4")], limit=3)
    assert last["hasNext"] is False and last["hasPrev"] is True


def test_search_total_counts_only_visible_matches(db, clock, ctx, seeded):
    # walrus: odd n -> 1,3,5,7,9,11; drafts among them: 3, 9
    assert _pagination(ctx, ANONYMOUS, [("search", "walrus")])["total"] == 4
    editor = actor_with_role(db, clock, "editor")
    assert _pagination(ctx, editor, [("search", "walrus")])["total"] == 6
    capped = _pagination(ctx, editor, [("search", "walrus"), ("limit", "2")], limit=5)
    assert (capped["total"], capped["totalCapped"]) == (5, True)
    # a page that reaches the end knows the exact total, whatever the limit
    whole = _pagination(ctx, editor, [("search", "walrus")], limit=5)
    assert whole["total"] == 6 and "totalCapped" not in whole


def _walk(ctx, limit):
    """Every page of the anonymous list of blog posts (8 visible), two a page, to the end."""
    pages = []
    while not pages or pages[-1]["hasNext"]:
        pairs = [("limit", "2"), ("page", str(len(pages) + 1))]
        pages.append(_pagination(ctx, ANONYMOUS, pairs, limit=limit))
        assert len(pages) <= 10
    return pages


@pytest.mark.parametrize("cap", [3, 1000])
def test_has_next_and_pages_agree_on_every_page(ctx, seeded, cap):
    walked = _walk(ctx, cap)
    assert len(walked) == 4
    for page in walked:
        assert page["hasNext"] is (page["page"] < page["pages"]), page
        assert page["hasPrev"] is (page["page"] > 1), page
    # the last page reaches the end: its total is exact, capped or not
    assert walked[-1]["total"] == 8 and walked[-1]["pages"] == 4
    assert "totalCapped" not in walked[-1]


def test_capped_total_is_a_lower_bound_that_grows_with_the_page(ctx, seeded):
    third = _pagination(ctx, ANONYMOUS, [("limit", "2"), ("page", "3")], limit=3)
    # today's code said total 3, pages 2 while page 3 had data and hasNext was true
    assert (third["total"], third["pages"], third["hasNext"], third["totalCapped"]) == (
        7,
        4,
        True,
        True,
    )
    beyond = _pagination(ctx, ANONYMOUS, [("limit", "2"), ("page", "9")], limit=3)
    assert beyond["hasNext"] is False and beyond["page"] > beyond["pages"]
    # an empty page past the end proves nothing: the total stays a true lower bound (8 rows
    # are visible; before, it said the offset, 16)
    assert beyond["total"] <= 8 and beyond["totalCapped"] is True


def test_an_offset_off_the_page_grid_agrees_too(ctx, seeded):
    for offset in range(0, 9):
        page = _pagination(ctx, ANONYMOUS, [("limit", "3"), ("offset", str(offset))])
        assert page["hasNext"] is (page["page"] < page["pages"]), page
        assert page["hasPrev"] is (page["page"] > 1), page


# -- remembered counts (issue 17) -------------------------------------------------------------


def _count_statements(db) -> list[str]:
    seen: list[str] = []
    event.listen(
        db.engine, "before_cursor_execute", lambda _c, _cur, sql, *_a: seen.append(sql.lower())
    )
    return seen


def test_a_count_is_remembered_until_a_write_or_an_embargo_ends(db, clock, settings, seeded):
    """No response cache here: the count itself is kept in memory, and dropped by a write and
    by the moment an embargoed item becomes public, with no write at all."""
    app = create_app(settings.model_copy(update={"cache_enabled": False}), db=db, clock=clock)
    url = "/api/collections/blog-posts/content?limit=2"
    with TestClient(app) as client:

        def total() -> int:
            response = client.get(url)
            assert response.status_code == 200
            return int(response.json()["meta"]["pagination"]["total"])

        assert total() == 8
        seen = _count_statements(db)
        assert total() == 8
        assert not [sql for sql in seen if "count(" in sql]  # from memory
        with db.write() as conn:  # a published item, public in one minute
            conn.execute(
                text(
                    "UPDATE content SET status = 'published', embargo_until = :t "
                    "WHERE title = 'Item 0'"
                ),
                {"t": clock.now_ms() + 60_000},
            )
        assert total() == 8  # the write dropped the memory; the item is not public yet
        clock.advance(60_000)
        assert total() == 9  # no write: the embargo's end bounds the remembered count
        with db.write() as conn:
            conn.execute(text("UPDATE content SET status = 'draft' WHERE title = 'Item 1'"))
        assert total() == 8


def test_the_next_visibility_change_is_remembered_until_a_write_or_that_moment(
    db, clock, settings, seeded
):
    """Every anonymous read asks when the public view next changes (its copy may not outlive
    it); with the cache off that was one more transaction per request."""
    app = create_app(settings.model_copy(update={"cache_enabled": False}), db=db, clock=clock)
    url = "/api/collections/blog-posts/content?limit=2"
    with TestClient(app) as client:

        def asked(seen: list[str]) -> int:
            return len([sql for sql in seen if "min(content.embargo_until)" in sql])

        with db.write() as conn:  # public in one minute
            conn.execute(
                text(
                    "UPDATE content SET status = 'published', embargo_until = :t "
                    "WHERE title = 'Item 0'"
                ),
                {"t": clock.now_ms() + 60_000},
            )
        seen = _count_statements(db)
        assert client.get(url).status_code == 200
        assert asked(seen) == 1
        assert client.get(url).status_code == 200
        assert asked(seen) == 1  # from memory
        clock.advance(60_000)  # the moment it named has come
        assert client.get(url).json()["meta"]["pagination"]["total"] == 9
        assert asked(seen) == 2
        with db.write() as conn:
            conn.execute(text("UPDATE content SET status = 'draft' WHERE title = 'Item 1'"))
        assert client.get(url).status_code == 200
        assert asked(seen) == 3  # a write dropped it
