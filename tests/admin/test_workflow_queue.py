"""The review queue at /admin/workflow over the app (TestClient), on both engines: what each
reviewer sees, approving and rejecting with a comment through the workflow service, CSRF, the
service's 403 for crafted requests, and no query per item."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from sonic_cms.admin.pages.editorial.workflow_queue import queue_values
from sonic_cms.clock import FrozenClock
from sonic_cms.content import history
from sonic_cms.db.engine import Database
from sonic_cms.workflow import transitions
from tests.admin.test_item_panel import (
    HX,
    Person,
    make_news,
    new_item,
    person,
    post,
    signed_in,
)
from tests.utils.query_count import counting_statements


@pytest.fixture
def admin(db: Database, clock: FrozenClock) -> Person:
    return person(db, clock, "admin")


@pytest.fixture
def news(admin: Person) -> str:
    return make_news(admin)


def queued_ids(html: str) -> list[str]:
    return re.findall(r'data-queue-item="([^"]+)"', html)


def submitted(owner: Person, collection_id: str, title: str) -> str:
    item_id = new_item(owner, collection_id, title)
    transitions.transition(owner.ctx, item_id, "pending-review")
    return item_id


def test_the_queue_lists_only_the_items_the_reviewer_may_act_on(
    client: TestClient, db: Database, clock: FrozenClock, admin: Person, news: str
):
    author, editor = person(db, clock, "author"), person(db, clock, "editor")
    theirs = submitted(author, news, "Author's piece")
    clock.advance(60_000)
    own = submitted(editor, news, "Editor's own piece")
    new_item(author, news, "Still a draft")
    signed_in(client, editor)
    page = client.get("/admin/workflow")
    assert page.status_code == 200
    html = page.text
    assert queued_ids(html) == [theirs]  # not their own, not drafts
    assert "Author&#39;s piece" in html and "News" in html
    assert f'href="/admin/content/{theirs}/edit"' in html
    assert "2026-01-01 00:00 UTC" in html  # when it was submitted
    assert 'aria-current="page"' in html and "Review queue" in html
    api = client.get("/api/workflow/queue").json()["data"]  # the same service, same answer
    assert [(d["id"], d["submitted_at"]) for d in api] == [(theirs, 1_767_225_600_000)]
    signed_in(client, admin)
    assert queued_ids(client.get("/admin/workflow").text) == [theirs, own]


def test_an_author_gets_the_services_403(
    client: TestClient, db: Database, clock: FrozenClock, news: str
):
    author = person(db, clock, "author")
    other = person(db, clock, "author")
    item_id = submitted(other, news, "Someone else's")
    token = signed_in(client, author)
    assert client.get("/admin/workflow").status_code == 403
    crafted = post(client, f"/admin/workflow/{item_id}/review", token, decision="approve")
    assert crafted.status_code == 404  # another author's draft is not disclosed to them
    own = submitted(author, news, "My own")
    mine = post(client, f"/admin/workflow/{own}/review", token, decision="approve")
    assert mine.status_code == 403 and mine.json()["code"] == "missing_permission"
    assert [e["to_state"] for e in transitions.content_history(author.ctx, own)] == [
        "pending-review"
    ]
    assert history.get_item(other.ctx, item_id)["status"] == "draft"
    entries = transitions.content_history(other.ctx, item_id)
    assert [e["to_state"] for e in entries] == ["pending-review"]


def test_approve_and_reject_with_a_comment_from_the_queue(
    client: TestClient, db: Database, clock: FrozenClock, news: str
):
    author, editor = person(db, clock, "author"), person(db, clock, "editor")
    first = submitted(author, news, "First")
    second = submitted(author, news, "Second")
    token = signed_in(client, editor)
    answer = post(
        client,
        f"/admin/workflow/{first}/review",
        token,
        decision="approve",
        comment="Lovely",
        title="First",
    )
    assert answer.status_code == 200
    assert 'id="review-queue"' in answer.text and "Approved: First" in answer.text
    assert queued_ids(answer.text) == [second]
    last = transitions.content_history(author.ctx, first)[-1]
    assert (last["to_state"], last["comment"], last["user_id"]) == ("approved", "Lovely", editor.id)
    plain = client.post(
        f"/admin/workflow/{second}/review",
        data={"csrf_token": token, "decision": "reject", "comment": "Needs sources"},
        follow_redirects=False,
    )
    assert plain.status_code == 303 and plain.headers["location"] == "/admin/workflow"
    last = transitions.content_history(author.ctx, second)[-1]
    assert (last["to_state"], last["comment"]) == ("rejected", "Needs sources")
    assert queued_ids(client.get("/admin/workflow").text) == []
    again = post(client, f"/admin/workflow/{second}/review", token, decision="approve")
    assert again.status_code == 200 and "toast--error" in again.text


def test_a_decision_without_the_csrf_token_is_refused(
    client: TestClient, db: Database, clock: FrozenClock, news: str
):
    author, editor = person(db, clock, "author"), person(db, clock, "editor")
    item_id = submitted(author, news, "Waiting")
    signed_in(client, editor)
    answer = client.post(
        f"/admin/workflow/{item_id}/review", data={"decision": "approve"}, headers=HX
    )
    assert answer.status_code == 403 and answer.json()["code"] == "csrf_failed"
    assert [e["to_state"] for e in transitions.content_history(author.ctx, item_id)] == [
        "pending-review"
    ]


def test_the_queue_costs_the_same_queries_for_2_or_20_items(
    db: Database, clock: FrozenClock, news: str
):
    editor = person(db, clock, "editor")
    authors = [person(db, clock, "author") for _ in range(3)]

    def statements() -> tuple[int, int]:
        with counting_statements(db.engine) as seen:
            values = queue_values(editor.ctx)
        return seen.count, len(values["queue"])

    for n in range(2):
        submitted(authors[n % 3], news, f"Item {n}")
    few, shown = statements()
    assert shown == 2
    for n in range(2, 20):
        submitted(authors[n % 3], news, f"Item {n}")
    many, shown = statements()
    assert shown == 20
    assert few == many
