"""The magic-link-auth plugin end to end: SonicJS's routes and table, links mailed through a
real SMTP server, tokens stored as digests, single use, expiring, throttled and answering alike
for every address."""

from __future__ import annotations

import logging
import re
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
    SITE,
    deactivate_user,
    mail_body,
    plugin_app,
    request_mail,
    switch,
    where_secret_is_stored,
)
from tests.utils.smtp import Inbox

REQUEST, VERIFY = "/auth/magic-link/request", "/auth/magic-link/verify"


@pytest.fixture
def app(db_url: str, db: Database, clock: FrozenClock) -> Iterator[tuple[TestClient, Inbox]]:
    with plugin_app(db_url, db, clock, "magic-link-auth") as running:
        yield running


@pytest.fixture
def user(db: Database, clock: FrozenClock) -> UserSelect:
    return create_random_user(db, clock, "author")


def request_link(client: TestClient, inbox: Inbox, email: str) -> str:
    """Ask for a link and return its token, read from the mail."""
    body = request_mail(client, inbox, REQUEST, email)
    found = re.search(re.escape(f"{SITE}{VERIFY}") + r"\?token=(\S+)", body)
    assert found, body
    return found.group(1)


def test_install_creates_magic_links_in_sonicjs_shape(app, db: Database):
    with db.read() as conn:
        columns = [c["name"] for c in inspect(conn).get_columns("magic_links")]
        indexes = {i["name"] for i in inspect(conn).get_indexes("magic_links")}
        unique = inspect(conn).get_unique_constraints("magic_links")
        unique_indexes = [i for i in inspect(conn).get_indexes("magic_links") if i["unique"]]
    assert columns == [
        "id",
        "user_email",
        "token",
        "expires_at",
        "used",
        "used_at",
        "ip_address",
        "user_agent",
        "created_at",
    ]
    assert {"idx_magic_links_email", "idx_magic_links_expires"} <= indexes
    assert {tuple(u["column_names"]) for u in unique + unique_indexes} == {("token",)}


def test_routes_exist_only_while_the_plugin_is_active(db_url, db: Database, clock: FrozenClock):
    with plugin_app(db_url, db, clock, None) as (client, _):
        assert client.post(REQUEST, json={"email": "a@example.com"}).status_code == 404
        switch(client, "magic-link-auth", "install")
        assert client.get(VERIFY, params={"token": "x"}).status_code == 404
        switch(client, "magic-link-auth", "activate")
        assert client.post(REQUEST, json={"email": "a@example.com"}).status_code == 200
        switch(client, "magic-link-auth", "deactivate")
        gone = client.get(VERIFY, params={"token": "x"})
        assert gone.status_code == 404 and gone.json()["code"] == "plugin_inactive"
        assert client.post(VERIFY, json={"token": "x"}).status_code == 404


def test_the_mailed_link_signs_in_like_a_password(app, user: UserSelect, db: Database):
    client, inbox = app
    asked = client.post(REQUEST, json={"email": user.email.title()})
    assert asked.json() == {
        "message": "If an account exists for this email, you will receive a magic link shortly."
    }
    token = request_link(client, inbox, user.email)
    signed = client.get(VERIFY, params={"token": token})
    assert signed.status_code == 200, signed.text
    answer = signed.json()
    assert answer["success"] is True and answer["user"]["id"] == user.id
    assert answer["refresh_token"].startswith("srt_") and answer["expires_in"] > 0
    cookies = signed.headers.get_list("set-cookie")
    assert any(c.startswith("auth_token=") and "HttpOnly" in c for c in cookies)
    me = client.get("/auth/me", headers={"Authorization": f"Bearer {answer['token']}"})
    assert me.status_code == 200 and me.json()["user"]["id"] == user.id
    with db.read() as conn:
        rows = conn.execute(text("SELECT token, used FROM magic_links")).all()
        last_login = conn.execute(select(User.last_login_at).where(User.id == user.id)).scalar()
    assert sorted(r.used for r in rows) == [0, 1] and last_login is not None
    assert all(len(r.token) == 64 and token not in r.token for r in rows)  # digests only


def test_post_verify_signs_in_too(app, user: UserSelect):
    client, inbox = app
    token = request_link(client, inbox, user.email)
    signed = client.post(VERIFY, json={"token": token})
    assert signed.status_code == 200 and signed.json()["user"]["id"] == user.id


def test_a_link_works_once(app, user: UserSelect):
    client, inbox = app
    token = request_link(client, inbox, user.email)
    assert client.get(VERIFY, params={"token": token}).status_code == 200
    reused = client.get(VERIFY, params={"token": token}), client.post(VERIFY, json={"token": token})
    for again in reused:
        assert again.status_code == 401 and again.json()["code"] == "invalid_magic_link"


def test_a_link_expires(app, user: UserSelect, clock: FrozenClock):
    client, inbox = app
    token = request_link(client, inbox, user.email)
    clock.advance(15 * 60_000)  # linkExpiryMinutes' default
    late = client.get(VERIFY, params={"token": token})
    assert late.status_code == 401 and late.json()["code"] == "invalid_magic_link"


