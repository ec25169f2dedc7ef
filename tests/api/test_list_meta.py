"""SonicJS's list meta on every list: ``meta.timestamp`` (ISO 8601) beside ours, and
``meta.collection`` on a collection's content list."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sonic_cms.clock import FrozenClock, iso_utc
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from tests.media.helpers import image_bytes, upload
from tests.utils.auth import bearer_headers, create_random_user
from tests.utils.content_rows import make_collection, make_content

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def list_routes(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every GET whose success answer is ``{data: [...], ...}``, with its answer's schema."""
    found = []
    for path, item in spec["paths"].items():
        answer = item.get("get", {}).get("responses", {}).get("200", {})
        schema = answer.get("content", {}).get("application/json", {}).get("schema")
        if not schema:
            continue
        body = _resolve(spec, schema)
        data = body.get("properties", {}).get("data")
        if data and _resolve(spec, data).get("type") == "array":
            found.append((path, body))
    return found


def test_every_documented_list_declares_meta_timestamp(client: TestClient):
    spec = client.get("/openapi.json").json()
    routes = list_routes(spec)
    assert len(routes) >= 20
    missing = []
    for path, body in routes:
        meta = _resolve(spec, body.get("properties", {}).get("meta", {}))
        if "timestamp" not in meta.get("required", []):
            missing.append(path)
    assert missing == []


def test_every_list_route_answers_meta_timestamp(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock
):
    admin = create_random_user(db, clock, "admin")
    collection_id = make_collection(db, clock)
    item = make_content(db, clock, collection_id, admin.id, status="published")
    with db.read() as conn:
        name = conn.exec_driver_sql(
            "SELECT name FROM collections WHERE id = ?"
            if db.is_sqlite
            else "SELECT name FROM collections WHERE id = %s",
            (collection_id,),
        ).scalar_one()
    headers = bearer_headers(db, settings, clock, "admin")
    uploaded = upload(client, headers, "meta.png", image_bytes(), "image/png")
    assert uploaded.status_code == 200, uploaded.text
    media_id = uploaded.json()["file"]["id"]
    hook = {"url": "https://93.184.215.14/hook", "events": ["content:create"]}
    endpoint = client.post("/admin/api/webhooks", json=hook, headers=headers)
    assert endpoint.status_code == 201, endpoint.text
    values = {
        "name": name,
        "item_id": item,
        "content_id": item,
        "media_id": media_id,
        "endpoint_id": endpoint.json()["data"]["id"],
    }
    spec = client.get("/openapi.json").json()
    checked = []
    for path, _ in list_routes(spec):
        if path.startswith("/api/plugins/faq"):
            continue  # a plugin's route, served only while the plugin is active
        url = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.text)
        meta = response.json()["meta"]
        assert meta.get("timestamp") == iso_utc(clock.now_ms()), url
        assert ISO.match(meta["timestamp"])
        checked.append(path)
    assert len(checked) >= 20


def test_a_collections_content_list_carries_the_collection(
    client: TestClient, db: Database, clock: FrozenClock
):
    author = create_random_user(db, clock, "author")
    collection_id = make_collection(db, clock)
    make_content(db, clock, collection_id, author.id, status="published")
    collection = client.get(f"/api/collections/{collection_id}").json()["data"]
    body = client.get(f"/api/collections/{collection['name']}/content").json()
    assert body["meta"]["collection"] == collection  # the one Collection representation
    assert body["meta"]["count"] == len(body["data"]) == 1
    assert "pagination" in body["meta"] and ISO.match(body["meta"]["timestamp"])
    everything = client.get("/api/content").json()
    assert "collection" not in everything["meta"]  # SonicJS: only on a collection's list
    assert ISO.match(everything["meta"]["timestamp"])


@pytest.mark.parametrize("credentials", [False, True])
def test_the_timestamp_does_not_change_the_etag(
    client: TestClient,
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    credentials: bool,
):
    """A re-read of an unchanged list still answers 304 (bypassing the cache or not)."""
    headers = bearer_headers(db, settings, clock, "admin") if credentials else {}
    first = client.get("/api/content", headers=headers)
    clock.advance(5_000)
    second = client.get("/api/content", headers=headers)
    if credentials:  # read again, not from the cache: a new time, the same ETag
        assert second.json()["meta"]["timestamp"] != first.json()["meta"]["timestamp"]
    assert second.headers["etag"] == first.headers["etag"]
    again = client.get("/api/content", headers={**headers, "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


def test_the_representation_etag_ignores_only_the_timestamp():
    """One serialization: the envelope's trailing timestamp is cut from the body's hash; a
    document shaped otherwise falls back to serializing without it. Both agree."""
    from sonic_cms.api.caching import representation_etag
    from sonic_cms.api.responses import dumps
    from sonic_cms.pagination import list_envelope

    def etag(items: list[object], now_ms: int) -> str:
        document = list_envelope(items, now_ms, count=len(items))
        return representation_etag(document, dumps(document))

    assert etag([{"id": "a"}], 1_000) == etag([{"id": "a"}], 9_000)
    assert etag([{"id": "a"}], 1_000) != etag([{"id": "b"}], 1_000)
    reordered = {"meta": {"count": 1, "timestamp": "t1"}, "data": [{"id": "a"}]}
    later = {"meta": {"count": 1, "timestamp": "t2"}, "data": [{"id": "a"}]}
    assert representation_etag(reordered, dumps(reordered)) == representation_etag(
        later, dumps(later)
    )
