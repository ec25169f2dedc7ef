"""Sign-in, refresh, logout and /auth/me over bearer and cookie, and the JWT attack list."""

from __future__ import annotations

import warnings

import jwt
import pytest
from fastapi.testclient import TestClient

from sonic_cms.auth.access_tokens import ALGORITHM, AUDIENCE, ISSUER
from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from tests.utils.auth import TEST_PASSWORD, create_random_user

SECRET_KEYS = {
    "password_hash",
    "two_factor_secret",
    "password_reset_token",
    "email_verification_token",
    "invitation_token",
    "password_reset_expires",
}


def login(client: TestClient, identifier: str, password: str = TEST_PASSWORD, **extra: object):
    return client.post("/auth/login", json={"email": identifier, "password": password, **extra})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"auth_token={token}"}


def test_login_returns_user_token_and_strict_httponly_cookie(
    client: TestClient, db: Database, clock: FrozenClock
):
    user = create_random_user(db, clock, "editor")
    response = login(client, user.email.upper())  # email matched case-insensitively
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["id"] == user.id and body["user"]["role"] == "editor"
    assert body["user"]["firstName"] == user.first_name
    assert not SECRET_KEYS & body["user"].keys()
    set_cookie = "; ".join(response.headers.get_list("set-cookie")).lower()
    assert "auth_token=" in set_cookie and "httponly" in set_cookie
    assert "samesite=strict" in set_cookie and "secure" in set_cookie
    me = client.get("/auth/me", headers=bearer(body["token"]))
    assert me.status_code == 200 and me.json()["user"]["email"] == user.email
    assert not SECRET_KEYS & me.json()["user"].keys()
    assert client.get("/auth/me", headers=cookie(body["token"])).status_code == 200


def test_login_by_username_and_last_login_recorded(
    client: TestClient, db: Database, clock: FrozenClock
):
    user = create_random_user(db, clock)
    response = client.post(
        "/auth/login", json={"username": user.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 200
    assert response.json()["user"]["last_login_at"] == clock.now_ms()


def test_unknown_user_and_wrong_password_get_identical_answers(
    client: TestClient, db: Database, clock: FrozenClock
):
    user = create_random_user(db, clock)
    wrong = login(client, user.email, "wrong password!")
    unknown = login(client, "nobody@example.com", "wrong password!")
    assert wrong.status_code == unknown.status_code == 401
    assert (
        wrong.json()
        == unknown.json()
        == {"error": "Invalid email or password", "code": "invalid_credentials", "details": []}
    )


def test_inactive_user_is_refused(client: TestClient, db: Database, clock: FrozenClock):
    from sqlalchemy import update

    from sonic_cms.db.schema import User

    user = create_random_user(db, clock)
    with db.write() as conn:
        conn.execute(update(User).where(User.id == user.id).values(is_active=False))
    assert login(client, user.email).status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"email": "a@example.com"},
        {"email": {"$ne": 1}, "password": "x"},
        {"email": "a@example.com", "password": ["x"]},
        {"password": "x"},
    ],
)
def test_login_validation_is_400_with_sonicjs_shape(client: TestClient, body: object):
    response = client.post("/auth/login", json=body)
    assert response.status_code == 400
    assert response.json()["error"] == "Validation failed" and response.json()["details"]


