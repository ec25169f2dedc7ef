"""The admin in a real browser: signing in, the shell at two widths, signing out, CSRF."""

from __future__ import annotations

import time

import pyotp
import pytest
from playwright.sync_api import Browser

from sonic_cms.clock import FrozenClock
from sonic_cms.db.engine import Database
from tests.utils.auth import TEST_PASSWORD, create_random_user, system_context
from tests.utils.browser import BROWSER_MARKS, open_page, sign_in
from tests.utils.live_server import LiveServer

pytestmark = BROWSER_MARKS


def seed_news(db: Database, clock: FrozenClock, user_id: str) -> None:
    """A collection with a draft and a published item by ``user_id``, for the dashboard."""
    from sonic_cms.auth.authentication import actor_for_user
    from sonic_cms.content import collections, items

    system = system_context(db, clock)
    ctx = system.acting_as(actor_for_user(system, user_id))
    schema = {"type": "object", "properties": {}}
    news = collections.create_collection(
        ctx, {"name": "news", "display_name": "News", "schema": schema}
    )
    for title, status in (("Spring launch notes", "draft"), ("Welcome", "published")):
        body = {"collectionId": news["id"], "title": title, "data": {}, "status": status}
        items.create_item(ctx, body)


def test_sign_in_lands_on_the_dashboard_with_nothing_from_outside(
    server: LiveServer,
    browser: Browser,
    db: Database,
    clock: FrozenClock,
    tmp_path_factory: pytest.TempPathFactory,
):
    admin = create_random_user(db, clock, "admin")
    seed_news(db, clock, admin.id)
    shots = tmp_path_factory.mktemp("admin-screenshots")
    for width in (360, 1440):
        page, watch = open_page(browser, server, width)
        page.goto(f"{server.url}/admin")
        assert page.url == f"{server.url}/admin/login"
        page.screenshot(path=str(shots / f"login-{width}.png"), full_page=True)
        sign_in(page, server, admin.email)
        heading = page.locator("h1")
        assert heading.inner_text() == "Dashboard"
        assert page.locator("[data-admin-menu]").count() == 1
        page.screenshot(path=str(shots / f"dashboard-{width}.png"), full_page=True)
        sidebar = page.locator("#sidebar")
        if width == 360:  # folded behind the Menu button, which opens it
            assert not sidebar.is_visible()
            page.click("[data-nav-toggle]")
            page.screenshot(path=str(shots / f"menu-{width}.png"))
        assert sidebar.is_visible()
        page.wait_for_load_state("load")  # styles applied before measuring
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"horizontal scrolling at {width} px"
        assert watch.external == []
        assert watch.errors == []
    print(f"screenshots in {shots}")


def test_a_viewer_sees_no_admin_menu_and_can_sign_out(
    server: LiveServer, browser: Browser, db: Database, clock: FrozenClock
):
    viewer = create_random_user(db, clock, "viewer")
    page, watch = open_page(browser, server)
    sign_in(page, server, viewer.email)
    assert page.locator("[data-admin-menu]").count() == 0
    assert page.locator("text=Review queue").count() == 0
    assert page.evaluate("typeof htmx") == "object"  # the vendored htmx ran under the CSP
    page.keyboard.press("Tab")  # the first stop is the skip link, shown when focused
    skip = page.locator(".skip-link")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.bounding_box()["y"] >= 0  # type: ignore[index]
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.click("summary.usermenu__summary")
    page.click("text=Sign out")
    page.wait_for_url(f"{server.url}/admin/login?signed_out=1")
    page.goto(f"{server.url}/admin")
    assert page.url == f"{server.url}/admin/login"
    assert watch.external == [] and watch.errors == []


