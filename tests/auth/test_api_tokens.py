"""API tokens: format, digest storage, subset rule, revocation, expiry, owner changes."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sonic_cms.actors import SYSTEM
from sonic_cms.auth import api_tokens, roles, user_admin
from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import ApiToken
from tests.utils.auth import create_random_user, headers_for


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_token(client, headers, permissions, **extra):
    return client.post(
        "/api/tokens", json={"name": "ci", "permissions": permissions, **extra}, headers=headers
    )


def test_token_shown_once_and_stored_as_keyed_digest(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock
):
    editor = create_random_user(db, clock, "editor")
    created = make_token(client, headers_for(db, settings, clock, editor), ["content.read"])
    assert created.status_code == 201, created.text
    secret = created.json()["data"]["token"]
    assert secret.startswith("sonic_") and api_tokens.is_well_formed(secret)
    with db.read() as conn:
        stored = conn.execute(select(ApiToken.token)).scalar_one()
    assert secret not in stored and len(stored) == 64
    listed = client.get("/api/tokens", headers=headers_for(db, settings, clock, editor)).json()
    assert listed["data"][0]["name"] == "ci"
    assert "token" not in listed["data"][0] and secret not in str(listed)
    me = client.get("/auth/me", headers=bearer(secret))
    assert me.status_code == 200 and me.json()["user"]["id"] == editor.id


def test_malformed_tokens_are_refused_without_lookup(client: TestClient):
    good = api_tokens.generate_token()
    bad_checksum = good[:-1] + ("A" if good[-1] != "A" else "B")
    for value in (bad_checksum, "sonic_short", "sonic_" + "!" * 46, good + "x"):
        assert not api_tokens.is_well_formed(value)
        assert client.get("/auth/me", headers=bearer(value)).status_code == 401
    # well formed but unknown
    assert client.get("/auth/me", headers=bearer(good)).status_code == 401


def test_token_permissions_must_be_a_subset(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock
):
    author = headers_for(db, settings, clock, create_random_user(db, clock, "author"))
    response = make_token(client, author, ["content.read", "content.publish", "users.delete"])
    assert response.status_code == 403 and response.json()["code"] == "token_escalation"
    assert sorted(d["message"] for d in response.json()["details"]) == [
        "content.publish",
        "users.delete",
    ]
    viewer = headers_for(db, settings, clock, create_random_user(db, clock, "viewer"))
    assert make_token(client, viewer, ["content.read"]).status_code == 403  # no api_tokens.create


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "permissions": "content.read"},
        {"name": {}, "permissions": []},
        {"name": "x", "permissions": [1]},
        {"name": "x", "permissions": ["a"], "expires_at": "soon"},
        {"name": "x", "permissions": ["a"], "extra": 1},
    ],
)
def test_strict_token_bodies(client: TestClient, db, settings, clock, body):
    editor = headers_for(db, settings, clock, create_random_user(db, clock, "editor"))
    assert client.post("/api/tokens", json=body, headers=editor).status_code == 422


def test_revoked_token_gets_401(client: TestClient, db: Database, settings, clock: FrozenClock):
    editor = headers_for(db, settings, clock, create_random_user(db, clock, "editor"))
    data = make_token(client, editor, ["content.read"]).json()["data"]
    assert client.get("/auth/me", headers=bearer(data["token"])).status_code == 200
    assert client.delete(f"/api/tokens/{data['id']}", headers=editor).status_code == 200
    assert client.get("/auth/me", headers=bearer(data["token"])).status_code == 401


def test_others_cannot_revoke_my_token_but_admin_can(
    client: TestClient, db: Database, settings, clock: FrozenClock
):
    mine = headers_for(db, settings, clock, create_random_user(db, clock, "editor"))
    token_id = make_token(client, mine, ["content.read"]).json()["data"]["id"]
    other = headers_for(db, settings, clock, create_random_user(db, clock, "editor"))
    assert client.delete(f"/api/tokens/{token_id}", headers=other).status_code == 404
    admin = headers_for(db, settings, clock, create_random_user(db, clock, "admin"))
    assert len(client.get("/api/tokens?all=true", headers=admin).json()["data"]) == 1
    assert client.get("/api/tokens?all=true", headers=other).status_code == 403
    assert client.delete(f"/api/tokens/{token_id}", headers=admin).status_code == 200


def test_expired_token_gets_401(client: TestClient, db: Database, settings, clock: FrozenClock):
    editor = headers_for(db, settings, clock, create_random_user(db, clock, "editor"))
    past = make_token(client, editor, ["content.read"], expires_at=clock.now_ms() - 1)
    assert past.status_code == 422
    secret = make_token(client, editor, ["content.read"], expires_at=clock.now_ms() + 60_000)
    token = secret.json()["data"]["token"]
    assert client.get("/auth/me", headers=bearer(token)).status_code == 200
    clock.advance(60_000)
    assert client.get("/auth/me", headers=bearer(token)).status_code == 401


def test_token_shrinks_with_owner_and_dies_with_deactivation(
    ctx: Context, db: Database, clock: FrozenClock
):
    owner = create_random_user(db, clock, "editor")
    system = ctx.acting_as(SYSTEM)
    _, secret = api_tokens.create_token(
        system,
        name="t",
        permissions=["content.publish", "content.read"],
        user_id=owner.id,
    )
    actor = api_tokens.resolve_token(ctx, secret).actor
    assert actor.kind == "token" and actor.can("content.publish")
    assert not actor.can("users.read")  # never more than the token names
    roles.revoke(system, role="editor", permission="content.publish")
    assert not api_tokens.resolve_token(ctx, secret).actor.can("content.publish")
    user_admin.deactivate_user(system, owner.id)
    from sonic_cms.errors import Unauthorized

    with pytest.raises(Unauthorized):
        api_tokens.resolve_token(ctx, secret)


def test_last_used_at_is_throttled(
    client: TestClient, ctx: Context, db: Database, settings: Settings, clock: FrozenClock
):
    owner = create_random_user(db, clock, "editor")
    row, secret = api_tokens.create_token(
        ctx.acting_as(SYSTEM), name="t", permissions=["content.read"], user_id=owner.id
    )

    def last_used() -> int | None:
        with db.read() as conn:
            return conn.execute(
                select(ApiToken.last_used_at).where(ApiToken.id == row["id"])
            ).scalar_one()

    def written(expected: int) -> int | None:
        """last_used_at once the background writer has had time to write ``expected``."""
        deadline = time.monotonic() + 10
        while last_used() != expected and time.monotonic() < deadline:
            time.sleep(0.05)
        return last_used()

    pending = client.app.state.ctx.token_touches  # type: ignore[attr-defined]
    assert last_used() is None
    assert client.get("/auth/me", headers=bearer(secret)).status_code == 200
    first = clock.now_ms()
    assert written(first) == first  # by the background writer, not the request
    clock.advance(1000)
    assert client.get("/auth/me", headers=bearer(secret)).status_code == 200
    assert len(pending) == 0  # within the interval: nothing queued
    assert last_used() == first
    clock.advance(settings.api_token_touch_interval_seconds * 1000)
    assert client.get("/auth/me", headers=bearer(secret)).status_code == 200
    assert written(clock.now_ms()) == clock.now_ms()


def test_tokens_cannot_mint_tokens(client: TestClient, ctx: Context, db, clock: FrozenClock):
    owner = create_random_user(db, clock, "editor")
    _, secret = api_tokens.create_token(
        ctx.acting_as(SYSTEM),
        name="t",
        permissions=["api_tokens.create", "content.read"],
        user_id=owner.id,
    )
    response = make_token(client, bearer(secret), ["content.read"])
    assert response.status_code == 403


def test_absurd_expiry_is_422_not_500(client: TestClient, db, settings, clock: FrozenClock):
    editor = headers_for(db, settings, clock, create_random_user(db, clock, "editor"))
    response = make_token(client, editor, ["content.read"], expires_at=10**30)
    assert response.status_code == 422
