"""One policy for the fields of a request body (issue 14), on every route that reads one: an
unknown field is a 422 ``validation_failed`` whose details name it, and nothing is written;
SonicJS's camelCase spelling of a field is accepted beside ours, and both at once is a 422.

Before issue 14 the auth bodies ignored unknown fields, content answered 400 ``unknown_field``,
rollback 400 ``invalid_body``, and model routes named the field ``body.<name>``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sonic_cms.api.app import create_app
from sonic_cms.clock import FrozenClock
from sonic_cms.db.engine import Database
from tests.conftest import make_settings
from tests.utils.auth import TEST_PASSWORD, create_random_user, headers_for

UNKNOWN = "zz_not_a_field"
#: Bodies that belong to a plugin's own model (docs/plugins.md): not this policy's business.
PLUGIN_BODIES = {("PUT", "/admin/api/plugins/{name}/settings")}
#: Routes that read their body themselves and so are absent from the document's request bodies.
SELF_PARSED = [
    ("PUT", "/auth/me"),
    ("PATCH", "/auth/me"),
    ("PUT", "/admin/api/users/{user_id}"),
    ("PATCH", "/admin/api/users/{user_id}"),
    ("POST", "/api/content/{content_id}/transitions"),
    ("POST", "/admin/api/workflow/states"),
    ("POST", "/admin/api/workflows"),
    ("PATCH", "/admin/api/workflows/{workflow_id}"),
    ("POST", "/api/content/{content_id}/schedule"),
    ("PUT", "/api/content/{content_id}/embargo"),
]


def json_body_routes() -> list[tuple[str, str]]:
    """Every operation the document says takes a JSON body, plus the self-parsed ones."""
    spec = create_app(make_settings("sqlite:///:memory:")).openapi()
    routes = [
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if "application/json" in op.get("requestBody", {}).get("content", {})
    ]
    return [r for r in routes if r not in PLUGIN_BODIES] + SELF_PARSED


@pytest.fixture
def app_client(
    db_url: str, db: Database, clock: FrozenClock
) -> Iterator[tuple[TestClient, dict[str, str], dict[str, str]]]:
    settings = make_settings(db_url, registration_enabled=True)
    with TestClient(create_app(settings, db=db, clock=clock)) as client:
        admin = create_random_user(db, clock, "admin")
        headers = headers_for(db, settings, clock, admin)
        ids = _seed(client, headers)
        ids["user_id"] = create_random_user(db, clock, "viewer").id
        yield client, headers, ids


def _seed(client: TestClient, headers: dict[str, str]) -> dict[str, str]:
    schema = {"type": "object", "properties": {"body": {"type": "string"}}}
    col = client.post(
        "/admin/api/collections",
        json={"name": "posts", "display_name": "Posts", "schema": schema},
        headers=headers,
    ).json()["data"]
    item = client.post(
        "/api/content", json={"collectionId": col["id"], "title": "T"}, headers=headers
    ).json()["data"]
    workflows = client.get("/admin/api/workflows", headers=headers).json()["data"]
    for plugin in ("faq", "otp-login", "magic-link-auth"):
        for step in ("install", "activate"):
            client.post(f"/admin/api/plugins/{plugin}/{step}", headers=headers).raise_for_status()
    return {
        "name": "posts",
        "key": col["id"],
        "item_id": item["id"],
        "content_id": item["id"],
        "workflow_id": workflows[0]["id"],
        "media_id": "missing-media",
        "role": "editor",
        "category": "api",
        "faq_id": "missing-faq",
        "comment_id": "missing-comment",
        "endpoint_id": "missing-endpoint",
    }


def _count(client: TestClient, headers: dict[str, str]) -> int:
    return int(client.get("/api/content", headers=headers).json()["meta"]["count"])


@pytest.mark.parametrize(("method", "path"), json_body_routes())
def test_an_unknown_body_field_is_422_naming_it(
    app_client: tuple[TestClient, dict[str, str], dict[str, str]], method: str, path: str
):
    client, headers, ids = app_client
    before = _count(client, headers)
    response = client.request(method, path.format(**ids), json={UNKNOWN: 1}, headers=headers)
    where = f"{method} {path}: {response.status_code} {response.text[:300]}"
    assert response.status_code == 422, where
    body = response.json()
    assert body["code"] == "validation_failed", where
    named = [d for d in body["details"] if d["path"] == UNKNOWN]
    assert named and named[0]["message"].startswith("unknown field"), where
    assert _count(client, headers) == before


def test_content_collection_id_in_either_spelling_but_not_both(
    app_client: tuple[TestClient, dict[str, str], dict[str, str]],
):
    client, headers, ids = app_client
    snake = {"collection_id": ids["key"], "title": "Snake"}
    assert client.post("/api/content", json=snake, headers=headers).status_code == 201
    both = {**snake, "collectionId": ids["key"], "title": "Both"}
    answer = client.post("/api/content", json=both, headers=headers)
    assert answer.status_code == 422 and answer.json()["code"] == "validation_failed"
    assert answer.json()["details"][0]["message"] == "give collectionId or collection_id, not both"


def _names(user: dict[str, Any]) -> tuple[str, str]:
    return user["firstName"], user["lastName"]


@pytest.mark.parametrize(
    ("first", "last"), [("firstName", "lastName"), ("first_name", "last_name")]
)
def test_user_bodies_take_either_spelling_of_the_names(
    app_client: tuple[TestClient, dict[str, str], dict[str, str]], first: str, last: str
):
    client, headers, _ = app_client
    new = {"email": f"{first}@example.com", "username": f"u_{first}", first: "Ada", last: "Byron"}
    created = client.post("/admin/api/users", json=new, headers=headers)
    assert created.status_code == 201, created.text
    assert _names(created.json()["data"]) == ("Ada", "Byron")
    uid = created.json()["data"]["id"]
    changed = client.patch(f"/admin/api/users/{uid}", json={first: "Augusta"}, headers=headers)
    assert changed.status_code == 200 and _names(changed.json()["data"]) == ("Augusta", "Byron")
    mine = client.put("/auth/me", json={last: "King"}, headers=headers)
    assert mine.status_code == 200 and mine.json()["user"]["lastName"] == "King"
    registered = client.post(
        "/auth/register",
        json={
            "email": f"r{first}@example.com",
            "password": TEST_PASSWORD,
            "username": f"r_{first}",
            first: "Mary",
            last: "Shelley",
        },
    )
    assert registered.status_code == 201, registered.text
    assert _names(registered.json()["user"]) == ("Mary", "Shelley")
    invited = client.post(
        "/admin/api/users/invite",
        json={"email": f"i{first}@example.com", first: "Inv", last: "Ited"},
        headers=headers,
    )
    assert invited.status_code == 201 and _names(invited.json()["data"]) == ("Inv", "Ited")


@pytest.mark.parametrize(
    "route", ["/admin/api/users", "/auth/register", "/auth/me", "/admin/api/users/invite"]
)
def test_both_spellings_of_a_name_are_422(
    app_client: tuple[TestClient, dict[str, str], dict[str, str]], route: str
):
    client, headers, _ = app_client
    body: dict[str, Any] = {"firstName": "A", "first_name": "B", "lastName": "C"}
    if route != "/auth/me":
        body["email"] = "two@example.com"
    if route in ("/admin/api/users", "/auth/register"):
        body |= {"username": "two_names", "password": TEST_PASSWORD}
    method = "PATCH" if route == "/auth/me" else "POST"
    answer = client.request(method, route, json=body, headers=headers)
    assert answer.status_code == 422, answer.text
    assert answer.json()["details"] == [
        {"path": "first_name", "message": "give first_name or firstName, not both"}
    ]


@pytest.mark.parametrize(
    "names",
    [
        {},
        {"firstName": "Ada"},
        {"lastName": "Lovelace"},
        {"firstName": "", "lastName": "Lovelace"},
        {"firstName": "Ada", "lastName": "   "},
        {"first_name": "\t", "last_name": "\n"},
    ],
)
def test_registration_refuses_missing_empty_or_blank_names(
    app_client: tuple[TestClient, dict[str, str], dict[str, str]], names: dict[str, str]
):
    client, headers, _ = app_client
    body = {"email": "blank@example.com", "password": TEST_PASSWORD, "username": "blank", **names}
    answer = client.post("/auth/register", json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "validation_failed"
    blank = {"firstName", "lastName"} - {
        k.replace("first_name", "firstName").replace("last_name", "lastName")
        for k, v in names.items()
        if v.strip()
    }
    assert {d["path"] for d in answer.json()["details"]} == blank
    users = client.get("/admin/api/users?search=blank", headers=headers).json()["data"]
    assert users == []
