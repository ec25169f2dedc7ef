"""Session management: list one's sessions, sign one out, sign out everywhere; admin tools."""

from __future__ import annotations

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import update

from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import User
from tests.utils.auth import TEST_PASSWORD, create_random_user, headers_for


def sign_in(client: TestClient, email: str) -> dict[str, str]:
    response = client.post(
        "/auth/login",
        json={"email": email, "password": TEST_PASSWORD},
        headers={"User-Agent": "phone"},
    )
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_list_and_revoke_one_session(client: TestClient, db: Database, clock: FrozenClock):
    user = create_random_user(db, clock)
    laptop = sign_in(client, user.email)
    phone = sign_in(client, user.email)
    listed = client.get("/auth/sessions", headers=laptop).json()["data"]
    assert len(listed) == 2 and sum(s["current"] for s in listed) == 1
    assert all(s["user_agent"] == "phone" for s in listed)
    assert not any("refresh" in key or "hash" in key for s in listed for key in s)
    other = next(s for s in listed if not s["current"])
    assert client.delete(f"/auth/sessions/{other['id']}", headers=laptop).status_code == 200
    assert client.get("/auth/me", headers=phone).status_code == 401
    assert client.get("/auth/me", headers=laptop).status_code == 200


def test_cannot_revoke_someone_elses_session(client: TestClient, db: Database, clock: FrozenClock):
    victim = create_random_user(db, clock)
    victim_headers = sign_in(client, victim.email)
    victim_session = client.get("/auth/sessions", headers=victim_headers).json()["data"][0]["id"]
    attacker = sign_in(client, create_random_user(db, clock).email)
    assert client.delete(f"/auth/sessions/{victim_session}", headers=attacker).status_code == 404
    assert client.get("/auth/me", headers=victim_headers).status_code == 200


def test_logout_all(client: TestClient, db: Database, clock: FrozenClock):
    user = create_random_user(db, clock)
    first, second = sign_in(client, user.email), sign_in(client, user.email)
    assert client.post("/auth/logout-all", headers=first).status_code == 200
    assert client.get("/auth/me", headers=first).status_code == 401
    assert client.get("/auth/me", headers=second).status_code == 401


def test_admin_revokes_sessions_and_resets_2fa(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock
):
    admin = headers_for(db, settings, clock, create_random_user(db, clock, "admin"))
    user = create_random_user(db, clock, "editor")
    user_headers = sign_in(client, user.email)
    with db.write() as conn:
        conn.execute(
            update(User)
            .where(User.id == user.id)
            .values(two_factor_enabled=True, two_factor_secret=pyotp.random_base32())
        )
    needs_code = client.post("/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
    assert needs_code.json()["code"] == "two_factor_required"
    assert (
        client.post(f"/admin/api/users/{user.id}/revoke-sessions", headers=admin).status_code == 200
    )
    assert client.get("/auth/me", headers=user_headers).status_code == 401
    assert client.post(f"/admin/api/users/{user.id}/reset-2fa", headers=admin).status_code == 200
    assert (
        client.post(
            "/auth/login", json={"email": user.email, "password": TEST_PASSWORD}
        ).status_code
        == 200
    )
    assert client.post("/admin/api/users/nobody/reset-2fa", headers=admin).status_code == 404
