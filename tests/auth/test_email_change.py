"""Changing one's email address (auth/email_change.py) and its API routes, on both engines:
the link goes to the new address, works once, expires, refuses a taken address, and cannot be
bent to another account."""

from __future__ import annotations

import re
from collections.abc import Iterator

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sonic_cms.api.app import create_app
from sonic_cms.auth import email_change
from sonic_cms.auth.access_tokens import ALGORITHM, decode_access_token, signing_key
from sonic_cms.auth.authentication import actor_for_user
from sonic_cms.auth.mail import MailMessage
from sonic_cms.clock import FrozenClock
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.db.records import UserSelect
from sonic_cms.db.schema import User
from sonic_cms.errors import BadRequest, Conflict, Forbidden, Unauthorized, ValidationFailed
from tests.conftest import make_settings
from tests.utils.auth import TEST_PASSWORD, create_random_user, headers_for, system_context


def acting(db: Database, clock: FrozenClock, user: UserSelect) -> Context:
    system = system_context(db, clock)
    return system.acting_as(actor_for_user(system, user.id))


def token_of(mail: MailMessage) -> str:
    found = re.search(re.escape(email_change.CONFIRM_PATH) + r"\?token=(\S+)", mail.body)
    assert found, mail.body
    return found.group(1)


def email_of(db: Database, user_id: str) -> str:
    with db.read() as conn:
        return str(conn.execute(select(User.email).where(User.id == user_id)).scalar_one())


def ask(db: Database, clock: FrozenClock, user: UserSelect, new: str) -> str:
    mail = email_change.request_change(
        acting(db, clock, user), new_email=new, password=TEST_PASSWORD
    )
    assert mail.to == new.strip().lower()
    return token_of(mail)


def test_the_link_goes_to_the_new_address_and_changes_it_once(db: Database, clock: FrozenClock):
    user = create_random_user(db, clock, "author")
    token = ask(db, clock, user, "  New.Address@Example.com ")
    assert email_of(db, user.id) == user.email  # nothing changes before the link is opened
    public = system_context(db, clock)
    assert email_change.pending_change(public, token) == {"email": "new.address@example.com"}
    changed, notice = email_change.confirm_change(public, token)
    assert changed["email"] == "new.address@example.com" and changed["email_verified"] is True
    assert email_of(db, user.id) == "new.address@example.com"
    assert notice.to == user.email and "new.address@example.com" in notice.body
    with pytest.raises(BadRequest):  # single use
        email_change.confirm_change(public, token)
    with pytest.raises(BadRequest):
        email_change.pending_change(public, token)


def test_changing_back_does_not_revive_an_old_link(db: Database, clock: FrozenClock):
    user = create_random_user(db, clock, "viewer")
    first = ask(db, clock, user, "second@example.com")
    public = system_context(db, clock)
    email_change.confirm_change(public, first)
    moved = user.model_copy(update={"email": "second@example.com"})
    email_change.confirm_change(public, ask(db, clock, moved, user.email))
    assert email_of(db, user.id) == user.email
    with pytest.raises(BadRequest):  # same address as when it was made, but updated_at moved
        email_change.confirm_change(public, first)


def test_a_newer_link_and_an_older_one_cannot_both_be_used(db: Database, clock: FrozenClock):
    user = create_random_user(db, clock, "viewer")
    one, two = ask(db, clock, user, "one@example.com"), ask(db, clock, user, "two@example.com")
    public = system_context(db, clock)
    email_change.confirm_change(public, two)
    with pytest.raises(BadRequest):
        email_change.confirm_change(public, one)
    assert email_of(db, user.id) == "two@example.com"


def test_the_link_expires(db: Database, clock: FrozenClock):
    user = create_random_user(db, clock, "viewer")
    token = ask(db, clock, user, "later@example.com")
    clock.advance(db.settings.email_verification_ttl_seconds * 1000 + 1000)
    with pytest.raises(BadRequest):
        email_change.confirm_change(system_context(db, clock), token)
    assert email_of(db, user.id) == user.email


def test_a_taken_address_is_refused_when_asked_and_when_confirmed(db: Database, clock: FrozenClock):
    user, other = create_random_user(db, clock, "viewer"), create_random_user(db, clock, "viewer")
    with pytest.raises(Conflict) as taken:
        ask(db, clock, user, other.email.upper())
    assert taken.value.code == "duplicate_email"
    token = ask(db, clock, user, "contested@example.com")
    email_change.confirm_change(
        system_context(db, clock), ask(db, clock, other, "contested@example.com")
    )
    with pytest.raises(Conflict):
        email_change.confirm_change(system_context(db, clock), token)
    assert email_of(db, user.id) == user.email


