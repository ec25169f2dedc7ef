"""The probes load balancers call every second: ``/health/live`` and ``/health/ready``.

Real parts throughout: both engines, a real Redis (and a port nobody listens on, and one that
accepts and never answers), moto's S3 server process and a dead S3 endpoint.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sonic_cms.api.app import create_app
from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.db import migrate
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import SystemLog
from tests.conftest import _service_url, make_settings
from tests.media.conftest import S3_KEYS, build_test_storage, moto_endpoint  # noqa: F401
from tests.utils.auth import bearer_headers
from tests.utils.query_count import counting_statements
from tests.utils.redis_server import free_port


def ready(client: TestClient) -> tuple[int, dict[str, Any]]:
    response = client.get("/health/ready")
    assert response.headers["cache-control"] == "no-store"
    return response.status_code, response.json()


def api_records(db: Database, url: str) -> int:
    with db.read() as conn:
        query = select(func.count()).where(SystemLog.category == "api", SystemLog.url == url)
        return int(conn.execute(query).scalar_one())


def test_live_answers_without_touching_the_database(client: TestClient, db: Database) -> None:
    client.get("/health/live")  # the middleware stack is built on the first request
    with counting_statements(db.engine) as seen:
        response = client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["cache-control"] == "no-store"
    assert len(response.headers["x-request-id"]) == 32
    assert seen.sql == []


def test_ready_reports_each_check_and_skips_what_is_not_configured(client: TestClient) -> None:
    status, body = ready(client)
    assert status == 200, body
    checks = body["checks"]
    assert body["status"] == "ok"
    assert checks["database"]["status"] == "ok"
    assert checks["migrations"] == {
        "status": "ok",
        "current": migrate.head_revision(),
        "head": migrate.head_revision(),
    }
    assert checks["redis"] == {"status": "skipped", "reason": "not_configured"}
    assert checks["storage"] == {"status": "skipped", "reason": "local_storage"}


def test_ready_is_503_naming_migrations_while_the_database_is_behind(
    settings: Settings, db: Database
) -> None:
    head = migrate.head_revision()
    previous = migrate.ordered_revisions()[-2].revision
    with TestClient(create_app(settings, db=db)) as client:
        migrate.downgrade(db, previous)
        status, body = ready(client)
        assert client.get("/health/live").status_code == 200  # alive, just not ready
        migrate.upgrade(db)
        assert ready(client)[0] == 200
    assert status == 503, body
    assert body["code"] == "not_ready"
    assert body["error"] == "Not ready: migrations pending"
    assert body["details"] == [{"check": "migrations", "reason": "pending"}]
    assert body["checks"]["migrations"]["current"] == previous
    assert body["checks"]["migrations"]["head"] == head
    assert body["checks"]["database"]["status"] == "ok"


def test_ready_with_redis_up_and_down(settings: Settings, db: Database) -> None:
    redis_url = _service_url("SONIC_TEST_REDIS_URL", "Redis")
    up = settings.model_copy(update={"redis_url": redis_url})
    with TestClient(create_app(up, db=db)) as client:
        status, body = ready(client)
    assert status == 200, body
    assert body["checks"]["redis"]["status"] == "ok"
    down = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    with TestClient(create_app(down, db=db)) as client:
        status, body = ready(client)
        assert client.get("/health/live").status_code == 200
    assert status == 503, body
    assert body["details"] == [{"check": "redis", "reason": "unreachable"}]
    assert body["checks"]["database"]["status"] == "ok"


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers (a hung dependency)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield int(server.getsockname()[1])


def test_a_hung_dependency_fails_the_probe_within_its_timeout(
    settings: Settings, db: Database, silent_port: int
) -> None:
    """Redis accepts and never answers; its own socket timeout (5 s) is longer than the
    probe's, so it is the probe's timeout that answers: 503, redis ``timeout``."""
    hung = settings.model_copy(
        update={
            "redis_url": f"redis://127.0.0.1:{silent_port}/0",
            "cache_redis_timeout_ms": 5000,
            "health_probe_timeout_ms": 100,
        }
    )
    with TestClient(create_app(hung, db=db)) as client:
        first = ready(client)
        second = ready(client)  # the first PING is still waiting: awaited again, not re-sent
    for status, body in (first, second):
        assert status == 503, body
        assert body["details"] == [{"check": "redis", "reason": "timeout"}]


def test_probes_write_no_system_log_record_and_are_never_cached(
    client: TestClient, db: Database
) -> None:
    for _ in range(3):
        assert client.get("/health/live").status_code == 200
        assert ready(client)[0] == 200
    client.get("/health")  # logged as a routine read: the count below can see a record
    client.app.state.ctx.logs.flush()  # type: ignore[attr-defined]
    assert api_records(db, "/health") == 1
    assert api_records(db, "/health/live") == 0
    assert api_records(db, "/health/ready") == 0
    cached_urls = client.app.state.ctx.cached_urls  # type: ignore[attr-defined]
    assert "/health/live" not in cached_urls and "/health/ready" not in cached_urls


def test_probes_answer_during_maintenance(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock
) -> None:
    admin = bearer_headers(db, settings, clock, "admin")
    turned_on = client.put("/admin/api/settings", json={"maintenance_mode": True}, headers=admin)
    assert turned_on.status_code == 200, turned_on.text
    assert client.get("/api/collections").status_code == 503
    assert client.get("/health/live").status_code == 200
    assert ready(client)[0] == 200


def test_only_get_is_a_probe(client: TestClient) -> None:
    assert client.post("/health/live").status_code == 405
    assert client.post("/health/ready").status_code == 405


def test_ready_checks_s3_when_media_lives_there(
    db_url: str,
    db: Database,
    clock: FrozenClock,
    tmp_path: Path,
    moto_endpoint: str,  # noqa: F811
) -> None:
    s3 = {**S3_KEYS, "media_storage": "s3", "media_s3_path_style": True}
    good = make_settings(
        db_url, **s3, media_s3_endpoint_url=moto_endpoint, media_s3_bucket="probe-bucket"
    )
    with TestClient(create_app(good, db=db, storage=build_test_storage(good, clock))) as client:
        status, body = ready(client)
    assert status == 200, body
    assert body["checks"]["storage"]["status"] == "ok"
    dead = make_settings(
        db_url,
        **s3,
        media_s3_endpoint_url=f"http://127.0.0.1:{free_port()}",
        health_probe_timeout_ms=500,
    )
    with TestClient(create_app(dead, db=db)) as client:
        status, body = ready(client)
    assert status == 503, body
    assert body["details"][0]["check"] == "storage"
    assert body["details"][0]["reason"] in ("unreachable", "timeout")
