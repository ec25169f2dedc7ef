"""The FAQ plugin end to end: its own revision, CRUD, cached public reads, the cache admin API."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

from sonic_cms.api.app import create_app
from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from tests.conftest import _service_url
from tests.utils.auth import bearer_headers

FAQ = "/api/plugins/faq/"


def enable_faq(client: TestClient, admin: dict[str, str]) -> None:
    assert client.post("/admin/api/plugins/faq/install", headers=admin).status_code == 201
    assert client.post("/admin/api/plugins/faq/activate", headers=admin).status_code == 200


@pytest.fixture
def admin(db: Database, settings: Settings, clock: FrozenClock) -> dict[str, str]:
    return bearer_headers(db, settings, clock, "admin")


@pytest.fixture
def faq_client(client: TestClient, admin: dict[str, str]) -> TestClient:
    enable_faq(client, admin)
    return client


def count_faqs(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM faqs")).scalar_one())


def test_install_creates_the_table_from_the_plugins_own_revision(
    faq_client: TestClient, db: Database
):
    with db.read() as conn:
        assert inspect(conn).has_table("faqs")
        assert (
            conn.execute(text("SELECT version_num FROM alembic_version_faq")).scalar() == "faq_0001"
        )
        core = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert core is not None and not core.startswith("faq")


def test_crud(faq_client: TestClient, admin: dict[str, str], db: Database):
    created = faq_client.post(FAQ, json={"question": "Why?", "answer": "Because."}, headers=admin)
    assert created.status_code == 201, created.text
    faq_id = created.json()["data"]["id"]
    got = faq_client.get(f"{FAQ}{faq_id}").json()["data"]
    assert got["question"] == "Why?" and got["is_published"] is True
    changed = faq_client.put(f"{FAQ}{faq_id}", json={"answer": "Just because."}, headers=admin)
    assert changed.json()["data"]["answer"] == "Just because."
    assert faq_client.get(f"{FAQ}{faq_id}").json()["data"]["answer"] == "Just because."
    assert faq_client.delete(f"{FAQ}{faq_id}", headers=admin).status_code == 204
    assert faq_client.get(f"{FAQ}{faq_id}").status_code == 404
    assert count_faqs(db) == 0


@pytest.mark.parametrize(
    ("method", "path", "body", "role", "status", "code"),
    [
        ("post", FAQ, {"question": "q", "answer": "a"}, None, 401, "unauthorized"),
        ("post", FAQ, {"question": "q", "answer": "a"}, "editor", 403, "missing_permission"),
        ("post", FAQ, {"question": "", "answer": "a"}, "admin", 422, "validation_failed"),
        ("post", FAQ, {"question": "q"}, "admin", 422, "validation_failed"),
        ("post", FAQ, {"question": "q", "answer": "a", "x": 1}, "admin", 422, "validation_failed"),
        ("post", FAQ, {"question": "q" * 501, "answer": "a"}, "admin", 422, "validation_failed"),
        ("post", FAQ, {"question": "q", "answer": "a", "tags": ["t"] * 21}, "admin", 422, None),
        ("post", FAQ, {"question": "q", "answer": "a", "sort_order": "x"}, "admin", 422, None),
        ("put", f"{FAQ}missing", {"answer": "a"}, "admin", 404, "faq_not_found"),
        # found by schemathesis: a null for a NOT NULL column was a 500 (IntegrityError)
        *(
            ("put", "{existing}", {name: None}, "admin", 422, "validation_failed")
            for name in ("question", "answer", "tags", "is_published", "sort_order")
        ),
        ("delete", f"{FAQ}missing", None, "admin", 404, "faq_not_found"),
        ("get", f"{FAQ}?page=0", None, None, 400, "bad_request"),
        ("get", f"{FAQ}?limit=1000", None, None, 400, "bad_request"),
        ("get", f"{FAQ}?colour=red", None, None, 400, "unknown_parameter"),
    ],
)
def test_bad_faq_requests_write_nothing(
    faq_client: TestClient,
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    method: str,
    path: str,
    body: Any,
    role: str | None,
    status: int,
    code: str | None,
):
    headers = bearer_headers(db, settings, clock, role) if role else {}
    kwargs: dict[str, Any] = {"headers": headers}
    before = count_faqs(db)
    if path == "{existing}":
        admin = bearer_headers(db, settings, clock, "admin")
        created = faq_client.post(FAQ, json={"question": "q?", "answer": "a."}, headers=admin)
        path, before = f"{FAQ}{created.json()['data']['id']}", 1
    if body is not None:
        kwargs["json"] = body
    response = getattr(faq_client, method)(path, **kwargs)
    assert response.status_code == status, response.text
    if code:
        assert response.json()["code"] == code
    assert count_faqs(db) == before
    if before:  # the entry kept its values
        entry = faq_client.get(path, headers=headers).json()["data"]
        assert (entry["question"], entry["answer"]) == ("q?", "a.")


def test_public_list_is_cached_and_writes_invalidate_it(
    faq_client: TestClient, admin: dict[str, str]
):
    faq_client.post(FAQ, json={"question": "One?", "answer": "1", "sort_order": 1}, headers=admin)
    first = faq_client.get(FAQ)
    second = faq_client.get(FAQ)
    assert (first.headers["X-Cache-Status"], first.headers["X-Cache-Source"]) == (
        "MISS",
        "database",
    )
    assert (second.headers["X-Cache-Status"], second.headers["X-Cache-Source"]) == ("HIT", "memory")
    assert first.content == second.content
    faq_client.post(FAQ, json={"question": "Two?", "answer": "2", "sort_order": 2}, headers=admin)
    third = faq_client.get(FAQ)
    assert third.headers["X-Cache-Status"] == "MISS"
    assert [f["question"] for f in third.json()["data"]] == ["One?", "Two?"]
    assert third.json()["meta"]["pagination"]["total"] == 2


def test_unpublished_entries_are_hidden_from_the_public_and_auth_bypasses_cache(
    faq_client: TestClient, admin: dict[str, str]
):
    faq_client.post(
        FAQ, json={"question": "Draft?", "answer": "d", "is_published": False}, headers=admin
    )
    public = faq_client.get(FAQ)
    assert public.json()["data"] == []
    managed = faq_client.get(FAQ, headers=admin)
    assert [f["question"] for f in managed.json()["data"]] == ["Draft?"]
    assert managed.headers["X-Cache-Status"] == "MISS"
    assert faq_client.get(FAQ, headers=admin).headers["X-Cache-Status"] == "MISS"
    assert faq_client.get(FAQ).json()["data"] == []


def test_deactivating_the_cache_plugin_turns_caching_off(
    faq_client: TestClient, admin: dict[str, str]
):
    faq_client.get(FAQ)
    assert faq_client.get(FAQ).headers["X-Cache-Status"] == "HIT"
    assert faq_client.post("/admin/api/plugins/cache/deactivate", headers=admin).status_code == 200
    assert faq_client.get(FAQ).headers["X-Cache-Status"] == "MISS"
    assert faq_client.get(FAQ).headers["X-Cache-Status"] == "MISS"


def test_faq_routes_disappear_when_the_plugin_is_deactivated(
    faq_client: TestClient, admin: dict[str, str]
):
    assert faq_client.get(FAQ).status_code == 200
    faq_client.post("/admin/api/plugins/faq/deactivate", headers=admin)
    assert faq_client.get(FAQ).status_code == 404


# -- the cache admin API -------------------------------------------------------------------


def test_cache_admin_is_admin_only(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock
):
    editor = bearer_headers(db, settings, clock, "editor")
    for method, path in [
        ("get", "/admin/cache/stats"),
        ("get", "/admin/cache/stats/content"),
        ("post", "/admin/cache/clear"),
        ("post", "/admin/cache/clear/content"),
    ]:
        assert getattr(client, method)(path).status_code == 401
        assert getattr(client, method)(path, headers=editor).status_code == 403
    assert (
        client.post("/admin/cache/invalidate", json={"pattern": "*"}, headers=editor).status_code
        == 403
    )


def test_cache_stats_clear_and_invalidate(faq_client: TestClient, admin: dict[str, str]):
    faq_client.get(FAQ)
    faq_client.get(FAQ)
    stats = faq_client.get("/admin/cache/stats", headers=admin).json()["data"]
    assert stats["memory"]["hits"] >= 1 and stats["memory"]["entries"] >= 1
    plugin_stats = faq_client.get("/admin/cache/stats/plugin", headers=admin).json()["data"]
    assert plugin_stats["memory"]["hits"] == 1 and plugin_stats["ttl_seconds"] == 3600
    assert faq_client.get("/admin/cache/stats/nope", headers=admin).status_code == 404
    cleared = faq_client.post("/admin/cache/clear/plugin", headers=admin).json()["data"]
    assert cleared["memory"] == 1
    assert faq_client.get(FAQ).headers["X-Cache-Status"] == "MISS"
    done = faq_client.post("/admin/cache/invalidate", json={"pattern": "plugin:*"}, headers=admin)
    assert done.status_code == 200 and done.json()["data"]["namespaces"] == ["plugin"]
    assert faq_client.get(FAQ).headers["X-Cache-Status"] == "MISS"
    assert faq_client.post("/admin/cache/clear", headers=admin).status_code == 200


@pytest.mark.parametrize(
    "body", [{}, {"pattern": ""}, {"pattern": "a b"}, {"pattern": "x", "y": 1}, {"pattern": 5}]
)
def test_bad_invalidate_requests(client: TestClient, admin: dict[str, str], body: Any):
    response = client.post("/admin/cache/invalidate", json=body, headers=admin)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"


# -- two apps sharing one database and Redis: read after write -----------------------------


@pytest.fixture
def two_apps(
    db: Database, settings: Settings, clock: FrozenClock
) -> Iterator[tuple[TestClient, TestClient]]:
    redis_url = _service_url("SONIC_TEST_REDIS_URL", "Redis")
    shared = settings.model_copy(
        update={
            "redis_url": redis_url,
            "cache_redis_prefix": f"t{uuid.uuid4().hex[:8]}:",
            "plugin_status_ttl_ms": 1000,  # B must notice A's activation by itself
        }
    )
    apps: list[FastAPI] = [create_app(shared, db=db, clock=clock) for _ in range(2)]
    with TestClient(apps[0]) as a, TestClient(apps[1]) as b:
        yield a, b


@pytest.mark.redis
def test_read_after_write_between_two_apps_sharing_redis(
    two_apps: tuple[TestClient, TestClient], admin: dict[str, str]
):
    a, b = two_apps
    enable_faq(a, admin)
    created = a.post(FAQ, json={"question": "Q?", "answer": "v0"}, headers=admin).json()["data"]
    # B learns of the activation within the plugin status TTL; wait until it serves the route.
    deadline = time.monotonic() + 10
    while b.get(FAQ).status_code != 200:
        assert time.monotonic() < deadline, "app B never saw the FAQ plugin as active"
        time.sleep(0.05)
    assert b.get(FAQ).headers["X-Cache-Source"] == "memory"
    assert a.get(FAQ).headers["X-Cache-Source"] == "redis"
    for i in range(1, 60):
        writer, reader = (a, b) if i % 2 else (b, a)
        writer.put(f"{FAQ}{created['id']}", json={"answer": f"v{i}"}, headers=admin)
        assert reader.get(FAQ).json()["data"][0]["answer"] == f"v{i}"
        assert reader.get(f"{FAQ}{created['id']}").json()["data"]["answer"] == f"v{i}"


def test_fast_path_answers_hits_before_routing_and_still_logs(
    faq_client: TestClient, admin: dict[str, str], db: Database, monkeypatch: pytest.MonkeyPatch
):
    from sonic_cms.builtin_plugins.faq import service

    faq_client.post(FAQ, json={"question": "Fast?", "answer": "yes"}, headers=admin)
    assert faq_client.get(f"{FAQ}?page=1").headers["X-Cache-Status"] == "MISS"
    calls: list[int] = []
    original = service.list_faqs
    monkeypatch.setattr(service, "list_faqs", lambda *a: calls.append(1) or original(*a))
    context = faq_client.app.state.ctx  # type: ignore[attr-defined]
    for _ in range(3):
        hit = faq_client.get(f"{FAQ}?page=1", headers={"X-Request-ID": "fast-1"})
        assert hit.headers["X-Cache-Status"] == "HIT"
        assert hit.json()["data"][0]["question"] == "Fast?"
    assert calls == []
    assert f"{FAQ}?page=1" in context.cached_urls
    context.logs.flush()
    with db.read() as conn:
        logged = conn.execute(
            text("SELECT COUNT(*) FROM system_logs WHERE request_id = 'fast-1'")
        ).scalar_one()
    assert logged == 3
    faq_client.post("/admin/api/plugins/faq/deactivate", headers=admin)
    assert faq_client.get(f"{FAQ}?page=1").status_code == 404
