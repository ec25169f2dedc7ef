"""A list's statements are built once per shape (content/lists.py, ``_plan``) and run with the
moment, the collection and the page bound per request: a plan must never carry one request's
time, reader or page into another's."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import text

from sonic_cms.actors import ANONYMOUS, SYSTEM, Actor
from sonic_cms.clock import FrozenClock
from sonic_cms.content import lists
from sonic_cms.content.bulk import bulk_create_items
from sonic_cms.context import Context
from tests.conftest import START_MS
from tests.content.helpers import sync_examples
from tests.utils.auth import actor_with_role, create_random_user


def _titles(ctx: Context, actor: Actor, pairs: list[tuple[str, str]], at_ms: int) -> list[str]:
    reader = replace(ctx, clock=FrozenClock(at_ms), actor=actor)
    return [item["title"] for item in lists.list_content(reader, pairs, "blog-posts")["data"]]


def _create(ctx: Context, items: list[dict[str, Any]], author_id: str) -> None:
    items = [{**item, "data": {"content": "text"}} for item in items]
    report = bulk_create_items(
        ctx.acting_as(SYSTEM), "blog-posts", items, batch_size=100, author_id=author_id
    )
    assert report.created == len(items)


@pytest.fixture
def author(db, clock):
    """An editor to write the items as."""
    sync_examples(db, clock)
    return create_random_user(db, clock, "editor").id


def test_one_plan_serves_every_moment(db, ctx, author):
    published = [
        {"title": "Open", "status": "published"},
        {"title": "Later", "status": "published"},
    ]
    _create(ctx, published, author)
    with db.write() as conn:
        conn.execute(
            text("UPDATE content SET embargo_until = :t WHERE title = 'Later'"),
            {"t": START_MS + 60_000},
        )
    pairs = [("limit", "10"), ("sort", "title")]
    assert _titles(ctx, ANONYMOUS, pairs, START_MS) == ["Open"]
    plans = dict(lists._PLANS)
    assert _titles(ctx, ANONYMOUS, pairs, START_MS + 60_000) == ["Later", "Open"]
    assert plans == lists._PLANS  # the same statement, run at another moment


def test_authors_do_not_share_a_plan(db, clock, ctx, author):
    first, second = actor_with_role(db, clock, "author"), actor_with_role(db, clock, "author")
    _create(ctx, [{"title": "First's draft", "status": "draft"}], author_id=first.user_id)
    _create(ctx, [{"title": "Second's draft", "status": "draft"}], author_id=second.user_id)
    pairs = [("limit", "10")]
    assert _titles(ctx, first, pairs, START_MS) == ["First's draft"]
    assert _titles(ctx, second, pairs, START_MS) == ["Second's draft"]
    assert _titles(ctx, ANONYMOUS, pairs, START_MS) == []


def test_pages_and_cursors_are_bound_per_request(db, ctx, author):
    _create(ctx, [{"title": f"Item {n}", "status": "published"} for n in range(5)], author)
    by_title = [("limit", "2"), ("sort", "title")]
    assert _titles(ctx, ANONYMOUS, [*by_title, ("page", "1")], START_MS) == ["Item 0", "Item 1"]
    assert _titles(ctx, ANONYMOUS, [*by_title, ("page", "3")], START_MS) == ["Item 4"]
    reader = replace(ctx, clock=FrozenClock(START_MS), actor=ANONYMOUS)
    cursor = lists.list_content(reader, by_title, "blog-posts")["meta"]["next_cursor"]
    after = _titles(ctx, ANONYMOUS, [*by_title, ("cursor", cursor)], START_MS)
    assert after == ["Item 2", "Item 3"]


def test_plans_are_bounded(db, ctx, author, monkeypatch):
    _create(ctx, [{"title": f"Item {n}", "status": "published"} for n in range(3)], author)
    monkeypatch.setattr(lists, "_PLANS", {})
    monkeypatch.setattr(lists, "_PLANS_KEPT", 2)
    for n in range(3):  # three shapes: a filter value is part of a shape
        pairs = [("filter[title][eq]", f"Item {n}")]
        assert _titles(ctx, ANONYMOUS, pairs, START_MS) == [f"Item {n}"]
        assert len(lists._PLANS) <= 2


@pytest.mark.parametrize("search_first", [True, False])
def test_searches_and_lists_of_one_shape_do_not_share_a_plan(db, ctx, author, search_first):
    """A sorted search, a ranked one and a plain list with the same filters and sort are
    three statements: the words join (or rank) the search's rows only."""
    _create(ctx, [{"title": t, "status": "published"} for t in ("Otter", "Heron")], author)
    by_title = [("limit", "10"), ("sort", "title")]
    calls = [
        ([*by_title, ("search", "otter")], ["Otter"]),
        (by_title, ["Heron", "Otter"]),
        ([("limit", "10"), ("search", "otter")], ["Otter"]),
        ([("limit", "10")], ["Heron", "Otter"]),
    ]
    for pairs, titles in calls if search_first else calls[::-1]:
        assert sorted(_titles(ctx, ANONYMOUS, pairs, START_MS)) == titles, pairs
