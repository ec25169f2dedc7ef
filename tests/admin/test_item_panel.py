"""The item panel (status, workflow, schedules, versions) and the versions page, over the app
(TestClient) on both engines: what each role is offered, that every action goes through the
API's services (history, schedules, rollback), CSRF, and no query per version."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from sonic_cms.admin.pages.editorial.item_panel import item_panel_values
from sonic_cms.auth.authentication import actor_for_user
from sonic_cms.clock import FrozenClock
from sonic_cms.content import collections, history, items, versions
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Workflow
from sonic_cms.workflow import edits, scheduling, transitions
from tests.admin.test_pages import csrf_of, sign_in
from tests.utils.auth import create_random_user, system_context
from tests.utils.query_count import counting_statements

HX = {"HX-Request": "true"}


@dataclass
class Person:
    """A user of one role, with the service context acting for them."""

    id: str
    email: str
    ctx: Context


def person(db: Database, clock: FrozenClock, role: str) -> Person:
    user = create_random_user(db, clock, role)
    system = system_context(db, clock)
    return Person(user.id, user.email, system.acting_as(actor_for_user(system, user.id)))


@pytest.fixture
def admin(db: Database, clock: FrozenClock) -> Person:
    return person(db, clock, "admin")


@pytest.fixture
def news(admin: Person) -> str:
    return make_news(admin)


def make_news(admin: Person) -> str:
    """A collection "news" with a text field and an object field, as ``admin`` makes it."""
    schema = {
        "type": "object",
        "properties": {"body": {"type": "string"}, "meta": {"type": "object"}},
    }
    found = collections.create_collection(
        admin.ctx, {"name": "news", "display_name": "News", "schema": schema}
    )
    return str(found["id"])


def new_item(owner: Person, collection_id: str, title: str = "Spring", **data: Any) -> str:
    body = {"collectionId": collection_id, "title": title, "data": data}
    return str(items.create_item(owner.ctx, body)["id"])


def signed_in(client: TestClient, who: Person) -> str:
    """Sign ``who`` in (whoever was signed in before); the CSRF token of their session."""
    client.cookies.clear()
    assert sign_in(client, who.email).status_code == 303
    return csrf_of(client.get("/admin").text)


def post(client: TestClient, path: str, token: str | None, **form: str):
    data = form if token is None else {"csrf_token": token, **form}
    return client.post(path, data=data, headers=HX, follow_redirects=False)


def test_each_role_is_offered_the_moves_the_service_accepts(
    db: Database, clock: FrozenClock, admin: Person, news: str
):
    author, editor = person(db, clock, "author"), person(db, clock, "editor")
    item_id = new_item(author, news)

    def moves(who: Person) -> dict[str, Any]:
        item = history.get_item(who.ctx, item_id)
        return item_panel_values(who.ctx, item)

    mine = moves(author)
    assert [m["to"] for m in mine["moves"]] == ["pending-review"]
    assert mine["moves"][0]["label"] == "Submit for review"
    assert mine["can_schedule"] is False and mine["state"] == "draft"
    assert mine["schedules"] == [] and mine["version_count"] == 1
    offered = [m["to"] for m in moves(editor)["moves"]]
    assert offered == ["pending-review", "published", "archived"]
    assert moves(editor)["can_schedule"] is True
    assert [m["to"] for m in moves(admin)["moves"]] == offered
    transitions.transition(author.ctx, item_id, "pending-review")
    reviewing = moves(editor)
    assert reviewing["state"] == "pending-review" and reviewing["state_name"] == "Pending Review"
    assert {m["label"] for m in reviewing["moves"]} == {"Approve", "Reject", "Withdraw from review"}
    # an editor never reviews their own content: not offered, though the permission is held
    own = new_item(editor, news, "Editor's own")
    transitions.transition(editor.ctx, own, "pending-review")
    own_moves = item_panel_values(editor.ctx, history.get_item(editor.ctx, own))["moves"]
    assert [m["to"] for m in own_moves] == ["draft"]


def test_publish_is_not_offered_where_the_workflow_requires_approval(
    db: Database, clock: FrozenClock, news: str
):
    editor = person(db, clock, "editor")
    item_id = new_item(editor, news)
    with db.write() as conn:
        conn.execute(update(Workflow).where(Workflow.id == "default").values(require_approval=1))
    values = item_panel_values(editor.ctx, history.get_item(editor.ctx, item_id))
    assert [m["to"] for m in values["moves"]] == ["pending-review", "archived"]
    # the API's list of edges by permission is unchanged
    assert {m["to"] for m in transitions.allowed_transitions(editor.ctx, item_id)} == {
        "archived",
        "pending-review",
        "published",
    }


def test_the_panel_shows_the_author_submit_but_not_publish(
    client: TestClient, db: Database, clock: FrozenClock, news: str
):
    author = person(db, clock, "author")
    item_id = new_item(author, news)
    signed_in(client, author)
    html = client.get(f"/admin/content/{item_id}/versions").text
    assert 'value="pending-review"' in html and "Submit for review" in html
    assert 'value="published"' not in html and ">Publish<" not in html
    assert 'name="timezone"' not in html  # no schedule form without the permission
    assert 'class="badge badge--draft"' in html


def test_a_transition_with_a_comment_is_recorded_in_history(
    client: TestClient, db: Database, clock: FrozenClock, news: str
):
    author = person(db, clock, "author")
    item_id = new_item(author, news)
    token = signed_in(client, author)
    answer = post(
        client,
        f"/admin/content/{item_id}/transition",
        token,
        to_state="pending-review",
        comment="Ready for a look",
    )
    assert answer.status_code == 200
    assert 'id="item-panel"' in answer.text and 'hx-swap-oob="beforeend"' in answer.text
    assert "Moved to Pending review" in answer.text and "toast--info" in answer.text
    assert 'data-state="pending-review"' in answer.text
    assert "Ready for a look" in answer.text  # the timeline shows the comment
    entries = transitions.content_history(author.ctx, item_id)
    assert [(e["to_state"], e["comment"]) for e in entries] == [
        ("pending-review", "Ready for a look")
    ]
    plain = client.post(
        f"/admin/content/{item_id}/transition",
        data={"csrf_token": token, "to_state": "draft"},
        follow_redirects=False,
    )
    assert plain.status_code == 303
    assert plain.headers["location"] == f"/admin/content/{item_id}/edit"


def test_a_transition_the_user_may_not_make_is_refused_by_the_service(
    client: TestClient, db: Database, clock: FrozenClock, news: str
):
    author = person(db, clock, "author")
    item_id = new_item(author, news)
    token = signed_in(client, author)
    answer = post(client, f"/admin/content/{item_id}/transition", token, to_state="published")
    assert answer.status_code == 403
    assert answer.json()["code"] == "missing_permission"
    assert history.get_item(author.ctx, item_id)["status"] == "draft"
    # a move the workflow has no edge for is not a 403 but a toast naming the refusal
    wrong = post(client, f"/admin/content/{item_id}/transition", token, to_state="approved")
    assert wrong.status_code == 200 and "toast--error" in wrong.text
    assert "is not allowed" in wrong.text


def test_a_schedule_in_another_zone_is_stored_as_the_right_moment_and_can_be_cancelled(
    client: TestClient, db: Database, clock: FrozenClock, news: str
):
    editor = person(db, clock, "editor")
    item_id = new_item(editor, news)
    token = signed_in(client, editor)
    answer = post(
        client,
        f"/admin/content/{item_id}/schedule",
        token,
        action="publish",
        date="2026-07-02",
        time="09:30",
        timezone="Europe/Paris",
    )
    assert answer.status_code == 200 and "toast--info" in answer.text, answer.text
    (stored,) = scheduling.list_schedules(editor.ctx, content_id=item_id)
    paris_summer = datetime(2026, 7, 2, 7, 30, tzinfo=UTC)  # UTC+2 in July
    assert stored["scheduled_at"] == int(paris_summer.timestamp() * 1000)
    assert stored["timezone"] == "Europe/Paris" and stored["action"] == "publish"
    assert "2026-07-02 07:30 UTC" in answer.text and "badge--scheduled" in answer.text
    past = post(
        client,
        f"/admin/content/{item_id}/schedule",
        token,
        action="publish",
        date="2020-01-01",
        time="10:00",
        timezone="UTC",
    )
    assert "toast--error" in past.text and "must be in the future" in past.text
    cancel = post(client, f"/admin/content/{item_id}/schedules/{stored['id']}/cancel", token)
    assert cancel.status_code == 200 and "Cancelled the scheduled action" in cancel.text
    (after,) = scheduling.list_schedules(editor.ctx, content_id=item_id)
    assert after["status"] == "cancelled"
    again = post(client, f"/admin/content/{item_id}/schedules/{stored['id']}/cancel", token)
    assert "toast--error" in again.text and "not pending" in again.text


def test_an_author_may_not_schedule_even_by_a_crafted_post(
    client: TestClient, db: Database, clock: FrozenClock, news: str
):
    author = person(db, clock, "author")
    item_id = new_item(author, news)
    token = signed_in(client, author)
    form = {"action": "publish", "date": "2026-07-02", "time": "09:30", "timezone": "UTC"}
    answer = post(client, f"/admin/content/{item_id}/schedule", token, **form)
    assert answer.status_code == 403
    assert scheduling.list_schedules(author.ctx, content_id=item_id) == []


def edited_three_times(editor: Person, news: str) -> str:
    item_id = new_item(editor, news, body="<p>First</p>", meta={"tags": ["a"], "seo": {"x": 1}})
    edits.update_item(editor.ctx, item_id, {"data": {"body": "<p>Second</p>", "meta": {}}})
    third = {"body": "<p>Second</p>", "meta": {"tags": ["a", "b"], "seo": {"x": 2}}}
    edits.update_item(editor.ctx, item_id, {"title": "Spring, again", "data": third})
    return item_id


def test_the_diff_of_two_versions_shows_changed_nested_fields_as_escaped_text(
    client: TestClient, db: Database, clock: FrozenClock, news: str
):
    editor = person(db, clock, "editor")
    item_id = edited_three_times(editor, news)
    signed_in(client, editor)
    html = client.get(f"/admin/content/{item_id}/versions?a=1&b=3").text
    rows = dict(re.findall(r'data-field="([^"]+)"(.*?)</tr>', html, re.S))
    assert set(rows) == {"title", "data.body", "data.meta"}  # changed fields only
    assert "&lt;p&gt;First&lt;/p&gt;" in rows["data.body"]  # rich text as escaped text
    assert "&lt;p&gt;Second&lt;/p&gt;" in rows["data.body"] and "<p>First" not in html
    assert "&#34;tags&#34;: [\n    &#34;a&#34;,\n    &#34;b&#34;" in rows["data.meta"]
    assert "3 fields changed" in html
    everything = client.get(f"/admin/content/{item_id}/versions?a=2&b=3&all=1").text
    all_rows = re.findall(r'data-field="([^"]+)"', everything)
    assert all_rows == ["title", "slug", "status", "data.body", "data.meta"]
    assert everything.count("diff__row--changed") == 2  # title and meta; body is the same
    default = client.get(f"/admin/content/{item_id}/versions").text
    assert "Version 2 → version 3" in default  # the newest against the one before
    assert "Versions of “Spring, again”" in default
    assert "Changed title, meta" in default and "Created" in default


def test_rollback_writes_a_new_version_with_the_old_data(
    client: TestClient, db: Database, clock: FrozenClock, news: str
):
    editor = person(db, clock, "editor")
    item_id = edited_three_times(editor, news)
    token = signed_in(client, editor)
    page = client.get(f"/admin/content/{item_id}/versions").text
    dialog = re.search(r'<dialog[^>]*id="rollback-1".*?</dialog>', page, re.S)
    assert dialog and "Roll back to version 1?" in dialog.group(0)
    assert re.findall(r"<li>([^<]+)</li>", dialog.group(0)) == ["title", "data.body", "data.meta"]
    assert 'id="rollback-3"' not in page  # the current version has no rollback
    answer = client.post(
        f"/admin/content/{item_id}/rollback",
        data={"csrf_token": token, "version": "1"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/admin/content/{item_id}/versions?restored=1"
    listed = versions.list_versions(editor.ctx, item_id)
    assert [v["version"] for v in listed] == [4, 3, 2, 1]
    assert listed[0]["data"] == listed[3]["data"] and listed[0]["title"] == "Spring"
    shown = client.get(answer.headers["location"]).text
    assert "Restored version 1 as a new version" in shown
    bad = client.post(
        f"/admin/content/{item_id}/rollback",
        data={"csrf_token": token, "version": "99"},
        follow_redirects=False,
    )
    assert bad.status_code == 404 and bad.json()["code"] == "version_not_found"


def test_every_action_without_the_csrf_token_is_refused(
    client: TestClient, db: Database, clock: FrozenClock, news: str
):
    editor = person(db, clock, "editor")
    item_id = new_item(editor, news)
    signed_in(client, editor)
    future = {"action": "publish", "date": "2026-07-02", "time": "09:30", "timezone": "UTC"}
    created = scheduling.schedule(
        editor.ctx, item_id, {"action": "publish", "scheduled_at": "2026-08-01T10:00"}
    )
    for path, form in (
        (f"/admin/content/{item_id}/transition", {"to_state": "published"}),
        (f"/admin/content/{item_id}/schedule", future),
        (f"/admin/content/{item_id}/schedules/{created['id']}/cancel", {}),
        (f"/admin/content/{item_id}/rollback", {"version": "1"}),
    ):
        answer = post(client, path, None, **form)
        assert answer.status_code == 403, path
        assert answer.json()["code"] == "csrf_failed"
        forged = post(client, path, "0" * 64, **form)
        assert forged.status_code == 403, path
    assert history.get_item(editor.ctx, item_id)["status"] == "draft"
    assert len(scheduling.list_schedules(editor.ctx, content_id=item_id, status="pending")) == 1
    assert len(versions.list_versions(editor.ctx, item_id)) == 1


def test_the_panel_costs_the_same_queries_for_2_or_20_versions(
    db: Database, clock: FrozenClock, news: str
):
    editor = person(db, clock, "editor")

    def item_with(count: int) -> str:
        item_id = new_item(editor, news, f"Item with {count}")
        for n in range(count - 1):
            edits.update_item(editor.ctx, item_id, {"data": {"body": f"edit {n}"}})
            transitions.transition(editor.ctx, item_id, "draft" if n % 2 else "published")
        scheduling.schedule(
            editor.ctx, item_id, {"action": "unpublish", "scheduled_at": "2026-09-01T10:00"}
        )
        return item_id

    def statements(item_id: str) -> int:
        item = history.get_item(editor.ctx, item_id)
        with counting_statements(db.engine) as seen:
            values = item_panel_values(editor.ctx, item)
        assert values["version_count"] >= 2 and values["timeline"]
        return seen.count

    few, many = item_with(2), item_with(20)
    assert len(versions.list_versions(editor.ctx, many)) == 20
    assert statements(few) == statements(many)
