"""``POST /api/content/bulk`` (issue 15): publish, unpublish, archive or delete many items, each
checked and changed exactly as its single route would, each in its own transaction, with one
result per item; on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sonic_cms.clock import FrozenClock
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Content, ContentVersion, WorkflowHistory
from sonic_cms.plugins.hooks import Cancel, HookBus, HookContext
from tests.utils.content_rows import make_content
from tests.utils.hook_recorder import Recorder, register_filter
from tests.workflow.test_workflow import People, collection_id, people, set_workflow

__all__ = ["collection_id", "people"]  # the workflow tests' fixtures, shared

URL = "/api/content/bulk"
MISSING = "no-such-item"


def _mixed(db: Database, clock: FrozenClock, people: People, col: str) -> list[str]:
    """The author's own draft, another author's published item and draft, and an unknown id."""
    own = make_content(db, clock, col, people.ids["author"])
    others_public = make_content(db, clock, col, people.ids["author2"], status="published")
    return [own, others_public, make_content(db, clock, col, people.ids["author2"]), MISSING]


def _items(db: Database, clock: FrozenClock, col: str, author: str, n: int, **kw: Any) -> list[str]:
    return [make_content(db, clock, col, author, **kw) for _ in range(n)]


def _bulk(client: TestClient, headers: dict[str, str] | None, action: str, ids: list[str]) -> Any:
    return client.post(URL, json={"action": action, "ids": ids}, headers=headers or {})


def _statuses(db: Database, ids: list[str]) -> dict[str, str]:
    with db.read() as conn:
        rows = conn.execute(select(Content.id, Content.status).where(Content.id.in_(ids)))
        return {row.id: row.status for row in rows}


def _by_id(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {result["id"]: result for result in body["data"]}


@pytest.mark.parametrize(
    ("action", "start", "end"),
    [
        ("publish", "draft", "published"),
        ("unpublish", "published", "draft"),
        ("unpublish", "archived", "draft"),
        ("archive", "published", "archived"),
        ("archive", "draft", "archived"),
    ],
)
def test_each_status_action_moves_every_item_and_answers_the_items(
    client, db, clock, people, collection_id, action, start, end
):
    ids = _items(db, clock, collection_id, people.ids["author"], 3, status=start)
    clock.advance(1000)
    response = _bulk(client, people.headers["editor"], action, ids)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["id"] for r in body["data"]] == ids
    assert all(r["ok"] and r["item"]["status"] == end for r in body["data"])
    assert body["meta"]["count"] == 3 and body["meta"]["succeeded"] == 3
    assert body["meta"]["failed"] == 0 and body["meta"]["action"] == action
    assert body["meta"]["timestamp"].endswith("Z")
    assert _statuses(db, ids) == dict.fromkeys(ids, end)
    single = client.get(f"/api/content/{ids[0]}", headers=people.headers["editor"]).json()
    # the single write routes' representation: a read's, without the reads' comment count
    read = {k: v for k, v in single["data"].items() if k != "comments"}
    assert "comments" in single["data"] and body["data"][0]["item"] == read
    with db.read() as conn:  # a workflow move each, recorded like the single route's
        moves = select(func.count()).select_from(WorkflowHistory)
        assert conn.execute(moves.where(WorkflowHistory.content_id.in_(ids))).scalar_one() == 3


def test_delete_removes_items_and_their_versions(client, db, clock, people, collection_id):
    ids = _items(db, clock, collection_id, people.ids["author"], 2, status="published")
    response = _bulk(client, people.headers["editor"], "delete", ids)
    assert response.status_code == 200, response.text
    assert response.json()["data"] == [{"id": i, "ok": True} for i in ids]
    assert _statuses(db, ids) == {}
    with db.read() as conn:
        versions = select(func.count()).select_from(ContentVersion)
        assert conn.execute(versions.where(ContentVersion.content_id.in_(ids))).scalar_one() == 0


def test_author_delete_follows_the_authors_rights_per_item(
    client, db, clock, people, collection_id
):
    ids = _mixed(db, clock, people, collection_id)
    own, others_public, others_draft, _ = ids
    response = _bulk(client, people.headers["author"], "delete", ids)
    assert response.status_code == 200, response.text
    results = _by_id(response.json())
    assert results[own] == {"id": own, "ok": True}
    assert results[others_public]["status"] == 403
    assert results[others_public]["error"]["code"] == "missing_permission"
    assert _statuses(db, ids) == {others_public: "published", others_draft: "draft"}
    assert response.json()["meta"] | {"timestamp": ""} == {
        "count": 4,
        "action": "delete",
        "succeeded": 1,
        "failed": 3,
        "timestamp": "",
    }
    _same_as_unknown(results, others_draft)


def _same_as_unknown(results: dict[str, dict[str, Any]], hidden: str) -> None:
    """A draft the caller may not read fails exactly as an id that names nothing: its existence,
    title or state never shows."""
    unknown = {k: v for k, v in results[MISSING].items() if k != "id"}
    assert {k: v for k, v in results[hidden].items() if k != "id"} == unknown
    assert unknown["status"] == 404 and unknown["error"]["code"] == "content_not_found"
    assert "item" not in results[hidden]


def test_a_publishing_author_gets_per_item_refusals_for_others_items(
    client, db, clock, people, collection_id
):
    granted = client.post(
        "/admin/api/roles/author/permissions",
        json={"permission": "content.publish"},
        headers=people.headers["admin"],
    )
    assert granted.status_code == 200, granted.text
    ids = _mixed(db, clock, people, collection_id)
    own, others_public, others_draft, _ = ids
    published = _bulk(client, people.headers["author"], "publish", ids)
    assert published.status_code == 200, published.text
    results = _by_id(published.json())
    assert results[own]["ok"] and results[own]["item"]["status"] == "published"
    assert results[others_public]["status"] == 403  # readable, not theirs to change
    _same_as_unknown(results, others_draft)
    archived = _by_id(_bulk(client, people.headers["author"], "archive", ids).json())
    assert archived[own]["ok"] and archived[others_public]["status"] == 403
    assert _statuses(db, ids) == {
        own: "archived",
        others_public: "published",
        others_draft: "draft",
    }


@pytest.mark.parametrize("action", ["publish", "unpublish", "archive"])
def test_an_author_without_publish_rights_is_refused_at_once(
    client, db, clock, people, collection_id, action
):
    own = make_content(db, clock, collection_id, people.ids["author"], status="published")
    response = _bulk(client, people.headers["author"], action, [own])
    assert response.status_code == 403 and response.json()["code"] == "missing_permission"
    single = client.post(f"/api/content/{own}/unpublish", headers=people.headers["author"])
    assert single.json() == response.json()  # the single route's own answer
    assert _statuses(db, [own]) == {own: "published"}


@pytest.mark.parametrize("action", ["publish", "unpublish", "archive", "delete"])
def test_viewer_gets_403_and_anonymous_401(client, db, clock, people, collection_id, action):
    item = make_content(db, clock, collection_id, people.ids["author"], status="published")
    viewer = _bulk(client, people.headers["viewer"], action, [item])
    assert viewer.status_code == 403 and viewer.json()["code"] == "missing_permission"
    anonymous = _bulk(client, None, action, [item])
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthorized"
    assert _statuses(db, [item]) == {item: "published"}


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({}, "action"),
        ({"ids": ["a"]}, "action"),
        ({"action": "publish"}, "ids"),
        ({"action": "restore", "ids": ["a"]}, "action"),
        ({"action": 1, "ids": ["a"]}, "action"),
        ({"action": "publish", "ids": []}, "ids"),
        ({"action": "publish", "ids": "a"}, "ids"),
        ({"action": "publish", "ids": {"a": 1}}, "ids"),
        ({"action": "publish", "ids": [1]}, "ids.0"),
        ({"action": "publish", "ids": ["a", None]}, "ids.1"),
        ({"action": "publish", "ids": [""]}, "ids.0"),
        ({"action": "publish", "ids": ["x" * 201]}, "ids.0"),
        ({"action": "publish", "ids": ["a", "nul\u0000"]}, "ids.1"),
        ({"action": "publish", "ids": [f"id-{n}" for n in range(501)]}, "ids"),
        ({"action": "publish", "ids": ["a"], "force": True}, "force"),
    ],
)
def test_a_bad_body_is_422_naming_the_field(client, db, clock, people, collection_id, body, path):
    item = make_content(db, clock, collection_id, people.ids["author"])
    if "ids" in body and isinstance(body["ids"], list) and body["ids"][:1] == ["a"]:
        body["ids"][0] = item
    response = client.post(URL, json=body, headers=people.headers["editor"])
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_failed"
    assert path in [d["path"] for d in response.json()["details"]], response.json()
    assert _statuses(db, [item]) == {item: "draft"}


def test_500_ids_is_the_most_one_request_takes(client, people):
    ids = [f"missing-{n}" for n in range(500)]
    response = _bulk(client, people.headers["editor"], "publish", ids)
    assert response.status_code == 200
    assert response.json()["meta"]["failed"] == 500
    assert {r["error"]["code"] for r in response.json()["data"]} == {"content_not_found"}


def test_repeated_ids_are_acted_on_once(client, db, clock, people, collection_id):
    first, second = _items(db, clock, collection_id, people.ids["author"], 2)
    response = _bulk(client, people.headers["editor"], "delete", [first, second, first, first])
    assert response.status_code == 200
    assert response.json()["data"] == [{"id": first, "ok": True}, {"id": second, "ok": True}]
    assert response.json()["meta"]["count"] == 2 and response.json()["meta"]["failed"] == 0


def test_one_failure_does_not_undo_the_others(client, db, clock, people, collection_id):
    ids = _items(db, clock, collection_id, people.ids["author"], 3)
    bus: HookBus = client.app.state.ctx.hooks

    def refuse_middle(payload: dict[str, Any], context: HookContext) -> Any:
        if payload["id"] == ids[1]:
            raise Cancel("not this one", status=409)
        return None

    register_filter(bus, "content:publish", refuse_middle)
    response = _bulk(client, people.headers["editor"], "publish", ids)
    assert response.status_code == 200
    results = response.json()["data"]
    assert [r["ok"] for r in results] == [True, False, True]
    assert results[1]["status"] == 409
    assert results[1]["error"]["code"] == "cancelled_by_plugin"
    assert _statuses(db, ids) == {ids[0]: "published", ids[1]: "draft", ids[2]: "published"}


def test_the_workflow_refuses_per_item_as_the_single_route(
    client, db, clock, people, collection_id
):
    ids = _items(db, clock, collection_id, people.ids["author"], 2)
    set_workflow(db, require_approval=1)
    response = _bulk(client, people.headers["editor"], "publish", ids)
    single = client.post(f"/api/content/{ids[0]}/publish", headers=people.headers["editor"])
    assert single.status_code == 409
    for result in response.json()["data"]:
        assert result["status"] == 409 and result["error"] == single.json()
    assert _statuses(db, ids) == dict.fromkeys(ids, "draft")


def test_hooks_fire_per_item_after_each_commit(client, db, clock, people, collection_id):
    ids = _items(db, clock, collection_id, people.ids["author"], 3)
    seen = Recorder(client.app.state.ctx.hooks, "content:publish", "content:delete")
    _bulk(client, people.headers["editor"], "publish", ids)
    assert [c.payload["id"] for c in seen.of("content:publish", "filter")] == ids
    actions = seen.of("content:publish", "action")
    assert [c.payload["id"] for c in actions] == ids
    assert all(c.payload["status"] == "published" and not c.had_connection for c in actions)
    _bulk(client, people.headers["editor"], "delete", ids)
    assert [c.payload["id"] for c in seen.of("content:delete", "action")] == ids


def test_cached_public_reads_see_each_change(client, db, clock, people, collection_id):
    ids = _items(db, clock, collection_id, people.ids["author"], 2)
    assert client.get("/api/content").json()["meta"]["count"] == 0  # cached while empty
    _bulk(client, people.headers["editor"], "publish", ids)
    assert {i["id"] for i in client.get("/api/content").json()["data"]} == set(ids)
    assert client.get(f"/api/content/{ids[0]}").status_code == 200
    _bulk(client, people.headers["editor"], "archive", [ids[0]])
    assert [i["id"] for i in client.get("/api/content").json()["data"]] == [ids[1]]
    assert client.get(f"/api/content/{ids[0]}").status_code == 404


def test_a_bulk_action_and_single_edits_at_once(client, db, clock, people, collection_id):
    """Bulk publish of 40 items while another editor edits them one by one: every request
    answers (no 5xx, no lost edit), and every item ends published with every edit kept."""
    ids = _items(db, clock, collection_id, people.ids["author"], 40)
    answers: list[int] = []

    def edit_each() -> None:
        for item_id in ids:
            edited = client.put(
                f"/api/content/{item_id}",
                json={"title": "Edited"},
                headers=people.headers["editor2"],
            )
            answers.append(edited.status_code)

    editor = threading.Thread(target=edit_each)
    editor.start()
    response = _bulk(client, people.headers["editor"], "publish", ids)
    editor.join()
    assert response.status_code == 200, response.text
    assert response.json()["meta"]["succeeded"] == 40
    assert answers == [200] * 40
    with db.read() as conn:
        rows = conn.execute(select(Content).where(Content.id.in_(ids))).all()
    assert {(r.status, r.title) for r in rows} == {("published", "Edited")}
