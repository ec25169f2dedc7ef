"""Relevance-ranked search on both engines: order, paging across the ranking window, totals,
visibility and hostile input at the window's edge.

A search without ``sort`` ranks the ``SONIC_SEARCH_RANK_WINDOW`` newest visible matches (best
first, ties newest first) and lists older matches after them, newest first (content/search.py).
Every item here matches ``otter``; item 9 also has it in its title and item 1 three times in its
body, so those two are the better matches. Items 3, 7 and 11 are drafts.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import event

from sonic_cms.actors import ANONYMOUS, SYSTEM, Actor
from sonic_cms.clock import FrozenClock
from sonic_cms.content.bulk import bulk_create_items
from sonic_cms.content.lists import list_content
from sonic_cms.context import Context
from sonic_cms.errors import BadRequest
from tests.content.helpers import context_on, sync_examples
from tests.content.test_search_engines import HOSTILE
from tests.utils.auth import actor_with_role, create_random_user

ITEMS = 12
DRAFTS = {3, 7, 11}
TITLE_MATCH, REPEATED = 9, 1
#: every visible item, by relevance when all are ranked
RANKED = [9, 1, 10, 8, 6, 5, 4, 2, 0]
#: a window of the three newest visible matches (10, 9, 8) ranked, then the rest newest first
WINDOW_OF_3 = [9, 10, 8, 6, 5, 4, 2, 1, 0]
#: a window of one ranks nothing: newest first
NEWEST_FIRST = [10, 9, 8, 6, 5, 4, 2, 1, 0]


def _item(n: int) -> dict[str, Any]:
    """Items of equal length, so only the title and the repeats change their rank."""
    words = ["otter", "otter", "otter"] if n == REPEATED else ["otter", "heron", "heron"]
    return {
        "title": f"Otter {n}" if n == TITLE_MATCH else f"Item {n}",
        "status": "draft" if n in DRAFTS else "published",
        "data": {"content": " ".join(words)},
    }


@pytest.fixture
def numbered(db, clock, ctx) -> dict[str, int]:
    """Item id -> n; items created a second apart, oldest first."""
    sync_examples(db, clock)
    author = create_random_user(db, clock, "editor").id
    for n in range(ITEMS):
        clock.advance(1000)
        report = bulk_create_items(
            ctx.acting_as(SYSTEM), "blog-posts", [_item(n)], batch_size=10, author_id=author
        )
        assert report.created == 1
    listed = list_content(ctx.acting_as(SYSTEM), [("limit", "100")], "blog-posts")["data"]
    return {item["id"]: int(item["title"].split()[-1]) for item in listed}


def _reader(ctx: Context, actor: Actor, window: int, cap: int) -> Context:
    update = {"search_rank_window": window, "content_count_limit": cap}
    settings = ctx.settings.model_copy(update=update)
    return replace(ctx, settings=settings, clock=FrozenClock(ctx.clock.now_ms()), actor=actor)


def _page(reader: Context, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    return list_content(reader, [("search", "otter"), *pairs], "blog-posts")


def _walk(reader: Context, numbered: dict[str, int], limit: int) -> list[int]:
    """Every page of the search to the end, as item numbers in order."""
    seen: list[int] = []
    for page in range(1, ITEMS + 2):
        body = _page(reader, [("limit", str(limit)), ("page", str(page))])
        seen += [numbered[item["id"]] for item in body["data"]]
        if not body["meta"]["pagination"]["hasNext"]:
            return seen
    raise AssertionError(f"paging did not end: {seen}")


def test_better_matches_come_first(ctx, numbered):
    body = _page(_reader(ctx, ANONYMOUS, 1000, 1000), [("limit", "3")])
    assert [numbered[item["id"]] for item in body["data"]] == RANKED[:3]


@pytest.mark.parametrize(
    ("window", "limit", "expected"),
    [(1000, 2, RANKED), (3, 2, WINDOW_OF_3), (3, 4, WINDOW_OF_3), (1, 3, NEWEST_FIRST)],
)
def test_pages_cover_every_visible_match_once(ctx, numbered, window, limit, expected):
    walked = _walk(_reader(ctx, ANONYMOUS, window, 1000), numbered, limit)
    assert walked == expected
    assert sorted(walked) == sorted(set(range(ITEMS)) - DRAFTS)


@pytest.mark.parametrize("window", [1, 3, 1000])
def test_drafts_appear_only_for_those_who_may_read_them(db, clock, ctx, numbered, window):
    anonymous = _walk(_reader(ctx, ANONYMOUS, window, 1000), numbered, 2)
    assert not DRAFTS & set(anonymous)
    editor = actor_with_role(db, clock, "editor")
    every = _walk(_reader(ctx, editor, window, 1000), numbered, 2)
    assert sorted(every) == list(range(ITEMS))


@pytest.mark.parametrize(("window", "cap"), [(1000, 1000), (3, 1000), (3, 2), (20, 5), (1, 1)])
def test_totals_are_those_of_an_unranked_list(ctx, numbered, window, cap):
    """Whether the window tells the total or a count query does, each page's pagination is the
    one the same search sorted by date (the plain list's count) gets."""
    reader = _reader(ctx, ANONYMOUS, window, cap)
    for page in ("1", "2", "4", "5", "9"):
        pairs = [("limit", "2"), ("page", page)]
        ranked = _page(reader, pairs)["meta"]["pagination"]
        by_date = _page(reader, [*pairs, ("sort", "-created_at")])["meta"]["pagination"]
        assert ranked == by_date, (page, ranked, by_date)


def test_totals_are_exact_below_the_cap(db, clock, ctx, numbered):
    for window in (3, 1000):
        reader = _reader(ctx, ANONYMOUS, window, 1000)
        assert _page(reader, [])["meta"]["pagination"]["total"] == ITEMS - len(DRAFTS)
        editor = _reader(ctx, actor_with_role(db, clock, "editor"), window, 1000)
        assert _page(editor, [])["meta"]["pagination"]["total"] == ITEMS


@pytest.mark.parametrize("search", HOSTILE)
def test_hostile_text_past_the_window_is_words_or_400(ctx, numbered, search):
    reader = _reader(ctx, ANONYMOUS, 1, 1000)
    try:
        body = list_content(
            reader, [("search", search), ("limit", "1"), ("page", "2")], "blog-posts"
        )
    except BadRequest as error:
        assert error.code == "invalid_search"
    else:  # none of these words is in the items
        assert (body["data"], body["meta"]["pagination"]["total"]) == ([], 0)


def test_sqlite_reads_the_index_in_order_and_fetches_the_page_by_key(sqlite_db, clock):
    """Without ANALYZE statistics SQLite prefers the collection's status index to a list of ids;
    the window must start from FTS5 and the page's rows come by primary key, inside the window
    and past it (the plans, not a time: reading the whole collection would still give the right
    answer, 100x slower)."""
    ctx = context_on(sqlite_db, clock)
    sync_examples(sqlite_db, clock)
    author = create_random_user(sqlite_db, clock, "editor").id
    items = [_item(n) for n in range(ITEMS)]
    bulk_create_items(ctx, "blog-posts", items, batch_size=100, author_id=author)
    statements: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        statements.append((statement, params))

    event.listen(sqlite_db.engine, "before_cursor_execute", capture)
    try:
        list_content(_reader(ctx, ANONYMOUS, 3, 1000), [("search", "otter")], "blog-posts")
    finally:
        event.remove(sqlite_db.engine, "before_cursor_execute", capture)
    searched = [s for s in statements if "content_fts" in s[0]]
    with sqlite_db.read() as conn:
        plans = [
            [row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)]
            for sql, params in searched
        ]
    by_key = "SEARCH content USING INDEX sqlite_autoindex_content_1 (id=?)"
    for plan in plans:  # every statement starts from the index and reads no table whole
        assert next(step for step in plan if "content" in step).startswith(
            ("SCAN content_fts VIRTUAL TABLE", "CO-ROUTINE")
        ), plan
        assert [step for step in plan if step.startswith("SCAN content_fts")], plan
        assert not [s for s in plan if s == "SCAN content" or s.startswith("SCAN content ")], plan
    ranked = plans[0]  # the page of the window: its ids first, then their rows by primary key
    assert ranked[ranked.index("SCAN top") + 1] == by_key, ranked
