"""The site settings (issue 16): ``GET``/``PUT /admin/api/settings`` on both engines, their
validation (422, nothing written), the audit entry, registration's saved value beating the
environment, and maintenance mode (503 + Retry-After to all but admins; health and sign-in
open). The response cache and the cross-process invalidation run against a real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sonic_cms.api.app import create_app
from sonic_cms.clock import FrozenClock
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Setting, SystemLog
from sonic_cms.runtime import build_runtime
from sonic_cms.site_settings import store as site_settings
from tests.conftest import make_settings
from tests.utils.auth import (
    TEST_PASSWORD,
    bearer_headers,
    create_random_user,
    headers_for,
    registration_body,
)
from tests.utils.live_server import live_server

URL = "/admin/api/settings"


def make_client(db_url: str, db: Database, clock: FrozenClock, **overrides: Any) -> TestClient:
    return TestClient(create_app(make_settings(db_url, **overrides), db=db, clock=clock))


@pytest.fixture
def app(db_url: str, db: Database, clock: FrozenClock) -> Iterator[TestClient]:
    with make_client(db_url, db, clock) as client:
        yield client


@pytest.fixture
def admin(app: TestClient, db: Database, clock: FrozenClock) -> dict[str, str]:
    return bearer_headers(db, app.app.state.ctx.settings, clock, "admin")


def counts(db: Database) -> tuple[int, int]:
    with db.read() as conn:
        rows = conn.execute(select(func.count()).select_from(Setting)).scalar_one()
        logs = conn.execute(
            select(func.count()).select_from(SystemLog).where(SystemLog.category == "system")
        ).scalar_one()
    return rows, logs


def test_defaults_before_anything_is_saved(app: TestClient, admin: dict[str, str]):
    answer = app.get(URL, headers=admin)
    assert answer.status_code == 200
    assert answer.json() == {
        "data": {
            "site_name": "sonic-cms",
            "site_description": "",
            "timezone": "UTC",
            "registration_enabled": False,
            "maintenance_mode": False,
            "saved": [],
        }
    }


def test_a_save_writes_sonicjs_rows_and_one_audit_entry(
    app: TestClient, admin: dict[str, str], db: Database
):
    body = {"siteName": "Ünïcode 🚀 site", "site_description": "News", "timezone": "Europe/Paris"}
    answer = app.put(URL, json=body, headers=admin)
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    assert data["site_name"] == "Ünïcode 🚀 site" and data["timezone"] == "Europe/Paris"
    assert data["saved"] == ["site_description", "site_name", "timezone"]
    with db.read() as conn:
        rows = {
            (r.category, r.key): r.value
            for r in conn.execute(select(Setting.category, Setting.key, Setting.value))
        }
        log = conn.execute(select(SystemLog).where(SystemLog.category == "system")).one()
    assert rows == {
        ("general", "siteName"): "Ünïcode 🚀 site",
        ("general", "siteDescription"): "News",
        ("general", "timezone"): "Europe/Paris",
    }
    assert log.user_id is not None and "site_name" in log.message
    assert log.data["changes"]["timezone"] == {"from": "UTC", "to": "Europe/Paris", "saved": True}
    # saving the same values again changes nothing and writes no second entry
    assert app.put(URL, json=body, headers=admin).status_code == 200
    assert counts(db) == (3, 1)
    assert app.get(URL, headers=admin).json()["data"] == data


BAD_BODIES = [
    ({"zz_not_a_setting": 1}, "zz_not_a_setting"),
    ({"site_name": "ok", "colour": "red"}, "colour"),
    ({"site_name": ""}, "site_name"),
    ({"site_name": "x" * 101}, "site_name"),
    ({"site_name": "bad\x07bell"}, "site_name"),
    ({"site_name": 5}, "site_name"),
    ({"site_description": "y" * 501}, "site_description"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"timezone": "'; DROP TABLE settings; --"}, "timezone"),
    ({"maintenance_mode": "true"}, "maintenance_mode"),
    ({"maintenance_mode": 1}, "maintenance_mode"),
    ({"registration_enabled": "yes"}, "registration_enabled"),
    ({"site_name": "a", "siteName": "b"}, "site_name"),
]


@pytest.mark.parametrize(("body", "path"), BAD_BODIES)
def test_bad_values_are_422_and_nothing_is_saved(
    app: TestClient, admin: dict[str, str], db: Database, body: dict[str, Any], path: str
):
    sent = body if "maintenance_mode" in body else {**body, "maintenance_mode": True}
    answer = app.put(URL, json=sent, headers=admin)
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "validation_failed"
    assert path in [d["path"] for d in answer.json()["details"]]
    assert counts(db) == (0, 0)
    assert app.get("/api/content").status_code == 200  # maintenance was not turned on


@pytest.mark.parametrize("raw", ["[]", '"text"', "not json", "null"])
def test_a_body_that_is_not_an_object_is_refused(app: TestClient, admin: dict[str, str], raw):
    answer = app.put(URL, content=raw, headers={**admin, "Content-Type": "application/json"})
    assert answer.status_code in (400, 422)
    assert answer.json()["code"] in ("validation_failed", "invalid_json", "bad_request")


def test_permissions(app: TestClient, db: Database, clock: FrozenClock):
    settings = app.app.state.ctx.settings
    editor = bearer_headers(db, settings, clock, "editor")
    assert app.get(URL).status_code == 401
    assert app.get(URL, headers=editor).status_code == 403
    assert app.put(URL, json={"site_name": "Mine"}, headers=editor).status_code == 403
    assert counts(db) == (0, 0)


@pytest.mark.parametrize("environment", [False, True])
def test_the_saved_registration_setting_beats_the_environment(
    db_url: str, db: Database, clock: FrozenClock, environment: bool
):
    with make_client(db_url, db, clock, registration_enabled=environment) as client:
        admin = bearer_headers(db, client.app.state.ctx.settings, clock, "admin")

        def register(name: str) -> int:
            body = registration_body(f"{name}@example.com", name)
            return client.post("/auth/register", json=body).status_code

        assert register("first") == (201 if environment else 403)
        saved = client.put(URL, json={"registration_enabled": not environment}, headers=admin)
        assert saved.json()["data"]["registration_enabled"] is (not environment)
        assert register("second") == (403 if environment else 201)
        # null hands the decision back to the environment
        cleared = client.put(URL, json={"registrationEnabled": None}, headers=admin)
        assert cleared.json()["data"]["saved"] == []
        assert register("third") == (201 if environment else 403)


def test_maintenance_mode_refuses_all_but_admins(
    app: TestClient, admin: dict[str, str], db: Database, clock: FrozenClock
):
    settings = app.app.state.ctx.settings
    editor = bearer_headers(db, settings, clock, "editor")
    assert app.put(URL, json={"maintenance_mode": True}, headers=admin).status_code == 200
    refused = app.get("/api/content")
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == str(settings.maintenance_retry_after_seconds)
    assert refused.json()["code"] == "maintenance"
    assert app.get("/api/content", headers=editor).status_code == 503
    assert app.get("/api/collections", headers={"Authorization": "Bearer junk"}).status_code == 503
    assert app.get("/api/content", headers=admin).status_code == 200
    # health and sign-in stay open
    assert app.get("/health").status_code == 200
    assert app.get("/api/system/health").status_code == 200
    user = create_random_user(db, clock, "admin")
    login = app.post("/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
    assert login.status_code == 200
    # a signed-out visitor asking for an admin page goes to sign in; the sign-in page answers
    page = app.get("/admin/content", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/auth/refresh")
    assert app.get("/admin/login").status_code == 200
    # turned off, everyone is served again
    assert app.put(URL, json={"maintenance_mode": False}, headers=admin).status_code == 200
    assert app.get("/api/content").status_code == 200


def test_an_admin_signed_in_by_cookie_passes(db_url: str, db: Database, clock: FrozenClock):
    with make_client(db_url, db, clock, auth_cookie_secure=False) as app:
        user = create_random_user(db, clock, "admin")
        admin = headers_for(db, app.app.state.ctx.settings, clock, user)
        assert app.put(URL, json={"maintenance_mode": True}, headers=admin).status_code == 200
        login = app.post("/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
        assert login.status_code == 200 and app.cookies.get("auth_token")
        assert app.get("/api/content").status_code == 200
        app.cookies.clear()
        assert app.get("/api/content").status_code == 503


def test_a_database_without_the_settings_table_is_not_in_maintenance(empty_db_url: str):
    """Before migrations ran, requests reach their routes (health says what is wrong)."""
    settings = make_settings(empty_db_url)
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").status_code == 503
        assert client.get("/api/system/ping").status_code == 200


def test_the_cache_serves_nothing_in_maintenance_and_other_processes_see_it_at_once(
    db_url: str, db: Database, tmp_path: Path, clock: FrozenClock
):
    """A real server: its response cache answers a HIT, then nothing while maintenance is on;
    this process's cached settings follow the server's save without waiting for the TTL."""
    runtime = build_runtime(make_settings(db_url, site_settings_cache_ttl_seconds=3600))
    try:
        ctx = runtime.context
        assert site_settings.current(ctx).maintenance_mode is False  # cached here for an hour
        with live_server(db_url, tmp_path) as server:
            user = create_random_user(db, clock, "admin")
            with httpx.Client(base_url=server.url, timeout=20) as http:
                token = http.post(
                    "/auth/login", json={"email": user.email, "password": TEST_PASSWORD}
                ).json()["token"]
                admin = {"Authorization": f"Bearer {token}"}
                http.get("/api/collections")
                assert http.get("/api/collections").headers["x-cache-status"] == "HIT"
                saved = http.put(URL, json={"maintenance_mode": True}, headers=admin)
                assert saved.status_code == 200, saved.text
                anonymous = http.get("/api/collections")
                assert anonymous.status_code == 503 and "x-cache-status" not in anonymous.headers
                assert (
                    http.get("/api/collections", headers=admin).headers["x-cache-status"] == "MISS"
                )
                assert site_settings.current(ctx).maintenance_mode is True
                http.put(URL, json={"maintenance_mode": False}, headers=admin)
                assert http.get("/api/collections").status_code == 200
    finally:
        runtime.close()
