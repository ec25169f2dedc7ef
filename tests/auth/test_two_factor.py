"""TOTP: enrol, confirm, required at login, disable with a current code; the secret stays put."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import select

from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import User
from tests.utils.auth import TEST_PASSWORD, create_random_user, headers_for


def code_at(secret: str, clock: FrozenClock) -> str:
    return pyotp.TOTP(secret).at(clock.now_ms() // 1000)


def enrol(client: TestClient, headers: dict[str, str], clock: FrozenClock) -> str:
    response = client.post("/auth/2fa/enroll", headers=headers)
    assert response.status_code == 200
    uri = response.json()["data"]["provisioning_uri"]
    assert uri.startswith("otpauth://totp/") and "issuer=sonic-cms" in uri
    secret = parse_qs(urlsplit(uri).query)["secret"][0]
    confirmed = client.post(
        "/auth/2fa/confirm", json={"code": code_at(secret, clock)}, headers=headers
    )
    assert confirmed.status_code == 200
    return secret


def test_login_requires_a_current_code_once_enabled(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock
):
    user = create_random_user(db, clock, "editor")
    secret = enrol(client, headers_for(db, settings, clock, user), clock)
    creds = {"email": user.email, "password": TEST_PASSWORD}
    missing = client.post("/auth/login", json=creds)
    assert missing.status_code == 401 and missing.json()["code"] == "two_factor_required"
    wrong = client.post("/auth/login", json={**creds, "code": "000000"})
    assert wrong.status_code == 401
    clock.advance(30_000)  # the enrolment code's step is used up; take the next one
    ok = client.post("/auth/login", json={**creds, "code": code_at(secret, clock)})
    assert ok.status_code == 200
    replay = client.post("/auth/login", json={**creds, "code": code_at(secret, clock)})
    assert replay.status_code == 401 and replay.json()["code"] == "invalid_two_factor_code"
    assert ok.json()["user"]["two_factor_enabled"] is True
    assert secret not in ok.text
    me = client.get("/auth/me", headers={"Authorization": f"Bearer {ok.json()['token']}"})
    assert secret not in me.text and "two_factor_secret" not in me.json()["user"]
    clock.advance(5 * 60 * 1000)  # old codes die
    stale = client.post(
        "/auth/login",
        json={**creds, "code": code_at(secret, FrozenClock(clock.now_ms() - 5 * 60 * 1000))},
    )
    assert stale.status_code == 401


def test_confirm_needs_a_valid_code_and_enrol_twice_is_409(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock
):
    user = create_random_user(db, clock)
    headers = headers_for(db, settings, clock, user)
    client.post("/auth/2fa/enroll", headers=headers)
    bad = client.post("/auth/2fa/confirm", json={"code": "123456"}, headers=headers)
    assert bad.status_code == 422
    with db.read() as conn:
        enabled = conn.execute(select(User.two_factor_enabled).where(User.id == user.id)).scalar()
    assert enabled is False
    enrol(client, headers, clock)
    assert client.post("/auth/2fa/enroll", headers=headers).status_code == 409


def test_disable_needs_a_current_code(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock
):
    user = create_random_user(db, clock)
    headers = headers_for(db, settings, clock, user)
    secret = enrol(client, headers, clock)
    clock.advance(30_000)  # the enrolment code is used up
    assert (
        client.post("/auth/2fa/disable", json={"code": "000000"}, headers=headers).status_code
        == 422
    )
    off = client.post("/auth/2fa/disable", json={"code": code_at(secret, clock)}, headers=headers)
    assert off.status_code == 200
    login = client.post("/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
    assert login.status_code == 200
    with db.read() as conn:
        stored = conn.execute(select(User.two_factor_secret).where(User.id == user.id)).scalar()
    assert stored is None


def test_2fa_needs_a_signed_in_user(client: TestClient):
    assert client.post("/auth/2fa/enroll").status_code == 401