def test_unknown_and_inactive_addresses_get_the_same_answer(
    app, user: UserSelect, db: Database, clock: FrozenClock
):
    client, inbox = app
    inactive = create_random_user(db, clock, "author")
    deactivate_user(db, inactive.id)
    asked = [
        client.post(REQUEST, json={"email": email})
        for email in (user.email, "ghost@example.com", inactive.email)
    ]
    assert len({(r.status_code, r.content) for r in asked}) == 1
    assert [m["To"] for m in inbox.wait_for(1)] == [user.email]


def test_an_account_deactivated_after_the_mail_cannot_use_it(app, user: UserSelect, db: Database):
    client, inbox = app
    token = request_link(client, inbox, user.email)
    deactivate_user(db, user.id)
    refused = client.get(VERIFY, params={"token": token})
    assert refused.status_code == 401 and refused.json()["code"] == "invalid_magic_link"


def test_requests_are_limited_alike_per_address(app, user: UserSelect):
    client, _ = app

    def statuses(email: str) -> list[int]:
        return [client.post(REQUEST, json={"email": email}).status_code for _ in range(6)]

    assert statuses(user.email) == [200] * 5 + [429]  # rateLimitPerHour's default
    assert statuses("ghost@example.com") == [200] * 5 + [429]


def test_bad_tokens_are_throttled_like_failed_sign_ins(db_url, db: Database, clock: FrozenClock):
    with plugin_app(db_url, db, clock, "magic-link-auth", login_max_failures_per_ip=3) as (
        client,
        inbox,
    ):
        user = create_random_user(db, clock, "author")
        token = request_link(client, inbox, user.email)
        guesses = [client.get(VERIFY, params={"token": f"guess{i}"}).status_code for i in range(4)]
        assert guesses == [401, 401, 401, 429]
        locked = client.get(VERIFY, params={"token": token})
        assert locked.status_code == 429 and locked.json()["code"] == "rate_limited"
        assert int(locked.headers["retry-after"]) > 0


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
    token = request_link(client, inbox, user.email)
    clicked = client.get(VERIFY, params={"token": token})
    assert clicked.status_code == 401 and clicked.json()["code"] == "two_factor_required"
    bad = client.post(VERIFY, json={"token": token, "totp_code": "000000"})
    assert bad.status_code == 401 and bad.json()["code"] == "invalid_two_factor_code"
    clock.advance(30_000)
    totp = pyotp.TOTP(secret).at(clock.now_ms() // 1000)
    signed = client.post(VERIFY, json={"token": token, "totp_code": totp})
    assert signed.status_code == 200, signed.text  # the link was kept for this


@pytest.mark.parametrize(
    ("method", "params", "body"),
    [
        ("POST", None, {}),
        ("POST", None, {"email": "nope"}),
        ("POST", None, {"email": ["a@example.com"]}),
        ("GET", {}, None),
        ("GET", {"token": ""}, None),
        ("GET", {"token": "x" * 201}, None),
        ("GET", {"token": "x", "other": "1"}, None),
    ],
)
def test_bad_requests_are_400(app, method: str, params, body):
    client, inbox = app
    path = REQUEST if method == "POST" else VERIFY
    response = client.request(method, path, params=params, json=body)
    assert response.status_code == 400, response.text
    assert inbox.messages == []


def test_settings_change_the_expiry(app, user: UserSelect, clock: FrozenClock):
    client, inbox = app
    settings = "/admin/api/plugins/magic-link-auth/settings"
    admin = client.admin  # type: ignore[attr-defined]
    assert client.get(settings, headers=admin).json()["data"] == {
        "linkExpiryMinutes": 15,
        "rateLimitPerHour": 5,
    }
    assert client.put(settings, json={"linkExpiryMinutes": 1}, headers=admin).status_code == 422
    assert client.put(settings, json={"linkExpiryMinutes": 5}, headers=admin).status_code == 200
    token = request_link(client, inbox, user.email)
    assert "for 5 minutes" in mail_body(inbox, 1)
    clock.advance(5 * 60_000)
    assert client.get(VERIFY, params={"token": token}).status_code == 401


def test_tokens_are_never_stored_or_logged_in_plain_form(
    app, user: UserSelect, db: Database, caplog: pytest.LogCaptureFixture
):
    client, inbox = app
    with caplog.at_level(logging.DEBUG, logger="sonic_cms"):
        token = request_link(client, inbox, user.email)
        assert client.get(VERIFY, params={"token": token}).status_code == 200
    assert where_secret_is_stored(db, client, token) == []
    assert token not in caplog.text


def test_signing_in_with_a_link_fires_auth_login(app, user: UserSelect):
    client, inbox = app
    seen = Recorder(client.app.state.ctx.hooks, "auth:login")  # type: ignore[attr-defined]
    token = request_link(client, inbox, user.email)
    assert client.get(VERIFY, params={"token": token}).status_code == 200
    event = seen.one("auth:login", "filter").payload
    assert (event["user_id"], event["method"]) == (user.id, "magic_link")
