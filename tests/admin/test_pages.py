"""The admin's sign-in, shell and dashboard over the app (TestClient), on both engines.

The browser flows are in test_browser.py; these pin the HTTP contract: redirects, the CSP
header, the CSRF refusal, the cookies, what each role's sidebar holds.
"""

from __future__ import annotations

import re

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import select

from sonic_cms.admin.security import CSP
from sonic_cms.clock import FrozenClock
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import User
from tests.utils.auth import TEST_PASSWORD, create_random_user, system_context

TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def csrf_of(html: str) -> str:
    found = TOKEN.search(html)
    assert found, html
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str = TEST_PASSWORD, **extra: str):
    token = csrf_of(client.get("/admin/login").text)
    form = {"email": email, "password": password, "csrf_token": token, **extra}
    return client.post("/admin/login", data=form, follow_redirects=False)


def test_signed_out_dashboard_redirects_to_the_sign_in_page(client: TestClient):
    for path in ("/admin", "/admin/"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/admin/login"


def test_sign_in_page_has_sonicjs_inputs_csp_and_a_reset_link(client: TestClient):
    for path in ("/admin/login", "/auth/login"):
        answer = client.get(path)
        assert answer.status_code == 200
        assert answer.headers["content-security-policy"] == CSP
        assert "'unsafe-inline'" not in CSP and "http" not in CSP
        html = answer.text
        assert 'name="email"' in html and 'name="password"' in html
        assert 'type="submit"' in html
        assert 'href="/admin/forgot-password"' in html
        assert "<script>" not in html and "http://" not in html and "https://" not in html


def test_sign_in_lands_on_the_dashboard(client: TestClient, db: Database, clock: FrozenClock):
    user = create_random_user(db, clock, "editor")
    answer = sign_in(client, user.email)
    assert answer.status_code == 303 and answer.headers["location"] == "/admin"
    cookies = answer.headers.get_list("set-cookie")
    assert any(c.startswith("auth_token=") and "SameSite=Strict" in c for c in cookies)
    page = client.get("/admin")
    assert page.status_code == 200
    assert '<h1 class="page-header__title">Dashboard</h1>' in page.text
    assert "My drafts" in page.text and "Waiting for my review" in page.text
    assert page.headers["content-security-policy"] == CSP


def test_wrong_password_shows_the_form_again(client: TestClient, db: Database, clock: FrozenClock):
    user = create_random_user(db, clock, "editor")
    answer = sign_in(client, user.email, "wrong password")
    assert answer.status_code == 401
    assert "Invalid email or password" in answer.text
    assert not any(c.startswith("auth_token=") for c in answer.headers.get_list("set-cookie"))


def test_a_post_without_the_csrf_token_is_refused(
    client: TestClient, db: Database, clock: FrozenClock
):
    user = create_random_user(db, clock, "editor")
    client.get("/admin/login")
    form = {"email": user.email, "password": TEST_PASSWORD}
    answer = client.post("/admin/login", data=form, follow_redirects=False)
    assert answer.status_code == 403 and answer.json()["code"] == "csrf_failed"
    forged = client.post("/admin/login", data={**form, "csrf_token": "0" * 64})
    assert forged.status_code == 403
    assert sign_in(client, user.email).status_code == 303
    logout = client.post("/admin/logout", data={}, follow_redirects=False)
    assert logout.status_code == 403
    assert client.get("/admin", follow_redirects=False).status_code == 200


def test_logout_revokes_the_session(client: TestClient, db: Database, clock: FrozenClock):
    user = create_random_user(db, clock, "editor")
    sign_in(client, user.email)
    stolen = client.cookies.get("auth_token")
    token = csrf_of(client.get("/admin").text)
    answer = client.post("/admin/logout", data={"csrf_token": token}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/admin/login?signed_out=1"
    assert client.get("/admin", follow_redirects=False).status_code == 303
    replay = client.get("/auth/me", headers={"Authorization": f"Bearer {stolen}"})
    assert replay.status_code == 401


def test_a_csrf_token_of_another_session_is_refused(
    client: TestClient, db: Database, clock: FrozenClock
):
    user = create_random_user(db, clock, "editor")
    before = csrf_of(client.get("/admin/login").text)
    sign_in(client, user.email)
    answer = client.post("/admin/logout", data={"csrf_token": before}, follow_redirects=False)
    assert answer.status_code == 403


def test_totp_second_step(client: TestClient, db: Database, clock: FrozenClock):
    from sonic_cms.auth import two_factor

    user = create_random_user(db, clock, "author")
    ctx = system_context(db, clock).acting_as(_actor(db, clock, user.id))
    uri = two_factor.enroll(ctx)
    secret = pyotp.parse_uri(uri).secret
    two_factor.confirm(ctx, pyotp.TOTP(secret).at(clock.now_ms() / 1000), None)
    first = sign_in(client, user.email)
    assert first.status_code == 200 and 'name="code"' in first.text
    clock.advance(31_000)
    token = csrf_of(first.text)
    form = {"email": user.email, "password": TEST_PASSWORD, "csrf_token": token}
    wrong = client.post("/admin/login", data={**form, "code": "000000"}, follow_redirects=False)
    assert wrong.status_code == 401 and 'name="code"' in wrong.text
    code = pyotp.TOTP(secret).at(clock.now_ms() / 1000)
    answer = client.post("/admin/login", data={**form, "code": code}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/admin"


def _actor(db: Database, clock: FrozenClock, user_id: str):
    from sonic_cms.auth.authentication import actor_for_user

    return actor_for_user(system_context(db, clock), user_id)


def test_menus_follow_permissions(client: TestClient, db: Database, clock: FrozenClock):
    viewer = create_random_user(db, clock, "viewer")
    sign_in(client, viewer.email)
    html = client.get("/admin").text
    assert "data-admin-menu" not in html and "Review queue" not in html
    assert "Waiting for my review" not in html
    client.cookies.clear()
    admin = create_random_user(db, clock, "admin")
    sign_in(client, admin.email)
    html = client.get("/admin").text
    assert "data-admin-menu" in html and 'href="/admin/users"' in html


def test_assets_are_hashed_and_cached_for_a_year(client: TestClient):
    html = client.get("/admin/login").text
    urls = re.findall(r'(?:href|src)="(/admin/static/[^"]+)"', html)
    assert len(urls) == 3
    for url in urls:
        answer = client.get(url)
        assert answer.status_code == 200
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
    stale = re.sub(r"/admin/static/[0-9a-f]+/", "/admin/static/0000000000000000/", urls[0])
    assert client.get(stale).status_code == 404


def test_the_json_sign_in_still_answers_json(client: TestClient, db: Database, clock: FrozenClock):
    user = create_random_user(db, clock, "editor")
    answer = client.post("/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
    assert answer.status_code == 200 and answer.json()["user"]["email"] == user.email


def test_forgot_password_asks_the_reset_service(
    client: TestClient, db: Database, clock: FrozenClock
):
    user = create_random_user(db, clock, "editor")
    page = client.get("/admin/forgot-password")
    assert page.status_code == 200 and page.headers["content-security-policy"] == CSP
    form = {"email": user.email, "csrf_token": csrf_of(page.text)}
    assert client.post("/admin/forgot-password", data={"email": user.email}).status_code == 403
    answer = client.post("/admin/forgot-password", data=form)
    assert answer.status_code == 200 and "a link to choose a new password" in answer.text
    with db.read() as conn:
        token = conn.execute(select(User.password_reset_token).where(User.id == user.id)).scalar()
    assert token


def test_dashboard_counts_items_per_collection_and_status(
    client: TestClient, db: Database, clock: FrozenClock
):
    from sonic_cms.content import collections, items

    admin = create_random_user(db, clock, "admin")
    ctx = system_context(db, clock).acting_as(_actor(db, clock, admin.id))
    news = collections.create_collection(
        ctx,
        {"name": "news", "display_name": "News", "schema": {"type": "object", "properties": {}}},
    )
    for title in ("One", "Two"):
        items.create_item(ctx, {"collectionId": news["id"], "title": title, "data": {}})
    sign_in(client, admin.email)
    html = client.get("/admin").text
    assert 'href="/admin/content?collection=news"' in html
    assert 'aria-label="2 items">2</span>' in html
    assert "One" in html and "Two" in html
