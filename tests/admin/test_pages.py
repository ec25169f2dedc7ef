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
from tests.utils.query_count import counting_statements

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
        assert answer.status_code == 303  # through the refresh, which finds no refresh cookie
        assert answer.headers["location"] == f"/auth/refresh-session?next={path}"
        refresh = client.get(answer.headers["location"], follow_redirects=False)
        assert refresh.status_code == 303
        assert refresh.headers["location"] == "/admin/login"


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


def test_dashboard_names_collections_by_their_display_name(
    client: TestClient, db: Database, clock: FrozenClock
):
    from sonic_cms.content import collections, items

    admin = create_random_user(db, clock, "admin")
    ctx = system_context(db, clock).acting_as(_actor(db, clock, admin.id))
    schema = {"type": "object", "properties": {}}
    body = {"name": "press_notes", "display_name": "Press releases", "schema": schema}
    press = collections.create_collection(ctx, body)
    items.create_item(ctx, {"collectionId": press["id"], "title": "Hello", "data": {}})
    sign_in(client, admin.email)
    html = client.get("/admin").text
    link = '<th scope="row"><a href="/admin/content?collection=press_notes">Press releases</a>'
    assert link in html
    assert ">press_notes</a>" not in html


def test_dashboard_queries_do_not_grow_with_the_items(
    client: TestClient, db: Database, clock: FrozenClock
):
    """N+1: the same number of statements over 3 items as over 30 (all panels full)."""
    from sonic_cms.content import collections, items
    from sonic_cms.workflow import scheduling, transitions

    admin = create_random_user(db, clock, "admin")
    ctx = system_context(db, clock).acting_as(_actor(db, clock, admin.id))
    schema = {"type": "object", "properties": {}}
    news = collections.create_collection(
        ctx, {"name": "news", "display_name": "News", "schema": schema}
    )
    sign_in(client, admin.email)

    def add(count: int, start: int = 0) -> None:
        for n in range(start, start + count):
            clock.advance(1000)  # "recent" sorts by time
            status = ("draft", "published", "draft")[n % 3]
            body = {"collectionId": news["id"], "title": f"Item {n}", "data": {}, "status": status}
            item = items.create_item(ctx, body)
            if n % 3 == 0:
                when = clock.now_ms() + 86_400_000
                scheduling.schedule(ctx, item["id"], {"action": "publish", "scheduled_at": when})
            elif n % 3 == 2:
                transitions.transition(ctx, item["id"], "pending-review")

    def dashboard_statements() -> int:
        """The page's reads: not the request log's writes, nor the reloads of the plugin and
        log settings caches, which come on their own schedule, whatever the page."""
        client.get("/admin")  # warm: the role's permissions are cached after the first
        with counting_statements(db.engine) as seen:
            answer = client.get("/admin")
        assert answer.status_code == 200
        reads = [
            sql
            for sql in seen.sql
            if sql.lstrip().upper().startswith("SELECT")
            and not any(cache in sql for cache in ("FROM plugins", "FROM log_config"))
        ]
        assert len(reads) > 5
        return len(reads)

    add(3)
    few = dashboard_statements()
    add(27, start=3)
    many = dashboard_statements()
    assert few == many, f"{few} statements for 3 items, {many} for 30"
    assert "Item 29" in client.get("/admin").text  # the panels did show the newer rows


# -- the TOTP second step ---------------------------------------------------------------------


def enable_totp(db: Database, clock: FrozenClock, user_id: str) -> pyotp.TOTP:
    """Enrol ``user_id`` in 2FA; the authenticator that computes their codes."""
    from sonic_cms.auth import two_factor

    ctx = system_context(db, clock).acting_as(_actor(db, clock, user_id))
    totp = pyotp.TOTP(pyotp.parse_uri(two_factor.enroll(ctx)).secret)
    two_factor.confirm(ctx, totp.at(clock.now_ms() / 1000), None)
    clock.advance(31_000)  # the next code is a fresh one
    return totp


PENDING = re.compile(r'name="pending" value="([^"]+)"')


def code_step(client: TestClient, email: str) -> tuple[str, str]:
    """Sign in with the password of a 2FA account: the code step's (token, csrf token)."""
    first = sign_in(client, email)
    assert first.status_code == 200 and 'name="code"' in first.text
    found = PENDING.search(first.text)
    assert found, first.text
    return found.group(1), csrf_of(first.text)


def send_code(client: TestClient, pending: str, csrf: str, code: str, **extra: str):
    form = {"pending": pending, "code": code, "csrf_token": csrf, **extra}
    return client.post("/admin/login", data=form, follow_redirects=False)