@pytest.mark.parametrize("raw", [b"{not json", b"[]", b'"x"'])
@pytest.mark.parametrize("path", ["/auth/login", "/api/content"])
def test_a_malformed_or_non_object_body_is_one_error_everywhere(
    client: TestClient, path: str, raw: bytes
):
    """One body reader: the sign-in route and the content route answer the same fault alike."""
    response = client.post(path, content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_json"
    assert response.json()["details"][0]["path"] == "body"


def test_form_login_works_like_sonicjs_pages(client: TestClient, db: Database, clock: FrozenClock):
    user = create_random_user(db, clock)
    response = client.post("/auth/login", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 200


def test_a_form_body_follows_the_body_rule(client: TestClient, db: Database, clock: FrozenClock):
    """A file part is judged like any field (before: silently dropped) and a field given twice
    is refused (before: the last one won), so a form cannot smuggle what JSON may not."""
    user = create_random_user(db, clock)
    fields = {"email": user.email, "password": TEST_PASSWORD}
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)  # the parsed form is closed
        stray = client.post("/auth/login", data=fields, files={"bogus": ("a.txt", b"x")})
    assert stray.status_code == 422
    assert [d["path"] for d in stray.json()["details"]] == ["bogus"]
    as_file = client.post(
        "/auth/login", data={"email": user.email}, files={"password": ("p.txt", b"x")}
    )
    assert as_file.status_code == 400 and as_file.json()["details"][0]["path"] == "password"
    twice = client.post(
        "/auth/login",
        content=f"email={user.email}&password=wrong&password={TEST_PASSWORD}",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert twice.status_code == 400
    assert twice.json()["details"] == [{"path": "password", "message": "given more than once"}]


def test_refresh_rotates_and_old_refresh_token_dies(
    client: TestClient, db: Database, clock: FrozenClock
):
    user = create_random_user(db, clock)
    first = login(client, user.email).json()
    refreshed = client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert refreshed.status_code == 200
    new = refreshed.json()
    assert new["token"] != first["token"] and new["refresh_token"] != first["refresh_token"]
    assert client.get("/auth/me", headers=bearer(new["token"])).status_code == 200
    again = client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert again.status_code == 401
    # the replay of a rotated-out token means it was copied: the whole session is revoked
    assert client.get("/auth/me", headers=bearer(new["token"])).status_code == 401
    assert (
        client.post("/auth/refresh", json={"refresh_token": new["refresh_token"]}).status_code
        == 401
    )


def test_refresh_via_cookie(client: TestClient, db: Database, clock: FrozenClock):
    user = create_random_user(db, clock)
    refresh_token = login(client, user.email).json()["refresh_token"]
    response = client.post("/auth/refresh", headers={"Cookie": f"refresh_token={refresh_token}"})
    assert response.status_code == 200 and response.json()["token"]


def test_refresh_token_is_not_an_access_token(client: TestClient, db: Database, clock: FrozenClock):
    user = create_random_user(db, clock)
    refresh_token = login(client, user.email).json()["refresh_token"]
    assert client.get("/auth/me", headers=bearer(refresh_token)).status_code == 401
    assert client.get("/auth/me", headers=cookie(refresh_token)).status_code == 401


def test_access_token_is_not_a_refresh_token(client: TestClient, db: Database, clock: FrozenClock):
    user = create_random_user(db, clock)
    token = login(client, user.email).json()["token"]
    assert client.post("/auth/refresh", json={"refresh_token": token}).status_code == 401


def test_logout_revokes_access_and_refresh_tokens_server_side(
    client: TestClient, db: Database, clock: FrozenClock
):
    user = create_random_user(db, clock)
    session = login(client, user.email).json()
    response = client.post("/auth/logout", headers=bearer(session["token"]))
    assert response.status_code == 200
    assert "auth_token=" in response.headers["set-cookie"]
    assert client.get("/auth/me", headers=bearer(session["token"])).status_code == 401
    refresh = client.post("/auth/refresh", json={"refresh_token": session["refresh_token"]})
    assert refresh.status_code == 401


def test_logout_with_only_the_refresh_token_after_access_expiry(
    client: TestClient, db: Database, clock: FrozenClock, settings: Settings
):
    user = create_random_user(db, clock)
    session = login(client, user.email).json()
    clock.advance((settings.access_token_ttl_seconds + 5) * 1000)
    assert client.get("/auth/me", headers=bearer(session["token"])).status_code == 401
    client.post("/auth/logout", json={"refresh_token": session["refresh_token"]})
    assert (
        client.post("/auth/refresh", json={"refresh_token": session["refresh_token"]}).status_code
        == 401
    )


def test_session_expires_after_refresh_ttl(
    client: TestClient, db: Database, clock: FrozenClock, settings: Settings
):
    user = create_random_user(db, clock)
    session = login(client, user.email).json()
    clock.advance(settings.refresh_token_ttl_seconds * 1000 + 1)
    response = client.post("/auth/refresh", json={"refresh_token": session["refresh_token"]})
    assert response.status_code == 401


def _claims(token: str, settings: Settings) -> dict[str, object]:
    return jwt.decode(
        token,
        settings.secret_key,
        algorithms=[ALGORITHM],
        audience=AUDIENCE,
        options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
    )


def _forge(claims: dict[str, object], key: str, algorithm: str = ALGORITHM) -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def test_tampered_jwt_is_refused(client: TestClient, db: Database, clock: FrozenClock, settings):
    user = create_random_user(db, clock, "viewer")
    token = login(client, user.email).json()["token"]
    claims = _claims(token, settings)
    header, _payload, signature = token.split(".")
    admin_claims = {**claims, "role": "admin", "sub": "someone-else"}
    forged_payload = _forge(admin_claims, "other-key-0123456789abcdef0123456789").split(".")[1]
    tampered = ".".join([header, forged_payload, signature])
    assert client.get("/auth/me", headers=bearer(tampered)).status_code == 401
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert client.get("/auth/me", headers=bearer(flipped)).status_code == 401


def test_alg_none_and_key_confusion_are_refused(
    client: TestClient, db: Database, clock: FrozenClock, settings: Settings
):
    user = create_random_user(db, clock)
    claims = _claims(login(client, user.email).json()["token"], settings)
    none_token = jwt.encode(claims, key=None, algorithm="none")
    assert client.get("/auth/me", headers=bearer(none_token)).status_code == 401
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyJWT warns that the key is short for HS512
        hs512 = _forge(claims, settings.secret_key, "HS512")
    assert client.get("/auth/me", headers=bearer(hs512)).status_code == 401


def test_expired_jwt_is_refused(
    client: TestClient, db: Database, clock: FrozenClock, settings: Settings
):
    user = create_random_user(db, clock)
    token = login(client, user.email).json()["token"]
    clock.advance(settings.access_token_ttl_seconds * 1000 + 1000)
    assert client.get("/auth/me", headers=bearer(token)).status_code == 401


@pytest.mark.parametrize("claim,value", [("iss", "other-cms"), ("aud", "other-api")])
def test_jwt_from_another_instance_is_refused(
    client: TestClient, db: Database, clock: FrozenClock, settings: Settings, claim, value
):
    user = create_random_user(db, clock)
    claims = _claims(login(client, user.email).json()["token"], settings)
    assert claims["iss"] == ISSUER
    foreign = _forge({**claims, claim: value}, settings.secret_key)
    assert client.get("/auth/me", headers=bearer(foreign)).status_code == 401


def test_jwt_signed_with_another_key_is_refused(
    client: TestClient, db: Database, clock: FrozenClock, settings: Settings
):
    user = create_random_user(db, clock)
    claims = _claims(login(client, user.email).json()["token"], settings)
    foreign = _forge(claims, "another-instance-secret-key-0123456789")
    assert client.get("/auth/me", headers=bearer(foreign)).status_code == 401


def test_deactivated_user_token_stops_working(client: TestClient, db: Database, clock: FrozenClock):
    from sqlalchemy import update

    from sonic_cms.db.schema import User

    user = create_random_user(db, clock)
    token = login(client, user.email).json()["token"]
    with db.write() as conn:
        conn.execute(update(User).where(User.id == user.id).values(is_active=False))
    assert client.get("/auth/me", headers=bearer(token)).status_code == 401


def test_cookie_write_needs_same_origin(client: TestClient, db: Database, clock: FrozenClock):
    user = create_random_user(db, clock)
    token = login(client, user.email).json()["token"]
    body = {"bio": "hello"}
    cross = client.patch(
        "/auth/me", json=body, headers={**cookie(token), "Origin": "https://evil.example"}
    )
    assert cross.status_code == 403 and cross.json()["code"] == "csrf_failed"
    missing = client.patch("/auth/me", json=body, headers=cookie(token))
    assert missing.status_code == 403
    same = client.patch(
        "/auth/me", json=body, headers={**cookie(token), "Origin": "http://testserver"}
    )
    assert same.status_code == 200 and same.json()["user"]["bio"] == "hello"
    by_referer = client.patch(
        "/auth/me", json=body, headers={**cookie(token), "Referer": "http://testserver/admin"}
    )
    assert by_referer.status_code == 200


def test_bearer_write_ignores_cookies_and_needs_no_origin(
    client: TestClient, db: Database, clock: FrozenClock
):
    user = create_random_user(db, clock)
    token = login(client, user.email).json()["token"]
    headers = {**bearer(token), "Cookie": "auth_token=garbage"}
    assert client.patch("/auth/me", json={"bio": "x"}, headers=headers).status_code == 200
    assert client.put("/auth/me", json={"bio": "y"}, headers=headers).json()["user"]["bio"] == "y"


def test_malformed_authorization_header_is_401(client: TestClient):
    assert client.get("/auth/me", headers={"Authorization": "Basic abc"}).status_code == 401
    assert client.get("/auth/me", headers={"Authorization": "Bearer"}).status_code == 401
    assert client.get("/auth/me").status_code == 401


def test_unknown_user_costs_one_hash_verification_like_a_wrong_password(
    client: TestClient, db: Database, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
):
    from argon2 import PasswordHasher

    from sonic_cms.auth import passwords

    calls: list[str] = []

    class CountingHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            calls.append(str(hash))
            return super().verify(hash, password)

    monkeypatch.setattr(
        passwords, "_HASHER", CountingHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    user = create_random_user(db, clock)
    login(client, user.email, "wrong password!")
    wrong_calls = len(calls)
    login(client, "nobody@example.com", "wrong password!")
    assert wrong_calls == 1 and len(calls) == 2
    assert calls[1] == passwords.DUMMY_HASH


def test_openapi_documents_the_self_parsed_bodies(client: TestClient):
    spec = client.get("/openapi.json").json()
    for path in (
        "/auth/login",
        "/auth/register",
        "/auth/reset-password",
        "/auth/accept-invitation",
    ):
        body = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        assert "password" in body["schema"]["properties"], path
    assert "/admin/api/users" in spec["paths"] and "/api/tokens" in spec["paths"]
    assert {"put", "patch", "get"} <= spec["paths"]["/auth/me"].keys()


def test_cookie_logout_needs_same_origin_then_revokes(
    client: TestClient, db: Database, clock: FrozenClock
):
    user = create_random_user(db, clock)
    token = login(client, user.email).json()["token"]
    forced = client.post(
        "/auth/logout", headers={**cookie(token), "Origin": "https://evil.example"}
    )
    assert forced.status_code == 403
    assert client.get("/auth/me", headers=cookie(token)).status_code == 200  # still signed in
    done = client.post("/auth/logout", headers={**cookie(token), "Sec-Fetch-Site": "same-origin"})
    assert done.status_code == 200
    assert client.get("/auth/me", headers=cookie(token)).status_code == 401