def test_a_link_cannot_be_bent_to_another_account(db: Database, clock: FrozenClock):
    victim, attacker = (
        create_random_user(db, clock, "admin"),
        create_random_user(db, clock, "viewer"),
    )
    token = ask(db, clock, attacker, "attacker-new@example.com")
    claims = jwt.decode(token, options={"verify_signature": False})
    public = system_context(db, clock)
    # the payload edited without the key: the signature no longer matches
    forged = jwt.encode({**claims, "sub": victim.id}, "not-the-key-0123456789abcdef0123", ALGORITHM)
    with pytest.raises(BadRequest):
        email_change.confirm_change(public, forged)
    # even signed with the key, the fingerprint belongs to the attacker's account
    resigned = jwt.encode({**claims, "sub": victim.id}, signing_key(db.settings), ALGORITHM)
    with pytest.raises(BadRequest):
        email_change.confirm_change(public, resigned)
    assert email_of(db, victim.id) == victim.email
    # an email change link is not an access token, and an access token is not such a link
    with pytest.raises(Unauthorized):
        decode_access_token(db.settings, token, now_ms=clock.now_ms())
    for junk in ("", "x" * 5000, "a.b.c", token + "x", "'; DROP TABLE users; --"):
        with pytest.raises(BadRequest):
            email_change.confirm_change(public, junk)


def test_the_request_checks_password_address_and_session(db: Database, clock: FrozenClock):
    user = create_random_user(db, clock, "viewer")
    ctx = acting(db, clock, user)
    with pytest.raises(Forbidden):
        email_change.request_change(ctx, new_email="x@example.com", password="wrong password")
    for bad in ("not an email", "a@b", "<script>@example.com", "x" * 400 + "@example.com"):
        with pytest.raises(ValidationFailed):
            email_change.request_change(ctx, new_email=bad, password=TEST_PASSWORD)
    with pytest.raises(ValidationFailed):
        email_change.request_change(ctx, new_email=user.email.upper(), password=TEST_PASSWORD)
    with pytest.raises(Unauthorized):
        email_change.request_change(
            system_context(db, clock), new_email="x@example.com", password=TEST_PASSWORD
        )


def test_a_deactivated_account_cannot_use_its_link(db: Database, clock: FrozenClock):
    user = create_random_user(db, clock, "viewer")
    token = ask(db, clock, user, "gone@example.com")
    with db.write() as conn:
        conn.execute(User.__table__.update().where(User.id == user.id).values(is_active=False))
    with pytest.raises(BadRequest):
        email_change.confirm_change(system_context(db, clock), token)


@pytest.fixture
def api(db_url: str, db: Database, clock: FrozenClock) -> Iterator[TestClient]:
    app = create_app(make_settings(db_url, env="development"), db=db, clock=clock)
    with TestClient(app) as test_client:
        yield test_client


def test_the_api_routes(api: TestClient, db: Database, clock: FrozenClock, capsys):
    user = create_random_user(db, clock, "editor")
    headers = headers_for(db, db.settings, clock, user)
    body = {"email": "api-new@example.com", "password": TEST_PASSWORD}
    assert api.post("/auth/change-email", json=body).status_code == 401
    extra = api.post("/auth/change-email", json=body | {"role": "admin"}, headers=headers)
    assert extra.status_code == 422
    wrong = api.post("/auth/change-email", json=body | {"password": "nope"}, headers=headers)
    assert wrong.status_code == 403
    asked = api.post("/auth/change-email", json=body, headers=headers)
    assert asked.status_code == 200, asked.text
    # the mail went to the console sender after the answer: read the link from it
    printed = capsys.readouterr().out
    assert "To: api-new@example.com" in printed
    token = token_of(MailMessage("api-new@example.com", "", printed))
    assert api.post("/auth/confirm-email-change", json={"token": token, "x": 1}).status_code == 422
    done = api.post("/auth/confirm-email-change", json={"token": token})
    assert done.status_code == 200, done.text
    assert done.json()["data"]["email"] == "api-new@example.com"
    again = api.post("/auth/confirm-email-change", json={"token": token})
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_email_change_token"
