"""CORS: SonicJS's ``*`` on the public API by default, credentials only for listed origins,
preflights answered, and the same-origin check on cookie writes untouched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from sonic_cms.api.app import create_app
from sonic_cms.clock import FrozenClock
from sonic_cms.db.engine import Database
from tests.conftest import make_settings
from tests.utils.auth import TEST_PASSWORD, create_random_user
from tests.utils.live_server import live_server

APP = "https://app.example.com"
EVIL = "https://evil.example"


@pytest.fixture
def cors_client(
    request: pytest.FixtureRequest, db_url: str, db: Database, clock: FrozenClock
) -> Iterator[TestClient]:
    """A client of an app built with ``cors_origins`` = the test's parameter."""
    settings = make_settings(db_url, cors_origins=request.param)
    with TestClient(create_app(settings, db=db, clock=clock)) as client:
        yield client


def preflight(client: TestClient, path: str, origin: str, method: str = "POST") -> httpx.Response:
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "content-type,authorization",
        },
    )


def test_default_answers_any_origin_with_star_and_never_credentials(client: TestClient):
    response = client.get("/api/collections", headers={"Origin": EVIL})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers
    assert "ETag" in response.headers["access-control-expose-headers"]
    with_cookie = client.get(
        "/api/collections", headers={"Origin": EVIL, "Cookie": "auth_token=whatever"}
    )
    assert "access-control-allow-credentials" not in with_cookie.headers


def test_default_answers_vary_on_origin_with_or_without_one(client: TestClient):
    """A shared cache must not serve the answer made for a request without ``Origin`` (no CORS
    headers) to a browser page: every public API answer says it varies on ``Origin``."""
    for headers in ({"Origin": EVIL}, {}):
        response = client.get("/api/collections", headers=headers)
        assert "Origin" in response.headers.get("vary", ""), headers
    assert "vary" not in client.get("/health").headers


def test_default_preflight_is_answered_on_the_public_api(client: TestClient):
    response = preflight(client, "/api/content", EVIL)
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "PATCH" in response.headers["access-control-allow-methods"]
    assert "Authorization" in response.headers["access-control-allow-headers"]
    assert response.headers["access-control-max-age"] == "600"
    assert "access-control-allow-credentials" not in response.headers
    assert preflight(client, "/api", EVIL, "GET").status_code == 204


def test_default_has_no_cors_outside_the_public_api(client: TestClient):
    """SonicJS puts CORS on /api only: /auth, /admin and /health answer no CORS header."""
    for path in ("/auth/login", "/admin/api/collections", "/health"):
        assert "access-control-allow-origin" not in preflight(client, path, EVIL).headers
        response = client.get(path, headers={"Origin": EVIL})
        assert "access-control-allow-origin" not in response.headers, path


def test_cached_answers_carry_cors_too(client: TestClient):
    client.get("/api/collections")
    hit = client.get("/api/collections", headers={"Origin": EVIL})
    assert hit.headers["x-cache-status"] == "HIT"
    assert hit.headers["access-control-allow-origin"] == "*"


def test_media_files_answer_cors_as_sonicjs_does(client: TestClient):
    response = client.get("/files/no-such-object.png", headers={"Origin": EVIL})
    assert response.status_code == 404
    assert response.headers["access-control-allow-origin"] == "*"


def test_errors_carry_cors_so_pages_can_read_them(client: TestClient):
    response = client.get("/api/collections/nope", headers={"Origin": EVIL})
    assert response.status_code == 404
    assert response.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize("cors_client", [f"*,{APP}"], indirect=True)
