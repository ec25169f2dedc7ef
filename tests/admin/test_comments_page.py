"""The moderation page /admin/comments over the app (TestClient), on both engines: tabs and
counts, bodies escaped, one and bulk actions through the service, CSRF, the permission, the
navigation entry, and no query per comment."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from sonic_cms.admin.pages.editorial.comments import queue_values
from sonic_cms.clock import FrozenClock
from sonic_cms.comments import posting
from sonic_cms.comments.counts import approved_count
from sonic_cms.db.engine import Database
from sonic_cms.workflow import edits
from tests.admin.test_item_panel import HX, Person, make_news, new_item, person, post, signed_in
from tests.utils.query_count import counting_statements

SCRIPT = '<script>alert("x")</script>'


@pytest.fixture
def editor(db: Database, clock: FrozenClock) -> Person:
    return person(db, clock, "editor")


@pytest.fixture
def item(db: Database, clock: FrozenClock, editor: Person) -> str:
    admin = person(db, clock, "admin")
    news = make_news(admin)
    item_id = new_item(admin, news, "Spring news")
    edits.update_item(admin.ctx, item_id, {"status": "published"})
    return item_id


def _pending(db: Database, clock: FrozenClock, item: str, n: int) -> list[str]:
    return [
        posting.post_comment(person(db, clock, "viewer").ctx, item, f"{SCRIPT} number {k}")["id"]
        for k in range(n)
    ]


def listed(html: str) -> list[str]:
    return re.findall(r'data-comment="([^"]+)"', html)


def test_the_page_lists_the_pending_queue_with_bodies_escaped(
    client: TestClient, db: Database, clock: FrozenClock, editor: Person, item: str
):
    ids = _pending(db, clock, item, 2)
    signed_in(client, editor)
    page = client.get("/admin/comments")
    assert page.status_code == 200, page.text
    assert listed(page.text) == ids
    assert SCRIPT not in page.text and "&lt;script&gt;alert(" in page.text
    assert "Spring news" in page.text and f"/admin/content/{item}/edit" in page.text
    assert 'data-count="pending">2<' in page.text
    assert 'href="/admin/comments"' in page.text  # the navigation entry


def test_one_and_bulk_actions_moderate_through_the_service(
    client: TestClient, db: Database, clock: FrozenClock, editor: Person, item: str
):
    first, second, third = _pending(db, clock, item, 3)
    token = signed_in(client, editor)
    one = post(client, "/admin/comments/moderate", token, single=f"approve:{first}")
    assert one.status_code == 200, one.text
    assert listed(one.text) == [second, third] and "Approved: 1 comment(s)" in one.text
    answer = client.post(
        "/admin/comments/moderate",
        data={"csrf_token": token, "status": "pending", "action": "spam", "ids": [second, third]},
        headers=HX,
    )
    assert answer.status_code == 200 and listed(answer.text) == []
    with db.read() as conn:
        assert approved_count(conn, item) == 1
    spam = client.get("/admin/comments?status=spam")
    assert listed(spam.text) == [second, third]


def test_posts_need_the_csrf_token_and_the_permission(
    client: TestClient, db: Database, clock: FrozenClock, item: str
):
    (pending,) = _pending(db, clock, item, 1)
    author = person(db, clock, "author")
    token = signed_in(client, author)
    assert client.get("/admin/comments").status_code == 403
    assert 'href="/admin/comments"' not in client.get("/admin").text
    refused = post(client, "/admin/comments/moderate", token, single=f"approve:{pending}")
    assert refused.status_code == 403
    editor = person(db, clock, "editor")
    signed_in(client, editor)
    forged = post(client, "/admin/comments/moderate", None, single=f"approve:{pending}")
    assert forged.status_code == 403
    with db.read() as conn:
        assert approved_count(conn, item) == 0


def test_the_page_runs_no_query_per_comment(
    db: Database, clock: FrozenClock, editor: Person, item: str
):
    def statements() -> tuple[int, int]:
        with counting_statements(db.engine) as seen:
            values = queue_values(editor.ctx, "pending", 1)
        return seen.count, len(values["comments"])

    _pending(db, clock, item, 2)
    few, shown = statements()
    _pending(db, clock, item, 8)
    many, shown_many = statements()
    assert (shown, shown_many) == (2, 10)
    assert many == few


def test_the_editor_panel_shows_the_items_approved_count(
    client: TestClient, db: Database, clock: FrozenClock, editor: Person, item: str
):
    posting.post_comment(editor.ctx, item, "Approved at once")
    posting.post_comment(person(db, clock, "editor").ctx, item, "And another")
    _pending(db, clock, item, 1)
    signed_in(client, editor)
    html = client.get(f"/admin/content/{item}/edit").text
    assert 'data-comment-count="2"' in html and "2 approved comments" in html
