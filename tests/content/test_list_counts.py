"""List totals: capped at SONIC_CONTENT_COUNT_LIMIT, exact below it; search counts visible rows."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sonic_cms.actors import ANONYMOUS, SYSTEM
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
    capped = _pagination(ctx, editor, [("search", "walrus")], limit=5)
    assert (capped["total"], capped["totalCapped"]) == (5, True)
