"""The session cookies' raw ``Set-Cookie`` headers: ``SameSite=Strict`` in SonicJS's spelling,
from every route that writes or clears them, all through ``api/auth.py``'s helpers."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from sonic_cms.api.app import create_app
from sonic_cms.api.auth import cookie_header
from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from tests.conftest import make_settings
from tests.utils.auth import TEST_PASSWORD, create_random_user

SRC = Path(__file__).resolve().parents[2] / "src" / "sonic_cms"
TOKEN = r"[A-Za-z0-9._~+/=-]+"


def _cookies(response: httpx.Response) -> dict[str, str]:
    """Each Set-Cookie header by cookie name, exactly as sent."""
    return {raw.split("=", 1)[0]: raw for raw in response.headers.get_list("set-cookie")}


def _assert_session_written(response: httpx.Response, settings: Settings) -> None:
    cookies = _cookies(response)
    access = settings.access_token_ttl_seconds
    refresh = settings.refresh_token_ttl_seconds
    assert re.fullmatch(
        rf"auth_token={TOKEN}; HttpOnly; Max-Age={access}; Path=/; SameSite=Strict; Secure",
        cookies["auth_token"],
    ), cookies["auth_token"]
    assert re.fullmatch(
        rf"refresh_token={TOKEN}; HttpOnly; Max-Age={refresh}; Path=/auth; SameSite=Strict; Secure",
        cookies["refresh_token"],
    ), cookies["refresh_token"]


def _assert_session_cleared(response: httpx.Response) -> None:
    expired = "HttpOnly; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0"
    assert _cookies(response) == {
        "auth_token": f"auth_token=; {expired}; Path=/; SameSite=Strict; Secure",
        "refresh_token": f"refresh_token=; {expired}; Path=/auth; SameSite=Strict; Secure",
    }


def test_login_refresh_and_logouts_write_samesite_strict_exactly(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock
):
    user = create_random_user(db, clock, "editor")
    login = client.post("/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
    assert login.status_code == 200
    _assert_session_written(login, settings)
    refresh = client.post("/auth/refresh", json={"refresh_token": login.json()["refresh_token"]})
    assert refresh.status_code == 200
    _assert_session_written(refresh, settings)
    bearer = {"Authorization": f"Bearer {refresh.json()['token']}"}
    logout = client.post("/auth/logout", headers=bearer)
    _assert_session_cleared(logout)
    again = client.post("/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
    everywhere = client.post(
        "/auth/logout-all", headers={"Authorization": f"Bearer {again.json()['token']}"}
    )
    assert everywhere.status_code == 200
    _assert_session_cleared(everywhere)


def test_registration_writes_samesite_strict_exactly(db_url: str, db: Database, clock: FrozenClock):
    settings = make_settings(db_url, registration_enabled=True)
    with TestClient(create_app(settings, db=db, clock=clock)) as client:
        response = client.post(
            "/auth/register",
            json={
                "email": "new-reader@example.com",
                "password": TEST_PASSWORD,
                "username": "new_reader",
                "firstName": "New",
                "lastName": "Reader",
            },
        )
    assert response.status_code == 201, response.text
    _assert_session_written(response, settings)


def test_secure_follows_the_setting(db_url: str, db: Database, clock: FrozenClock):
    settings = make_settings(db_url, auth_cookie_secure=False)
    user = create_random_user(db, clock)
    with TestClient(create_app(settings, db=db, clock=clock)) as client:
        login = client.post("/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
    assert _cookies(login)["auth_token"].endswith("; Path=/; SameSite=Strict")


@pytest.mark.parametrize("value", ["a;b", "a b", "a\r\nSet-Cookie: x=1", 'a"b', "a,b"])
def test_a_value_that_could_split_the_header_is_refused(value: str):
    with pytest.raises(ValueError, match="cookie value"):
        cookie_header("auth_token", value, max_age=60, path="/", secure=True)


def test_no_other_module_writes_cookies():
    """Every Set-Cookie goes through api/auth.py, so none can drift from SameSite=Strict."""
    writers = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path != SRC / "api" / "auth.py"
        and re.search(r"\.(set_cookie|delete_cookie)\(|[\"']set-cookie[\"']", path.read_text())
    ]
    assert writers == []