def test_totp_second_step(client: TestClient, db: Database, clock: FrozenClock):
    user = create_random_user(db, clock, "author")
    totp = enable_totp(db, clock, user.id)
    first = sign_in(client, user.email)
    assert first.status_code == 200 and 'name="code"' in first.text
    assert TEST_PASSWORD not in first.text and 'name="password"' not in first.text
    assert not any(c.startswith("auth_token=") for c in first.headers.get_list("set-cookie"))
    pending, csrf = PENDING.search(first.text).group(1), csrf_of(first.text)  # type: ignore[union-attr]
    wrong = send_code(client, pending, csrf, "000000")
    assert wrong.status_code == 401 and 'name="code"' in wrong.text
    assert "Invalid two-factor code" in wrong.text and TEST_PASSWORD not in wrong.text
    answer = send_code(client, pending, csrf, totp.at(clock.now_ms() / 1000))
    assert answer.status_code == 303 and answer.headers["location"] == "/admin"
    assert client.get("/admin", follow_redirects=False).status_code == 200


def test_a_used_pending_token_is_refused(client: TestClient, db: Database, clock: FrozenClock):
    user = create_random_user(db, clock, "author")
    totp = enable_totp(db, clock, user.id)
    pending, csrf = code_step(client, user.email)
    assert send_code(client, pending, csrf, totp.at(clock.now_ms() / 1000)).status_code == 303
    client.cookies.delete("auth_token")
    clock.advance(31_000)  # a fresh code: only the token's single use can refuse it
    again = send_code(client, pending, csrf, totp.at(clock.now_ms() / 1000))
    assert again.status_code == 401 and "Your sign-in has expired" in again.text
    assert 'name="password"' in again.text  # back to the password step


def test_an_expired_pending_token_is_refused(client: TestClient, db: Database, clock: FrozenClock):
    user = create_random_user(db, clock, "author")
    totp = enable_totp(db, clock, user.id)
    pending, csrf = code_step(client, user.email)
    clock.advance(301_000)
    late = send_code(client, pending, csrf, totp.at(clock.now_ms() / 1000))
    assert late.status_code == 401 and "Your sign-in has expired" in late.text
    assert not any(c.startswith("auth_token=") for c in late.headers.get_list("set-cookie"))
    pending, csrf = code_step(client, user.email)
    clock.advance(299_000)  # just inside the five minutes
    assert send_code(client, pending, csrf, totp.at(clock.now_ms() / 1000)).status_code == 303


def test_a_forged_or_foreign_pending_token_is_refused(
    client: TestClient, db: Database, clock: FrozenClock
):
    import jwt

    from sonic_cms.auth.access_tokens import signing_key

    user = create_random_user(db, clock, "author")
    other = create_random_user(db, clock, "admin")
    totp = enable_totp(db, clock, user.id)
    enable_totp(db, clock, other.id)
    pending, csrf = code_step(client, user.email)
    code = totp.at(clock.now_ms() / 1000)
    header, body, signature = pending.split(".")
    forged = f"{header}.{body}.{signature[:-4]}AAAA"
    claims = jwt.decode(pending, options={"verify_signature": False})
    settings = client.app.state.ctx.settings  # type: ignore[attr-defined]
    other_user = jwt.encode(claims | {"sub": other.id}, signing_key(settings), algorithm="HS256")
    access = client.post("/auth/login", json={"email": "x@example.com", "password": "x"})
    assert access.status_code == 401
    for token in (forged, other_user, "not-a-token"):
        answer = send_code(client, token, csrf, code)
        assert answer.status_code == 401 and "Your sign-in has expired" in answer.text, token
    # Another browser (another CSRF cookie) holding the token and a right code gets nothing.
    stranger = TestClient(client.app, headers={"Origin": "http://testserver"})
    stranger_csrf = csrf_of(stranger.get("/admin/login").text)
    answer = send_code(stranger, pending, stranger_csrf, code)
    assert answer.status_code == 401 and "Your sign-in has expired" in answer.text
    # The pending token is no access token.
    assert client.get("/auth/me", headers={"Authorization": f"Bearer {pending}"}).status_code == 401
    assert send_code(client, pending, csrf, code).status_code == 303  # still good where it belongs


def test_code_attempts_are_throttled(client: TestClient, db: Database, clock: FrozenClock):
    user = create_random_user(db, clock, "author")
    totp = enable_totp(db, clock, user.id)
    pending, csrf = code_step(client, user.email)
    statuses = [send_code(client, pending, csrf, "000000").status_code for _ in range(6)]
    assert statuses == [401, 401, 401, 401, 401, 429]  # five failures per account, then locked
    locked = send_code(client, pending, csrf, totp.at(clock.now_ms() / 1000))
    assert locked.status_code == 429  # even the right code, while locked


