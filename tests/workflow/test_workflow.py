"""Review workflow over HTTP: transitions, approvals, history, queue, and bad requests."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from sonic_cms.auth.authentication import actor_for_user
from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Content, SystemLog, Workflow, WorkflowHistory
from sonic_cms.workflow import transitions as workflow
from tests.utils.auth import create_random_user, headers_for
from tests.utils.content_rows import make_collection, make_content


class People:
    """Users of each role with their Authorization headers."""

    def __init__(self, db: Database, settings: Settings, clock: FrozenClock) -> None:
        self.ids: dict[str, str] = {}
        self.headers: dict[str, dict[str, str]] = {}
        for name, role in [
            ("author", "author"),
            ("author2", "author"),
            ("editor", "editor"),
            ("editor2", "editor"),
            ("viewer", "viewer"),
            ("admin", "admin"),
        ]:
            user = create_random_user(db, clock, role)
            self.ids[name] = user.id
            self.headers[name] = headers_for(db, settings, clock, user)


@pytest.fixture
def people(db: Database, settings: Settings, clock: FrozenClock) -> People:
    return People(db, settings, clock)


@pytest.fixture
def collection_id(db: Database, clock: FrozenClock) -> str:
    return make_collection(db, clock)


@pytest.fixture
def item(db: Database, clock: FrozenClock, people: People, collection_id: str) -> str:
    return make_content(db, clock, collection_id, people.ids["author"])


def move(client: TestClient, people: People, who: str, item: str, to: str, comment=None):
    body = {"to_state": to} if comment is None else {"to_state": to, "comment": comment}
    return client.post(f"/api/content/{item}/transitions", json=body, headers=people.headers[who])


def history_count(db: Database, item: str) -> int:
    with db.read() as conn:
        query = select(func.count()).select_from(WorkflowHistory)
        return int(conn.execute(query.where(WorkflowHistory.content_id == item)).scalar_one())


def set_workflow(db: Database, **values) -> None:
    with db.write() as conn:
        conn.execute(update(Workflow).where(Workflow.id == "default").values(**values))


def test_submit_approve_publish_with_history(client, db, people, item, clock):
    assert move(client, people, "author", item, "pending-review", "ready").status_code == 200
    clock.advance(60_000)
    approved = move(client, people, "editor", item, "approved", "looks good")
    assert approved.status_code == 200, approved.text
    assert approved.json()["data"]["review_status"] == "approved"
    assert approved.json()["data"]["reviewer_id"] == people.ids["editor"]
    published = move(client, people, "editor", item, "published")
    assert published.json()["data"]["status"] == "published"
    assert published.json()["data"]["published_at"] == clock.now_ms()
    history = client.get(f"/api/content/{item}/history", headers=people.headers["editor"]).json()
    steps = [(h["from_state"], h["to_state"], h["user_id"]) for h in history["data"]]
    assert steps == [
        ("draft", "pending-review", people.ids["author"]),
        ("pending-review", "approved", people.ids["editor"]),
        ("approved", "published", people.ids["editor"]),
    ]
    assert history["data"][1]["comment"] == "looks good"
    assert history["data"][1]["created_at"] == history["data"][0]["created_at"] + 60_000


def test_each_transition_writes_a_log_entry_in_the_same_transaction(client, db, people, item):
    move(client, people, "author", item, "pending-review")
    with db.read() as conn:
        logs = conn.execute(select(SystemLog.message, SystemLog.category)).all()
    assert ("Content moved from draft to pending-review", "workflow") in logs


def test_a_failing_log_write_rolls_back_the_transition(db, people, item, ctx, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("log store down")

    monkeypatch.setattr(workflow, "log_in_transaction", broken)

    author = actor_for_user(ctx, people.ids["author"])
    with pytest.raises(RuntimeError):
        workflow.transition(ctx.acting_as(author), item, "pending-review")
    with db.read() as conn:
        state = conn.execute(select(Content.workflow_state_id).where(Content.id == item)).scalar()
    assert state == "draft"
    assert history_count(db, item) == 0


def test_disallowed_transition_is_409_listing_allowed_moves(client, people, item, db):
    response = move(client, people, "author", item, "approved")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "transition_not_allowed"
    assert body["details"] == [{"allowed": ["pending-review"]}]
    assert history_count(db, item) == 0


@pytest.mark.parametrize(
    ("who", "to", "status", "code"),
    [
        ("viewer", "pending-review", 404, "content_not_found"),
        ("author2", "pending-review", 404, "content_not_found"),
        ("editor", "pending-review", 200, None),
    ],
)
def test_who_may_submit(client, people, item, who, to, status, code):
    response = move(client, people, who, item, to)
    assert response.status_code == status
    if code:
        assert response.json()["code"] == code


def test_author_cannot_review_and_editor_cannot_review_own(
    client, people, db, clock, collection_id
):
    item = make_content(db, clock, collection_id, people.ids["editor"])
    assert move(client, people, "editor", item, "pending-review").status_code == 200
    own = move(client, people, "editor", item, "approved")
    assert own.status_code == 403 and own.json()["code"] == "own_content_review"
    other = make_content(db, clock, collection_id, people.ids["author2"])
    move(client, people, "author2", other, "pending-review")
    by_author = move(client, people, "author", other, "approved")
    assert by_author.status_code in (403, 404)
    assert history_count(db, other) == 1


def test_publishing_needs_approval_when_the_workflow_says_so(client, people, item, db):
    assert move(client, people, "editor", item, "published").status_code == 200
    move(client, people, "editor", item, "draft")
    set_workflow(db, require_approval=1)
    refused = move(client, people, "editor", item, "published")
    assert refused.status_code == 409 and refused.json()["code"] == "approval_required"
    publish_route = client.post(f"/api/content/{item}/publish", headers=people.headers["editor"])
    assert publish_route.status_code == 409
    assert publish_route.json()["code"] == "approval_required"


def test_two_approval_levels_need_two_distinct_editors(client, people, item, db):
    set_workflow(db, approval_levels=2)
    move(client, people, "author", item, "pending-review")
    first = move(client, people, "editor", item, "approved")
    assert first.status_code == 200
    assert first.json()["data"]["workflow_state_id"] == "pending-review"
    assert first.json()["data"]["approvals"] == {"count": 1, "required": 2}
    again = move(client, people, "editor", item, "approved")
    assert again.status_code == 409 and again.json()["code"] == "already_approved"
    second = move(client, people, "editor2", item, "approved")
    assert second.json()["data"]["workflow_state_id"] == "approved"


def test_a_new_submission_starts_a_new_approval_round(client, people, item, db):
    set_workflow(db, approval_levels=2)
    move(client, people, "author", item, "pending-review")
    move(client, people, "editor", item, "approved")
    move(client, people, "editor2", item, "rejected", "needs work")
    move(client, people, "author", item, "draft")
    move(client, people, "author", item, "pending-review")
    fresh = move(client, people, "editor", item, "approved")
    assert fresh.json()["data"]["approvals"] == {"count": 1, "required": 2}


def test_auto_publish_publishes_on_approval(client, people, item, db):
    set_workflow(db, auto_publish=1)
    move(client, people, "author", item, "pending-review")
    approved = move(client, people, "editor", item, "approved")
    assert approved.json()["data"]["status"] == "published"
    history = client.get(f"/api/content/{item}/history", headers=people.headers["admin"]).json()
    assert [h["to_state"] for h in history["data"]][-2:] == ["approved", "published"]
    assert history["data"][-1]["metadata"]["automatic"] is True


def test_rejected_content_goes_back_to_draft_and_archived_is_not_public(client, people, item):
    move(client, people, "author", item, "pending-review")
    rejected = move(client, people, "editor", item, "rejected", "too short")
    assert rejected.json()["data"]["review_status"] == "rejected"
    assert (
        move(client, people, "author", item, "draft").json()["data"]["workflow_state_id"] == "draft"
    )
    archived = move(client, people, "editor", item, "archived")
    assert archived.json()["data"]["status"] == "archived"


def test_review_queue_shows_what_the_caller_may_act_on(client, people, db, clock, collection_id):
    set_workflow(db, approval_levels=2)
    mine = make_content(db, clock, collection_id, people.ids["editor"])
    theirs = make_content(db, clock, collection_id, people.ids["author"])
    move(client, people, "editor", mine, "pending-review")
    move(client, people, "author", theirs, "pending-review")
    queue = client.get("/api/workflow/queue", headers=people.headers["editor"]).json()
    assert [row["id"] for row in queue["data"]] == [theirs]
    move(client, people, "editor", theirs, "approved")
    after = client.get("/api/workflow/queue", headers=people.headers["editor"]).json()
    assert after["data"] == []
    other = client.get("/api/workflow/queue", headers=people.headers["editor2"]).json()
    assert {row["id"] for row in other["data"]} == {mine, theirs}
    assert client.get("/api/workflow/queue", headers=people.headers["author"]).status_code == 403


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 422, "validation_failed"),
        ({"to_state": 7}, 422, "validation_failed"),
        ({"to_state": "x" * 65}, 422, "validation_failed"),
        ({"to_state": "pending-review", "comment": {"a": 1}}, 422, "validation_failed"),
        ({"to_state": "no-such-state"}, 409, "transition_not_allowed"),
        ({"to_state": "'; DROP TABLE content; --"}, 409, "transition_not_allowed"),
    ],
)
def test_bad_transition_requests_write_nothing(client, people, item, db, body, status, code):
    response = client.post(
        f"/api/content/{item}/transitions", json=body, headers=people.headers["author"]
    )
    assert response.status_code == status
    assert response.json()["code"] == code
    assert history_count(db, item) == 0


def test_malformed_and_non_json_bodies(client, people, item, db):
    headers = {**people.headers["author"], "content-type": "application/json"}
    broken = client.post(f"/api/content/{item}/transitions", content=b"{", headers=headers)
    assert broken.status_code == 400 and broken.json()["code"] == "invalid_json"
    form = client.post(
        f"/api/content/{item}/transitions", data={"to_state": "x"}, headers=people.headers["author"]
    )
    assert form.status_code == 415
    assert history_count(db, item) == 0


def test_anonymous_and_unknown_content(client, people, item):
    anonymous = client.post(f"/api/content/{item}/transitions", json={"to_state": "pending-review"})
    assert anonymous.status_code == 404  # drafts are invisible to anonymous callers
    missing = move(client, people, "editor", "no-such-id", "pending-review")
    assert missing.status_code == 404


def test_allowed_transitions_depend_on_permissions(client, people, item):
    author = client.get(f"/api/content/{item}/transitions", headers=people.headers["author"])
    editor = client.get(f"/api/content/{item}/transitions", headers=people.headers["editor"])
    assert [t["to"] for t in author.json()["data"]] == ["pending-review"]
    assert {t["to"] for t in editor.json()["data"]} == {"pending-review", "published", "archived"}


def test_publish_route_and_status_edits_are_recorded_moves(
    client, people, db, clock, collection_id
):
    created = client.post(
        "/api/content",
        json={"collectionId": collection_id, "title": "Moves", "data": {}},
        headers=people.headers["editor"],
    )
    assert created.status_code == 201, created.text
    item = created.json()["data"]["id"]
    assert (
        client.post(f"/api/content/{item}/publish", headers=people.headers["editor"]).status_code
        == 200
    )
    edited = client.put(
        f"/api/content/{item}", json={"status": "archived"}, headers=people.headers["editor"]
    )
    assert edited.status_code == 200, edited.text
    history = client.get(f"/api/content/{item}/history", headers=people.headers["editor"]).json()
    assert [(h["from_state"], h["to_state"]) for h in history["data"]] == [
        ("draft", "published"),
        ("published", "archived"),
    ]


def test_editing_rejected_content_reopens_it_as_a_draft(client, people, item, db):
    move(client, people, "author", item, "pending-review")
    move(client, people, "editor", item, "rejected", "needs a better title")
    edited = client.put(
        f"/api/content/{item}", json={"title": "A better title"}, headers=people.headers["author"]
    )
    assert edited.status_code == 200, edited.text
    with db.read() as conn:
        state = conn.execute(select(Content.workflow_state_id).where(Content.id == item)).scalar()
    assert state == "draft"
    history = client.get(f"/api/content/{item}/history", headers=people.headers["author"]).json()
    assert history["data"][-1]["from_state"] == "rejected"
    assert history["data"][-1]["to_state"] == "draft"
