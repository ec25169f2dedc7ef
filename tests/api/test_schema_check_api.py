"""``POST /admin/api/collections/{id}/schema/check``: the dry run of a schema change over HTTP,
on both engines (authentication, permission, body rules, unknown and managed collections)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from sonic_cms.db.schema.tables import COLLECTIONS
from tests.utils.auth import bearer_headers

SCHEMA: dict[str, Any] = {"type": "object", "properties": {"body": {"type": "textarea"}}}
SHORT: dict[str, Any] = {
    "type": "object",
    "properties": {"body": {"type": "textarea", "maxLength": 5}},
}


@pytest.fixture
def admin(db: Database, settings: Settings, clock: FrozenClock) -> dict[str, str]:
    return bearer_headers(db, settings, clock, "admin")


@pytest.fixture
def notes(client: TestClient, admin: dict[str, str]) -> str:
    body = {"name": "notes", "displayName": "Notes", "schema": SCHEMA}
    made = client.post("/admin/api/collections", json=body, headers=admin)
    assert made.status_code == 201, made.text
    cid: str = made.json()["data"]["id"]
    for title, text in (("Short", "ok"), ("Long", "far too long")):
        answer = client.post(
            "/api/content",
            json={"collectionId": cid, "title": title, "data": {"body": text}},
            headers=admin,
        )
        assert answer.status_code == 201, answer.text
    return cid


def check(client: TestClient, key: str, body: Any, headers: dict[str, str]) -> Any:
    return client.post(f"/admin/api/collections/{key}/schema/check", json=body, headers=headers)


def test_the_check_reports_the_failing_items_and_writes_nothing(
    client: TestClient, admin: dict[str, str], notes: str
):
    answer = check(client, notes, {"schema": SHORT}, admin)
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    assert (data["checked"], data["failed"]) == (2, 1)
    assert data["failures"][0]["title"] == "Long"
    assert data["failures"][0]["errors"] == [
        {"path": "data.body", "message": "must be at most 5 characters"}
    ]
    assert data["undeclared"] == []
    stored = client.get(f"/admin/api/collections/{notes}", headers=admin).json()["data"]
    assert stored["schema"] == SCHEMA
    by_name = check(client, "notes", {"schema": SCHEMA}, admin).json()["data"]
    assert (by_name["checked"], by_name["failed"]) == (2, 0)


def test_signed_out_is_401_and_an_editor_is_403(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock, notes: str
):
    assert check(client, notes, {"schema": SHORT}, {}).status_code == 401
    editor = bearer_headers(db, settings, clock, "editor")
    refused = check(client, notes, {"schema": SHORT}, editor)
    assert refused.status_code == 403
    assert refused.json()["code"] == "missing_permission"


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({}, "schema"),
        ({"schema": SCHEMA, "extra": 1}, "extra"),
        ({"schema": "text"}, "schema"),
        ({"schema": {"type": "object", "properties": {"x": {"type": "nope"}}}}, "schema."),
        ({"schema": {"type": "object", "properties": {"x": {"type": "select"}}}}, "schema."),
    ],
)
def test_a_bad_body_is_a_422_naming_the_field(
    client: TestClient, admin: dict[str, str], notes: str, body: dict[str, Any], path: str
):
    answer = check(client, notes, body, admin)
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "validation_failed"
    assert any(d["path"].startswith(path) for d in answer.json()["details"]), answer.json()


def test_not_json_is_refused(client: TestClient, admin: dict[str, str], notes: str):
    url = f"/admin/api/collections/{notes}/schema/check"
    assert (
        client.post(
            url, content=b"{", headers=admin | {"Content-Type": "application/json"}
        ).status_code
        == 400
    )
    assert (
        client.post(url, content=b"x", headers=admin | {"Content-Type": "text/plain"}).status_code
        == 415
    )


def test_an_unknown_collection_is_a_404(client: TestClient, admin: dict[str, str]):
    answer = check(client, "no-such-collection", {"schema": SCHEMA}, admin)
    assert answer.status_code == 404
    assert answer.json()["code"] == "collection_not_found"


def test_a_managed_collection_may_be_checked_though_not_changed(
    client: TestClient, admin: dict[str, str], db: Database, notes: str
):
    with db.write() as conn:
        conn.execute(update(COLLECTIONS).where(COLLECTIONS.c.id == notes).values(managed=True))
    answer = check(client, notes, {"schema": SHORT}, admin)
    assert answer.status_code == 200
    assert answer.json()["data"]["failed"] == 1
    patch = client.patch(f"/admin/api/collections/{notes}", json={"schema": SHORT}, headers=admin)
    assert patch.status_code == 409