def test_listed_origin_gets_credentials_others_only_star(cors_client: TestClient):
    listed = cors_client.get("/api/collections", headers={"Origin": APP})
    assert listed.headers["access-control-allow-origin"] == APP
    assert listed.headers["access-control-allow-credentials"] == "true"
    assert "Origin" in listed.headers["vary"]
    other = cors_client.get(
        "/api/collections", headers={"Origin": EVIL, "Cookie": "auth_token=whatever"}
    )
    assert other.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in other.headers
    assert "Origin" in other.headers["vary"]
    shouted = cors_client.get("/api/collections", headers={"Origin": APP.upper()})
    assert shouted.headers["access-control-allow-origin"] == APP  # the canonical form
    listed_preflight = preflight(cors_client, "/api/content", APP)
    assert listed_preflight.status_code == 204
    assert listed_preflight.headers["access-control-allow-credentials"] == "true"
    assert "access-control-allow-credentials" not in preflight(cors_client, "/api", EVIL).headers


@pytest.mark.parametrize("cors_client", [APP], indirect=True)
def test_only_listed_origins_when_star_is_not_configured(cors_client: TestClient):
    assert "access-control-allow-origin" not in preflight(cors_client, "/api/content", EVIL).headers
    response = cors_client.get("/api/collections", headers={"Origin": EVIL})
    assert "access-control-allow-origin" not in response.headers
    auth = preflight(cors_client, "/auth/login", APP)
    assert auth.status_code == 204
    assert auth.headers["access-control-allow-origin"] == APP
    assert auth.headers["access-control-allow-credentials"] == "true"
    assert "access-control-allow-origin" not in preflight(cors_client, "/auth/login", EVIL).headers


@pytest.mark.parametrize("cors_client", [""], indirect=True)
def test_empty_setting_turns_cors_off(cors_client: TestClient):
    response = cors_client.get("/api/collections", headers={"Origin": EVIL})
    assert "access-control-allow-origin" not in response.headers
    assert preflight(cors_client, "/api/content", EVIL).status_code == 405


@pytest.mark.parametrize("cors_client", [f"*,{APP}"], indirect=True)
def test_cors_does_not_lift_the_same_origin_check_on_cookie_writes(
    cors_client: TestClient, db: Database, clock: FrozenClock
):
    user = create_random_user(db, clock, "admin")
    login = cors_client.post("/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
    cookie = {"Cookie": f"auth_token={login.json()['token']}"}
    for origin in (APP, EVIL):
        response = cors_client.post(
            "/admin/api/collections",
            json={"name": "blocked", "displayName": "Blocked"},
            headers={**cookie, "Origin": origin},
        )
        assert response.status_code == 403, origin
        assert response.json()["code"] == "csrf_failed"
    assert cors_client.get("/api/collections/blocked").status_code == 404
    write = cors_client.post(
        "/api/content",
        json={"collectionId": "nope", "title": "x"},
        headers={**cookie, "Origin": APP},
    )
    assert write.status_code == 403 and write.json()["code"] == "csrf_failed"
    assert write.headers["access-control-allow-credentials"] == "true"  # the page reads why


@pytest.mark.parametrize("value", ["ftp://x.example", "not an origin", "https://"])
def test_a_bad_cors_origin_is_refused_at_start(db_url: str, value: str):
    with pytest.raises(ValidationError, match="cors_origins"):
        make_settings(db_url, cors_origins=value)


def test_cors_over_real_http(db_url: str, tmp_path: Path):
    with live_server(db_url, tmp_path, cors_origins=f"*,{APP}") as server:
        ask = {"Origin": EVIL, "Access-Control-Request-Method": "GET"}
        answer = httpx.options(f"{server.url}/api/collections", headers=ask, timeout=10)
        assert answer.status_code == 204
        assert answer.headers["access-control-allow-origin"] == "*"
        simple = httpx.get(f"{server.url}/api/collections", headers={"Origin": APP}, timeout=10)
        assert simple.headers["access-control-allow-origin"] == APP
        assert simple.headers["access-control-allow-credentials"] == "true"
        unlisted = httpx.get(
            f"{server.url}/api/collections",
            headers={"Origin": EVIL, "Cookie": "auth_token=x"},
            timeout=10,
        )
        assert unlisted.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in unlisted.headers
