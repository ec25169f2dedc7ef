"""SonicJS's health and system routes: ``/health``, ``GET /api``, ``/api/system/*``.

Shapes as SonicJS answers them (its ``app.ts`` and ``routes/api-system.ts``), ours beside them,
and configuration details only for callers holding ``settings.read``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from sonic_cms import __version__
from sonic_cms.api.app import create_app
from sonic_cms.clock import FrozenClock, iso_utc
from sonic_cms.config import Settings
from sonic_cms.db import migrate
from sonic_cms.db.engine import Database
from tests.conftest import drop_pg_database, make_settings
from tests.utils.auth import bearer_headers, create_random_user
from tests.utils.content_rows import make_collection, make_content

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
HEALTH_KEYS = {"name", "version", "status", "timestamp", "ready", "database", "migrations"}


def test_health_answers_sonicjs_keys_with_ours_beside(
    client: TestClient, engine_name: str, clock: FrozenClock
):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == HEALTH_KEYS
    assert body["name"] == "sonic-cms"
    assert body["version"] == __version__
    assert body["status"] == "running"
    assert body["ready"] is True
    assert body["timestamp"] == iso_utc(clock.now_ms())
    assert ISO.match(body["timestamp"])
    assert body["database"] == {
        "engine": engine_name.replace("postgres", "postgresql"),
        "reachable": True,
    }
    assert body["migrations"]["pending"] == []
    assert body["migrations"]["current"] == migrate.head_revision()


def test_health_is_503_and_degraded_while_migrations_are_pending(empty_db_url: str):
    with TestClient(create_app(make_settings(empty_db_url))) as client:
        response = client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert set(body) == HEALTH_KEYS
    assert body["status"] == "degraded" and body["ready"] is False
    assert body["migrations"]["pending"]


def _break(url: str, db: Database) -> None:
    """Make the database stop answering: drop it (PostgreSQL) or overwrite the file (SQLite)."""
    db.engine.dispose()
    if url.startswith("sqlite"):
        path = Path(str(make_url(url).database))
        for extra in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            extra.unlink(missing_ok=True)
        path.write_bytes(b"this is not a database file" * 200)
    else:
        drop_pg_database(url)


def test_without_a_database_health_says_error_and_system_routes_say_unhealthy(empty_db_url: str):
    # Plugins re-read on every request: a request must survive that read failing too.
    settings = make_settings(empty_db_url, auto_migrate=True, plugin_status_ttl_ms=0)
    app = create_app(settings)
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
        _break(empty_db_url, app.state.ctx.db)
        health = client.get("/health")
        system = client.get("/api/system/health")
        ping = client.get("/api/system/ping")
    assert health.status_code == 503
    body = health.json()
    assert body["status"] == "error" and body["ready"] is False
    assert body["database"]["reachable"] is False and body["migrations"] is None
    assert system.status_code == 503
    assert system.json()["status"] == "unhealthy"
    assert system.json()["checks"]["database"]["status"] == "unhealthy"
    assert ping.status_code == 503
    assert ping.json()["pong"] is False
    assert ping.json()["error"] == "Database connection failed"
    assert ping.json()["code"] == "database_unavailable"


def test_get_api_serves_the_openapi_document(client: TestClient):
    response = client.get("/api")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == client.get("/openapi.json").json()
    assert "/api/collections" in response.json()["paths"]


PUBLIC_HEALTH_KEYS = {"status", "timestamp", "uptime", "checks"}
CHECK_KEYS = {"database", "cache", "storage"}


def test_system_health_public_subset_and_admin_configuration(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock, engine_name: str
):
    anonymous = client.get("/api/system/health")
    assert anonymous.status_code == 200
    body = anonymous.json()
    assert set(body) == PUBLIC_HEALTH_KEYS
    assert body["status"] == "healthy"
    assert body["timestamp"] == iso_utc(clock.now_ms())
    assert isinstance(body["uptime"], int) and body["uptime"] >= 0
    assert set(body["checks"]) == CHECK_KEYS
    for check in body["checks"].values():
        assert check["status"] == "healthy" and isinstance(check["latency"], int)
    editor = client.get("/api/system/health", headers=bearer_headers(db, settings, clock, "editor"))
    assert set(editor.json()) == PUBLIC_HEALTH_KEYS
    admin = client.get("/api/system/health", headers=bearer_headers(db, settings, clock, "admin"))
    detailed = admin.json()
    assert set(detailed) == PUBLIC_HEALTH_KEYS | {"environment", "configuration"}
    assert detailed["environment"] == "test"
    configuration = detailed["configuration"]
    assert configuration["database"]["engine"] == engine_name.replace("postgres", "postgresql")
    assert configuration["database"]["host"] == make_url(settings.database_url).host
    assert configuration["storage"] == {"backend": "local"}


def test_system_health_reports_a_down_redis_as_degraded(
    db_url: str, db: Database, clock: FrozenClock
):
    settings = make_settings(db_url, redis_url="redis://127.0.0.1:1/0", cache_redis_timeout_ms=200)
    with TestClient(create_app(settings, db=db, clock=clock)) as client:
        response = client.get("/api/system/health")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["cache"]["status"] == "unhealthy"
    assert response.json()["checks"]["database"]["status"] == "healthy"


def test_system_info_in_sonicjs_shape_configuration_for_admins(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock
):
    body = client.get("/api/system/info").json()
    assert set(body) == {
        "name",
        "version",
        "description",
        "endpoints",
        "features",
        "timestamp",
    }
    assert body["name"] == "sonic-cms" and body["version"] == __version__
    assert body["endpoints"] == {
        "api": "/api",
        "auth": "/auth",
        "health": "/api/system/health",
        "docs": "/docs",
    }
    features = {"content", "media", "auth", "collections", "caching", "storage"}
    assert set(body["features"]) == features
    assert ISO.match(body["timestamp"])
    admin = client.get("/api/system/info", headers=bearer_headers(db, settings, clock, "admin"))
    assert admin.json()["configuration"]["environment"] == "test"


def _stats(client: TestClient, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = client.get("/api/system/stats", headers=headers or {})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    assert set(body) == {"content", "media", "users", "timestamp"}
    assert set(body["media"]) == {"total_files", "total_size_bytes", "total_size_mb"}
    return body


def test_system_stats_count_what_the_caller_may_read(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock
):
    author = create_random_user(db, clock, "author")
    collection = make_collection(db, clock)
    make_content(db, clock, collection, author.id, status="published")
    make_content(db, clock, collection, author.id, status="draft")
    anonymous = _stats(client)
    assert anonymous["content"] == {"total": 1}  # the draft is not the public's to count
    assert anonymous["media"]["total_files"] is None
    assert anonymous["users"] == {"total": None}
    admin_headers = bearer_headers(db, settings, clock, "admin")
    admin = _stats(client, admin_headers)
    assert admin["content"] == {"total": 2}
    assert admin["media"] == {"total_files": 0, "total_size_bytes": 0, "total_size_mb": 0}
    assert admin["users"]["total"] == 2  # the author and the admin
    # a token scoped to media counts media, and is not refused for lacking content.read
    minted = client.post(
        "/api/tokens", json={"name": "m", "permissions": ["media.read"]}, headers=admin_headers
    )
    media_only = _stats(client, {"Authorization": f"Bearer {minted.json()['data']['token']}"})
    assert media_only["content"] == {"total": None}
    assert media_only["media"]["total_files"] == 0


def test_system_ping(client: TestClient, clock: FrozenClock):
    response = client.get("/api/system/ping")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"pong", "latency", "timestamp"}
    assert body["pong"] is True and body["timestamp"] == iso_utc(clock.now_ms())
