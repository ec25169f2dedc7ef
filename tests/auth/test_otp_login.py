"""The otp-login plugin end to end: SonicJS's routes and table, codes mailed through a real SMTP
server, stored as digests, limited in attempts and time, single use, throttled and answering
alike for every address."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select, text, update

from sonic_cms.clock import FrozenClock
from sonic_cms.db.engine import Database
from sonic_cms.db.records import UserSelect
from sonic_cms.db.schema import User
from tests.utils.auth import create_random_user
from tests.utils.hook_recorder import Recorder
from tests.utils.passwordless import (
    code_in,
    deactivate_user,
    mail_body,
    plugin_app,
    request_mail,
    switch,
    where_secret_is_stored,
)
from tests.utils.smtp import Inbox

REQUEST, VERIFY, RESEND = "/auth/otp/request", "/auth/otp/verify", "/auth/otp/resend"


@pytest.fixture
def app(db_url: str, db: Database, clock: FrozenClock) -> Iterator[tuple[TestClient, Inbox]]:
    with plugin_app(db_url, db, clock, "otp-login") as running:
        yield running


@pytest.fixture
def user(db: Database, clock: FrozenClock) -> UserSelect:
    return create_random_user(db, clock, "editor")


def request_code(client: TestClient, inbox: Inbox, email: str) -> str:
    return code_in(request_mail(client, inbox, REQUEST, email))


def verify(client: TestClient, email: str, code: str, **extra: str):
    return client.post(VERIFY, json={"email": email, "code": code, **extra})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10 ** len(code):0{len(code)}d}"


def test_install_creates_otp_codes_in_sonicjs_shape(app, db: Database):
    with db.read() as conn:
        columns = [c["name"] for c in inspect(conn).get_columns("otp_codes")]
        indexes = {i["name"] for i in inspect(conn).get_indexes("otp_codes")}
        version = conn.execute(text("SELECT version_num FROM alembic_version_otp_login")).scalar()
        routes = conn.execute(text("SELECT method, path FROM plugin_routes")).all()
    assert columns == [
        "id",
        "user_email",
        "code",
        "expires_at",
        "used",
        "used_at",
        "ip_address",
        "user_agent",
        "attempts",
        "created_at",
    ]
    assert indexes == {"idx_otp_email_code", "idx_otp_expires", "idx_otp_used"}
    assert version == "otp_login_0001"
    assert sorted(routes) == [("POST", REQUEST), ("POST", RESEND), ("POST", VERIFY)]


def test_routes_exist_only_while_the_plugin_is_active(db_url, db: Database, clock: FrozenClock):
    body = {"email": "someone@example.com"}
    with plugin_app(db_url, db, clock, None) as (client, _):
        assert client.post(REQUEST, json=body).status_code == 404
        switch(client, "otp-login", "install")
        gone = client.post(REQUEST, json=body)
        assert gone.status_code == 404 and gone.json()["code"] == "plugin_inactive"
        switch(client, "otp-login", "activate")
        assert client.post(REQUEST, json=body).status_code == 200
        switch(client, "otp-login", "deactivate")
        for path in (REQUEST, RESEND, VERIFY):
            assert client.post(path, json={**body, "code": "123456"}).status_code == 404


def test_a_mailed_code_signs_in_like_a_password(app, user: UserSelect, db: Database):
    client, inbox = app
    asked = client.post(REQUEST, json={"email": user.email.upper()})
    assert asked.json() == {
        "message": "If an account exists for this email, you will receive a verification code "
        "shortly.",
        "expiresIn": 600,
    }
    assert inbox.wait_for(1)[0]["To"] == user.email
    code = code_in(mail_body(inbox, 1))
    assert len(code) == 6
    signed = verify(client, user.email, code)
    assert signed.status_code == 200, signed.text
    answer = signed.json()
    assert answer["success"] is True and answer["message"] == "Authentication successful"
    assert answer["user"]["id"] == user.id and answer["user"]["email"] == user.email
    assert answer["refresh_token"].startswith("srt_") and answer["expires_in"] > 0
    cookies = signed.headers.get_list("set-cookie")
    assert any(c.startswith("auth_token=") and "HttpOnly" in c for c in cookies)
    me = client.get("/auth/me", headers={"Authorization": f"Bearer {answer['token']}"})
    assert me.status_code == 200 and me.json()["user"]["id"] == user.id
    refreshed = client.post("/auth/refresh", json={"refresh_token": answer["refresh_token"]})
    assert refreshed.status_code == 200
    with db.read() as conn:
        row = conn.execute(text("SELECT code, used, used_at FROM otp_codes")).one()
        last_login = conn.execute(select(User.last_login_at).where(User.id == user.id)).scalar()
    assert row.used == 1 and row.used_at is not None and last_login is not None
    assert code not in row.code and len(row.code) == 64  # a digest, never the code


def test_a_code_works_once(app, user: UserSelect):
    client, inbox = app
    code = request_code(client, inbox, user.email)
    assert verify(client, user.email, code).status_code == 200
    again = verify(client, user.email, code)
    assert again.status_code == 401 and again.json()["code"] == "invalid_otp_code"


def test_wrong_guesses_use_up_the_code(app, user: UserSelect, db: Database):
    client, inbox = app
    code = request_code(client, inbox, user.email)
    for _ in range(3):  # maxAttempts' default
        missed = verify(client, user.email, wrong(code))
        assert missed.status_code == 401
        assert missed.json()["error"] == "Invalid or expired code"
        assert missed.json()["code"] == "invalid_otp_code"
    dead = verify(client, user.email, code)
    assert dead.status_code == 401 and dead.json()["code"] == "invalid_otp_code"
    with db.read() as conn:
        assert conn.execute(text("SELECT attempts, used FROM otp_codes")).one() == (3, 0)


def test_a_code_expires(app, user: UserSelect, clock: FrozenClock):
    client, inbox = app
    code = request_code(client, inbox, user.email)
    clock.advance(10 * 60_000)  # codeExpiryMinutes' default: gone at the tenth minute
    late = verify(client, user.email, code)
    assert late.status_code == 401 and late.json()["code"] == "invalid_otp_code"


def test_resend_replaces_the_earlier_code(app, user: UserSelect):
    client, inbox = app
    first = request_code(client, inbox, user.email)
    resent = client.post(RESEND, json={"email": user.email})
    assert resent.status_code == 200 and resent.json()["expiresIn"] == 600
    second = code_in(mail_body(inbox, 2))
    if first != second:
        assert verify(client, user.email, first).status_code == 401
    assert verify(client, user.email, second).status_code == 200


def test_unknown_and_inactive_addresses_get_the_same_answers(
    app, user: UserSelect, db: Database, clock: FrozenClock
):
    client, inbox = app
    inactive = create_random_user(db, clock, "editor")
    deactivate_user(db, inactive.id)
    asked = [
        client.post(REQUEST, json={"email": email})
        for email in (user.email, "ghost@example.com", inactive.email)
    ]
    assert len({(r.status_code, r.content) for r in asked}) == 1
    guess = wrong(code_in(mail_body(inbox, 1)))
    assert [m["To"] for m in inbox.wait_for(1)] == [user.email]  # only the active account
    answers = [
        verify(client, email, guess) for email in ("ghost@example.com", inactive.email, user.email)
    ]
    assert len({(r.status_code, r.content) for r in answers}) == 1


def test_inactive_user_cannot_use_a_code_issued_before(app, user: UserSelect, db: Database):
    client, inbox = app
    code = request_code(client, inbox, user.email)
    deactivate_user(db, user.id)
    refused = verify(client, user.email, code)
    assert refused.status_code == 401 and refused.json()["code"] == "invalid_otp_code"


def test_requests_are_limited_alike_per_address(app, user: UserSelect):
    client, _ = app

    def statuses(email: str) -> list[int]:
        return [
            client.post(path, json={"email": email}).status_code
            for path in (REQUEST, RESEND, REQUEST, REQUEST, RESEND, REQUEST)
        ]

    expected = [200] * 5 + [429]  # rateLimitPerHour's default
    assert statuses(user.email) == expected
    assert statuses("ghost@example.com") == expected
    limited = client.post(REQUEST, json={"email": "GHOST@example.com"})
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"
    assert int(limited.headers["retry-after"]) > 0


def test_verify_is_throttled_like_password_sign_in(db_url, db: Database, clock: FrozenClock):
    with plugin_app(db_url, db, clock, "otp-login", login_max_failures_per_account=4) as (
        client,
        inbox,
    ):
        user = create_random_user(db, clock, "editor")

        def statuses(email: str, code: str) -> list[int]:
            return [verify(client, email, wrong(code)).status_code for _ in range(5)]

        code = request_code(client, inbox, user.email)
        assert statuses(user.email, code) == [401, 401, 401, 401, 429]
        assert statuses("ghost@example.com", code) == [401, 401, 401, 401, 429]
        fresh = request_code(client, inbox, user.email)
        locked = verify(client, user.email, fresh)  # even the right code while locked
        assert locked.status_code == 429 and locked.json()["code"] == "rate_limited"
        password = client.post("/auth/login", json={"email": user.email, "password": "x" * 9})
        assert password.status_code == 429  # one counter for the account, whatever the method


def test_a_right_code_clears_the_accounts_failures(db_url, db: Database, clock: FrozenClock):
    with plugin_app(db_url, db, clock, "otp-login", login_max_failures_per_account=4) as (
        client,
        inbox,
    ):
        user = create_random_user(db, clock, "editor")
        code = request_code(client, inbox, user.email)
        assert [verify(client, user.email, wrong(code)).status_code for _ in range(3)] == [401] * 3
        right = request_code(client, inbox, user.email)
        assert verify(client, user.email, right).status_code == 200
        code = request_code(client, inbox, user.email)
        assert [verify(client, user.email, wrong(code)).status_code for _ in range(3)] == [401] * 3


def test_an_account_with_two_factor_needs_its_totp_code(
    app, user: UserSelect, db: Database, clock: FrozenClock
):
    client, inbox = app
    secret = pyotp.random_base32()
    with db.write() as conn:
        conn.execute(
            update(User)
            .where(User.id == user.id)
            .values(two_factor_enabled=True, two_factor_secret=secret)
        )
    code = request_code(client, inbox, user.email)
    missing = verify(client, user.email, code)
    assert missing.status_code == 401 and missing.json()["code"] == "two_factor_required"
    bad = verify(client, user.email, code, totp_code="000000")
    assert bad.status_code == 401 and bad.json()["code"] == "invalid_two_factor_code"
    totp = pyotp.TOTP(secret).at(clock.now_ms() // 1000)
    if totp == "000000":
        totp = pyotp.TOTP(secret).at(clock.now_ms() // 1000 + 30)
        clock.advance(30_000)
    signed = verify(client, user.email, code, totp_code=totp)
    assert signed.status_code == 200, signed.text


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (REQUEST, {}),
        (REQUEST, {"email": "no-at-sign"}),
        (REQUEST, {"email": {"$gt": ""}}),
        (RESEND, {"email": 5}),
        (VERIFY, {"email": "a@example.com"}),
        (VERIFY, {"email": "a@example.com", "code": "12ab56"}),
        (VERIFY, {"email": "a@example.com", "code": "123"}),
        (VERIFY, {"email": "a@example.com", "code": 123456}),
    ],
)
def test_bad_bodies_are_400(app, path: str, body: dict[str, object]):
    client, inbox = app
    response = client.post(path, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "validation_failed"
    assert inbox.messages == []


def test_settings_shape_codes_and_are_validated(app, user: UserSelect):
    client, inbox = app
    settings = "/admin/api/plugins/otp-login/settings"
    admin = client.admin  # type: ignore[attr-defined]
    assert client.get(settings, headers=admin).json()["data"] == {
        "codeLength": 6,
        "codeExpiryMinutes": 10,
        "maxAttempts": 3,
        "rateLimitPerHour": 5,
    }
    bad = client.put(settings, json={"codeLength": 12}, headers=admin)
    assert bad.status_code == 422 and bad.json()["details"][0]["path"] == "codeLength"
    changed = client.put(
        settings, json={"codeLength": 8, "codeExpiryMinutes": 5, "maxAttempts": 4}, headers=admin
    )
    assert changed.status_code == 200, changed.text
    assert client.post(REQUEST, json={"email": user.email}).json()["expiresIn"] == 300
    code = code_in(mail_body(inbox, 1))
    assert len(code) == 8
    assert [verify(client, user.email, wrong(code)).status_code for _ in range(3)] == [401] * 3
    assert verify(client, user.email, code).status_code == 200  # the fourth try still counts


def test_codes_are_never_stored_or_logged_in_plain_form(
    app, user: UserSelect, db: Database, caplog: pytest.LogCaptureFixture
):
    client, inbox = app
    client.put(
        "/admin/api/plugins/otp-login/settings",
        json={"codeLength": 8},
        headers=client.admin,  # type: ignore[attr-defined]
    )
    with caplog.at_level(logging.DEBUG, logger="sonic_cms"):
        code = request_code(client, inbox, user.email)
        assert verify(client, user.email, wrong(code)).status_code == 401
        assert verify(client, user.email, code).status_code == 200
    assert where_secret_is_stored(db, client, code) == []
    assert code not in caplog.text


def test_signing_in_with_a_code_fires_auth_login(app, user: UserSelect):
    client, inbox = app
    seen = Recorder(client.app.state.ctx.hooks, "auth:login")  # type: ignore[attr-defined]
    code = request_code(client, inbox, user.email)
    signed = verify(client, user.email, code)
    assert signed.status_code == 200
    event = seen.one("auth:login", "filter").payload
    assert (event["user_id"], event["method"]) == (user.id, "otp")
    assert seen.one("auth:login", "action").payload["session_id"]
