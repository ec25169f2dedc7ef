"""One Collection representation from every route, and SonicJS's collection requests and
answers on ``/admin/api/collections``."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from sonic_cms.clock import FrozenClock, iso_utc
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from tests.utils.auth import bearer_headers, create_random_user
from tests.utils.content_rows import make_content

EMPTY_SCHEMA = {"type": "object", "properties": {}}


@pytest.fixture
def admin(db: Database, settings: Settings, clock: FrozenClock) -> dict[str, str]:
    return bearer_headers(db, settings, clock, "admin")


def collection_keys(client: TestClient) -> set[str]:
    """The documented Collection component's fields."""
    spec = client.get("/openapi.json").json()
    return set(spec["components"]["schemas"]["Collection"]["properties"])


def create(client: TestClient, admin: dict[str, str], **body: Any) -> Any:
    return client.post("/admin/api/collections", json=body, headers=admin)


def test_every_route_returning_a_collection_returns_exactly_the_representation(
    client: TestClient, admin: dict[str, str], db: Database, clock: FrozenClock
):
    keys = collection_keys(client)
    assert keys == {
        "id",
        "name",
        "display_name",
        "description",
        "schema",
        "is_active",
        "managed",
        "created_at",
        "updated_at",
    }
    created = create(client, admin, name="posts", displayName="Posts", description="Blog posts")
    assert created.status_code == 201, created.text
    one = created.json()["data"]
    answers = {
        "POST /admin/api/collections": one,
        "GET /api/collections/{name}": client.get("/api/collections/posts").json()["data"],
        "GET /admin/api/collections/{id}": client.get(
            f"/admin/api/collections/{one['id']}", headers=admin
        ).json()["data"],
        "PATCH /admin/api/collections/{id}": client.patch(
            f"/admin/api/collections/{one['id']}", json={"description": "All"}, headers=admin
        ).json()["data"],
    }
    public = client.get("/api/collections").json()["data"]
    listed = client.get("/admin/api/collections", headers=admin).json()["data"]
    answers["GET /api/collections"] = next(c for c in public if c["id"] == one["id"])
    answers["GET /admin/api/collections"] = next(c for c in listed if c["id"] == one["id"])
    author = create_random_user(db, clock, "author")
    make_content(db, clock, one["id"], author.id, status="published")
    content = client.get("/api/collections/posts/content").json()
    answers["GET /api/collections/{name}/content meta.collection"] = content["meta"]["collection"]
    for route, answer in answers.items():
        assert set(answer) == keys, route
        assert answer["id"] == one["id"] and answer["display_name"] == "Posts", route
    for every in (public, listed):
        assert all(set(c) == keys for c in every)


def test_the_routes_document_the_one_component(client: TestClient):
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    ref = {"$ref": "#/components/schemas/Collection"}

    def answer(path: str, method: str, status: str = "200") -> dict[str, Any]:
        content = spec["paths"][path][method]["responses"][status]["content"]
        name = content["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        return dict(schemas[name]["properties"])

    assert answer("/api/collections", "get")["data"]["items"] == ref
    assert answer("/admin/api/collections", "get")["data"]["items"] == ref
    assert answer("/api/collections/{name}", "get")["data"] == ref
    assert answer("/admin/api/collections/{key}", "get")["data"] == ref
    assert answer("/admin/api/collections", "post", "201")["data"] == ref
    assert answer("/admin/api/collections/{key}", "patch")["data"] == ref


def test_sonicjs_create_body_and_answer(
    client: TestClient, admin: dict[str, str], clock: FrozenClock
):
    response = create(client, admin, name="news", displayName="News", description="Latest")
    assert response.status_code == 201, response.text
    body = response.json()
    data = body["data"]
    assert {k: body[k] for k in body if k != "data"} == {
        "id": data["id"],
        "name": "news",
        "displayName": "News",
        "description": "Latest",
        "created_at": clock.now_ms(),
    }
    assert data["display_name"] == "News" and data["schema"] == EMPTY_SCHEMA
    assert data["is_active"] is True and data["managed"] is False
    snake = create(client, admin, name="events", display_name="Events")
    assert snake.status_code == 201 and snake.json()["displayName"] == "Events"


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"name": "both", "displayName": "A", "display_name": "B"}, "displayName"),
        ({"name": "extra", "displayName": "Extra", "colour": "red"}, "colour"),
        ({"name": "nameless"}, "display_name"),
        ({"name": "blank", "displayName": "  "}, "display_name"),
        ({"name": "Bad Name", "displayName": "Bad"}, "name"),
        ({"name": "badschema", "displayName": "Bad", "schema": None}, "schema"),
    ],
)
def test_bad_create_bodies_are_422_naming_the_field(
    client: TestClient, admin: dict[str, str], body: dict[str, Any], path: str
):
    before = client.get("/admin/api/collections", headers=admin).json()["meta"]["count"]
    response = create(client, admin, **body)
    assert response.status_code == 422, response.text
    assert path in [d["path"] for d in response.json()["details"]]
    assert isinstance(response.json()["error"], str)
    assert client.get("/admin/api/collections", headers=admin).json()["meta"]["count"] == before


def test_update_takes_either_spelling_not_both(client: TestClient, admin: dict[str, str]):
    one = create(client, admin, name="pages", displayName="Pages").json()["data"]
    url = f"/admin/api/collections/{one['id']}"
    renamed = client.patch(url, json={"displayName": "Site pages"}, headers=admin)
    assert renamed.status_code == 200 and renamed.json()["data"]["display_name"] == "Site pages"
    both = client.patch(url, json={"displayName": "A", "display_name": "B"}, headers=admin)
    assert both.status_code == 422
    assert [d["path"] for d in both.json()["details"]] == ["displayName"]
    unknown = client.patch(url, json={"colour": "red"}, headers=admin)
    assert unknown.status_code == 422 and unknown.json()["details"][0]["path"] == "colour"
    assert unknown.json()["code"] == "validation_failed"


def test_get_one_collection_by_id_as_sonicjs_answers_it(client: TestClient, admin: dict[str, str]):
    one = create(client, admin, name="docs", displayName="Docs").json()["data"]
    response = client.get(f"/admin/api/collections/{one['id']}", headers=admin)
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == one
    assert {k: v for k, v in body.items() if k != "data"} == one  # SonicJS's top-level fields
    missing = client.get("/admin/api/collections/col-nope-00000000", headers=admin)
    assert missing.status_code == 404
    assert missing.json()["error"] == "Collection not found"
    assert missing.json()["code"] == "collection_not_found"


def test_admin_list_carries_sonicjs_top_level_count_and_timestamp(
    client: TestClient, admin: dict[str, str], clock: FrozenClock
):
    create(client, admin, name="a_list", displayName="A list")
    body = client.get("/admin/api/collections", headers=admin).json()
    assert body["count"] == body["meta"]["count"] == len(body["data"])
    assert body["timestamp"] == body["meta"]["timestamp"] == iso_utc(clock.now_ms())