# -- expired access tokens and `next` ---------------------------------------------------------


def test_an_expired_access_token_is_renewed_from_the_refresh_cookie(
    client: TestClient, db: Database, clock: FrozenClock
):
    user = create_random_user(db, clock, "editor")
    sign_in(client, user.email)
    old_access = client.cookies.get("auth_token")
    ttl = client.app.state.ctx.settings.access_token_ttl_seconds  # type: ignore[attr-defined]
    clock.advance((ttl + 1) * 1000)
    assert client.get("/auth/me").status_code == 401  # the access token did expire
    wanted = "/admin?from=mail&x=1"
    first = client.get(wanted, follow_redirects=False)
    assert first.status_code == 303
    refresh = first.headers["location"]
    assert refresh == "/auth/refresh-session?next=/admin%3Ffrom%3Dmail%26x%3D1"
    renewed = client.get(refresh, follow_redirects=False)
    assert renewed.status_code == 303 and renewed.headers["location"] == wanted
    cookies = renewed.headers.get_list("set-cookie")
    assert any(c.startswith("auth_token=") for c in cookies)
    assert any(c.startswith("refresh_token=") and "Path=/auth" in c for c in cookies)
    assert client.cookies.get("auth_token") != old_access
    dashboard = client.get("/admin")  # following every redirect from the start also works
    assert dashboard.status_code == 200 and "Dashboard" in dashboard.text
    clock.advance((ttl + 1) * 1000)
    assert client.get("/admin").url.path == "/admin"


def test_a_dead_refresh_token_goes_to_the_sign_in_page_with_next(
    client: TestClient, db: Database, clock: FrozenClock
):
    user = create_random_user(db, clock, "editor")
    sign_in(client, user.email)
    revoked = client.cookies.get("refresh_token", path="/auth")
    assert revoked and revoked.startswith("srt_")
    token = csrf_of(client.get("/admin").text)
    client.post("/admin/logout", data={"csrf_token": token})  # revokes the session
    for dead in (revoked, "srt_made-up"):
        client.cookies.clear()
        client.cookies.set("refresh_token", dead, path="/auth")
        answer = client.get("/auth/refresh-session?next=/admin/workflow", follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/admin/login?next=/admin/workflow"
        cookies = answer.headers.get_list("set-cookie")
        assert any(c.startswith("refresh_token=;") for c in cookies)  # the dead one is cleared
        assert not any(c.startswith("auth_token=ey") for c in cookies)


def test_sign_in_honours_a_local_next_only(client: TestClient, db: Database, clock: FrozenClock):
    user = create_random_user(db, clock, "editor")
    page = client.get("/admin/login?next=/admin/media%3Fq%3Dx")
    assert 'name="next" value="/admin/media?q=x"' in page.text
    token = csrf_of(page.text)
    form = {"email": user.email, "password": TEST_PASSWORD, "csrf_token": token}
    answer = client.post(
        "/admin/login", data={**form, "next": "/admin/media?q=x"}, follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/admin/media?q=x"
    signed_in = client.get("/admin/login?next=/admin/workflow", follow_redirects=False)
    assert signed_in.headers["location"] == "/admin/workflow"
    client.cookies.clear()
    hostile = (
        "https://evil.example/admin",
        "//evil.example/admin",
        "/\\evil.example/admin",
        "/admin\\..\\x",
        "/elsewhere",
        "http:/admin",
        "/admin@evil.example",
    )
    for wanted in hostile:
        page = client.get("/admin/login", params={"next": wanted})
        assert 'name="next"' not in page.text, wanted
        token = csrf_of(page.text)
        form = {"email": user.email, "password": TEST_PASSWORD, "csrf_token": token}
        answer = client.post("/admin/login", data={**form, "next": wanted}, follow_redirects=False)
        assert answer.headers["location"] == "/admin", wanted
        client.cookies.clear()
        refresh = client.get(
            "/auth/refresh-session", params={"next": wanted}, follow_redirects=False
        )
        assert refresh.headers["location"] == "/admin/login", wanted


def test_an_htmx_request_is_sent_back_to_the_page_it_came_from(client: TestClient):
    answer = client.get(
        "/admin",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/admin/media?page=2"},
        follow_redirects=False,
    )
    assert answer.status_code == 204
    assert answer.headers["hx-redirect"] == "/auth/refresh-session?next=/admin/media%3Fpage%3D2"