def test_a_post_without_the_csrf_token_is_refused(
    server: LiveServer, browser: Browser, db: Database, clock: FrozenClock
):
    editor = create_random_user(db, clock, "editor")
    page, watch = open_page(browser, server)
    sign_in(page, server, editor.email)
    # The page itself (its cookies, its Origin: the API's origin check passes) posting the
    # logout form without the token: only the CSRF token is missing.
    answer = page.evaluate(
        """fetch('/admin/logout', {method: 'POST', redirect: 'manual'})
           .then(r => r.json().then(body => [r.status, body.error]))"""
    )
    assert answer == [403, "Missing or invalid CSRF token"]
    assert watch.errors == [
        "Failed to load resource: the server responded with a status of 403 (Forbidden)"
    ]  # the refusal itself, logged by the browser; nothing else
    watch.errors.clear()
    page.reload()
    assert page.url == f"{server.url}/admin"
    assert watch.external == [] and watch.errors == []


def enrol_totp(db: Database, user_id: str) -> pyotp.TOTP:
    """Turn on 2FA for ``user_id``; the authenticator the browser test reads codes from.

    Confirmed with a code of 90 s ago (a clock set back), so the code of now, which the
    sign-in sends, is not refused as a replay of the confirmation's.
    """
    from sonic_cms.auth import two_factor
    from sonic_cms.auth.authentication import actor_for_user

    earlier = FrozenClock(int(time.time() * 1000) - 90_000)
    system = system_context(db, earlier)
    ctx = system.acting_as(actor_for_user(system, user_id))
    totp = pyotp.TOTP(pyotp.parse_uri(two_factor.enroll(ctx)).secret)
    two_factor.confirm(ctx, totp.at(earlier.now_ms() / 1000))
    return totp


def test_sign_in_with_a_totp_code_and_back_to_the_page_asked_for(
    server: LiveServer,
    browser: Browser,
    db: Database,
    clock: FrozenClock,
    tmp_path_factory: pytest.TempPathFactory,
):
    author = create_random_user(db, clock, "author")
    totp = enrol_totp(db, author.id)
    page, watch = open_page(browser, server, 360)
    page.goto(f"{server.url}/admin/?from=bookmark")
    assert page.url == f"{server.url}/admin/login?next=/admin/%3Ffrom%3Dbookmark"
    page.fill('input[name="email"]', author.email)
    page.fill('input[name="password"]', TEST_PASSWORD)
    page.click('button[type="submit"]')
    code = page.locator('input[name="code"]')
    assert code.is_visible() and page.locator("h1").inner_text() == "Two-factor code"
    assert TEST_PASSWORD not in page.content()
    assert page.locator('input[name="password"]').count() == 0
    code.fill("000000")
    page.click('button[type="submit"]')
    assert page.locator("#login-error").inner_text() == "Invalid two-factor code"
    shots = tmp_path_factory.mktemp("totp-screenshots")
    page.screenshot(path=str(shots / "totp-wrong-code-360.png"), full_page=True)
    print(f"screenshot in {shots}")
    page.fill('input[name="code"]', totp.now())
    page.click('button[type="submit"]')
    page.wait_for_url(f"{server.url}/admin/?from=bookmark")
    assert page.locator("h1").inner_text() == "Dashboard"
    assert watch.external == []
    assert watch.errors == [
        "Failed to load resource: the server responded with a status of 401 (Unauthorized)"
    ]  # the wrong code's answer, logged by the browser; nothing else


def test_an_expired_access_cookie_is_renewed_without_signing_in_again(
    server: LiveServer, browser: Browser, db: Database, clock: FrozenClock
):
    """The access cookie lives as long as its token (Max-Age), so the browser drops it when
    the token expires; the refresh cookie (path /auth) outlives it. Dropping it by hand is
    what the browser does at expiry."""
    editor = create_random_user(db, clock, "editor")
    page, watch = open_page(browser, server)
    sign_in(page, server, editor.email)
    context = page.context
    before = {c["name"]: c for c in context.cookies()}
    assert before["refresh_token"]["path"] == "/auth"
    context.clear_cookies(name="auth_token")
    page.goto(f"{server.url}/admin/?tab=recent")
    assert page.url == f"{server.url}/admin/?tab=recent"
    assert page.locator("h1").inner_text() == "Dashboard"
    after = {c["name"]: c["value"] for c in context.cookies()}
    assert after["auth_token"] and after["refresh_token"] != before["refresh_token"]["value"]
    assert watch.external == [] and watch.errors == []
