"""Registration, password reset, invitations and email verification, with mail read from a
real SMTP server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sonic_cms.api.app import create_app
from sonic_cms.clock import FrozenClock
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import User
from tests.conftest import make_settings
from tests.utils.auth import create_random_user, headers_for
from tests.utils.smtp import Inbox, smtp_server

#: The names registration requires (issue 14: empty or blank names are a 422).
NAMES = {"firstName": "Ada", "lastName": "Lovelace"}


@pytest.fixture
def mail_app(db_url: str, db: Database, clock: FrozenClock) -> Iterator[tuple[TestClient, Inbox]]:
    with smtp_server() as (inbox, port):
        settings = make_settings(
            db_url,
            mail_sender="smtp",
            smtp_host="127.0.0.1",
            smtp_port=port,
            registration_enabled=True,
            public_url="https://cms.example",
        )
        with TestClient(create_app(settings, db=db, clock=clock)) as client:
            client.app_settings = settings  # type: ignore[attr-defined]
            yield client, inbox


def column(db: Database, user_id: str, name: str):
    with db.read() as conn:
        return conn.execute(select(getattr(User, name)).where(User.id == user_id)).scalar_one()


def test_registration_is_off_by_default(client: TestClient):
    response = client.post(
        "/auth/register",
        json={"email": "a@example.com", "password": "long enough pw", "username": "alice"} | NAMES,
    )
    assert response.status_code == 403
    assert response.json()["error"] == "Registration is currently disabled"


def test_register_creates_viewer_and_sends_verification(mail_app, db: Database):
    client, inbox = mail_app
    response = client.post(
        "/auth/register",
        json={
            "email": "Alice@Example.com",
            "password": "long enough pw",
            "username": "alice",
            "firstName": "Alice",
            "lastName": "Liddell",
        },
    )
    assert response.status_code == 201, response.text
    user = response.json()["user"]
    assert user["role"] == "viewer" and user["email"] == "alice@example.com"
    assert user["email_verified"] is False and response.json()["token"]
    mail = inbox.wait_for(1)[0]
    assert mail["To"] == "alice@example.com"
    token = inbox.last_token("https://cms.example/auth/verify-email")
    stored = column(db, user["id"], "email_verification_token")
    assert stored and token not in stored
    assert client.get(f"/auth/verify-email?token={token}").status_code == 200
    assert column(db, user["id"], "email_verified") is True
    assert client.get(f"/auth/verify-email?token={token}").status_code == 400  # single use
    duplicate = client.post(
        "/auth/register",
        json={"email": "ALICE@example.com", "password": "long enough pw", "username": "alice2"}
        | NAMES,
    )
    assert duplicate.status_code == 409


def test_register_validation_is_400(mail_app):
    client, _ = mail_app
    for body in (
        {"email": "a@example.com", "password": "short", "username": "bob"},
        {"email": "a@example.com", "password": {}, "username": "bob"},
        {"email": "not-an-email", "password": "long enough pw", "username": "bob"},
    ):
        response = client.post("/auth/register", json=body | NAMES)
        assert response.status_code in (400,), (body, response.text)
        assert response.json()["error"] == "Validation failed"


def test_verification_link_expires(mail_app, db: Database, clock: FrozenClock):
    client, inbox = mail_app
    client.post(
        "/auth/register",
        json={"email": "late@example.com", "password": "long enough pw", "username": "late"}
        | NAMES,
    )
    token = inbox.last_token("/auth/verify-email")
    clock.advance(client.app_settings.email_verification_ttl_seconds * 1000 + 1)
    assert client.get(f"/auth/verify-email?token={token}").status_code == 400


def test_password_reset_flow(mail_app, db: Database, clock: FrozenClock, settings):
    client, inbox = mail_app
    user = create_random_user(db, clock, "editor")
    old_session = headers_for(db, client.app_settings, clock, user)
    known = client.post("/auth/request-password-reset", json={"email": user.email.upper()})
    unknown = client.post("/auth/request-password-reset", json={"email": "ghost@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert known.json() == unknown.json()
    token = inbox.last_token("/auth/reset-password")
    assert len(inbox.wait_for(1)) == 1  # nothing sent for the unknown address
    stored = column(db, user.id, "password_reset_token")
    assert token not in stored and column(db, user.id, "password_reset_expires") > clock.now_ms()
    assert client.get(f"/auth/reset-password?token={token}").status_code == 200
    weak = client.post("/auth/reset-password", json={"token": token, "password": "short"})
    assert weak.status_code == 400 and weak.json()["error"] == "Validation failed"
    done = client.post("/auth/reset-password", json={"token": token, "password": "a new long one"})
    assert done.status_code == 200
    assert client.get("/auth/me", headers=old_session).status_code == 401  # sessions revoked
    again = client.post("/auth/reset-password", json={"token": token, "password": "another one!"})
    assert again.status_code == 400  # single use
    login = client.post("/auth/login", json={"email": user.email, "password": "a new long one"})
    assert login.status_code == 200


def test_reset_token_expires(mail_app, db: Database, clock: FrozenClock):
    client, inbox = mail_app
    user = create_random_user(db, clock)
    client.post("/auth/request-password-reset", json={"email": user.email})
    token = inbox.last_token("/auth/reset-password")
    clock.advance(client.app_settings.password_reset_ttl_seconds * 1000)
    response = client.post("/auth/reset-password", json={"token": token, "password": "new long pw"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "path,body",
    [
        ("/auth/reset-password", {"token": {}, "password": "long enough pw"}),
        ("/auth/reset-password", {"token": ["x"], "password": "long enough pw"}),
        ("/auth/reset-password", {"token": "", "password": "long enough pw"}),
        ("/auth/accept-invitation", {"token": {}, "password": "long enough pw"}),
        ("/auth/accept-invitation", {"token": 123, "password": "long enough pw"}),
        ("/auth/request-password-reset", {"email": {"$gt": ""}}),
        ("/auth/2fa/confirm", {"code": ""}),
    ],
)
def test_strict_types_in_token_bodies(client: TestClient, db, settings, clock, path, body):
    headers = headers_for(db, settings, clock, create_random_user(db, clock))
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "Validation failed"


def test_invitation_flow(mail_app, db: Database, clock: FrozenClock):
    client, inbox = mail_app
    admin = create_random_user(db, clock, "admin")
    admin_headers = headers_for(db, client.app_settings, clock, admin)
    invited = client.post(
        "/admin/api/users/invite",
        headers=admin_headers,
        json={"email": "Invitee@Example.com", "role": "editor"},
    )
    assert invited.status_code == 201, invited.text
    user = invited.json()["data"]
    assert user["is_active"] is False and user["invited_by"] == admin.id
    assert user["invited_at"] == clock.now_ms() and "invitation_token" not in user
    token = inbox.last_token("/auth/accept-invitation")
    assert token not in column(db, user["id"], "invitation_token")
    shown = client.get(f"/auth/accept-invitation?token={token}")
    assert shown.status_code == 200 and shown.json()["data"]["email"] == "invitee@example.com"
    accepted = client.post(
        "/auth/accept-invitation", json={"token": token, "password": "invitee password"}
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["user"]["role"] == "editor" and accepted.json()["token"]
    assert column(db, user["id"], "accepted_invitation_at") == clock.now_ms()
    assert column(db, user["id"], "invitation_token") is None
    reuse = client.post("/auth/accept-invitation", json={"token": token, "password": "other pw!!"})
    assert reuse.status_code == 400  # set a password once
    login = client.post(
        "/auth/login", json={"email": "invitee@example.com", "password": "invitee password"}
    )
    assert login.status_code == 200


def test_invitation_expires_and_needs_rights(mail_app, db: Database, clock: FrozenClock):
    client, inbox = mail_app
    settings = client.app_settings
    admin_headers = headers_for(db, settings, clock, create_random_user(db, clock, "admin"))
    client.post("/admin/api/users/invite", headers=admin_headers, json={"email": "x@example.com"})
    token = inbox.last_token("/auth/accept-invitation")
    clock.advance(settings.invitation_ttl_seconds * 1000 + 1)
    assert client.get(f"/auth/accept-invitation?token={token}").status_code == 400
    editor_headers = headers_for(db, settings, clock, create_random_user(db, clock, "editor"))
    refused = client.post(
        "/admin/api/users/invite",
        headers=editor_headers,
        json={"email": "y@example.com", "role": "admin"},
    )
    assert refused.status_code == 403


def test_console_sender_withholds_bodies_outside_development(
    client: TestClient, db: Database, clock: FrozenClock, capsys: pytest.CaptureFixture[str]
):
    user = create_random_user(db, clock)
    client.post("/auth/request-password-reset", json={"email": user.email})
    out = capsys.readouterr().out
    assert f"To: {user.email}" in out and "token=" not in out


def test_reset_requests_are_rate_limited_alike_for_known_and_unknown(
    client: TestClient, db: Database, clock: FrozenClock, settings
):
    user = create_random_user(db, clock)
    for email in (user.email, "ghost@example.com"):
        for _ in range(settings.password_reset_requests_per_hour):
            assert (
                client.post("/auth/request-password-reset", json={"email": email}).status_code
                == 200
            )
        limited = client.post("/auth/request-password-reset", json={"email": email})
        assert limited.status_code == 429 and "Retry-After" in limited.headers
    clock.advance(3_600_000)
    assert (
        client.post("/auth/request-password-reset", json={"email": user.email}).status_code == 200
    )
