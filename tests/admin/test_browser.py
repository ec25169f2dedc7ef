"""The admin in a real browser: Debian's chromium driven by Playwright, against a real
`sonic serve` process.

Playwright's own browser download is not reachable here, so the tests launch
``/usr/bin/chromium`` (``make test`` installs it when missing, as root with apt). Every test
counts requests to any host but the server (they are aborted and must number zero) and fails
on any console error, so an asset from a CDN or a CSP violation shows up as a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

from sonic_cms.clock import FrozenClock
from sonic_cms.db.engine import Database
from tests.utils.auth import TEST_PASSWORD, create_random_user, system_context
from tests.utils.live_server import LiveServer, live_server
from tests.utils.redis_server import free_port

CHROMIUM = Path(os.environ.get("SONIC_TEST_CHROMIUM", "/usr/bin/chromium"))

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"no chromium at {CHROMIUM}: run `make browser` (apt-get install chromium)",
    ),
    pytest.mark.parametrize("engine_name", ["sqlite"]),
]


@dataclass
class Watch:
    """What a page did that it must not: requests to other hosts, console errors."""

    origin: str
    external: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    port = free_port()
    with live_server(db_url, tmp_path, port=port, public_url=f"http://127.0.0.1:{port}") as live:
        yield live


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


def open_page(browser: Browser, server: LiveServer, width: int = 1440) -> tuple[Page, Watch]:
    """A fresh context and page whose outside requests are aborted and counted."""
    watch = Watch(server.url)
    context = browser.new_context(viewport={"width": width, "height": 900})

    def route(route: Route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != server.url and parts.scheme in {"http", "https"}:
            watch.external.append(url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: watch.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: watch.errors.append(str(e)))
    return page, watch


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


def sign_in(page: Page, server: LiveServer, email: str) -> None:
    page.goto(f"{server.url}/auth/login")
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', TEST_PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url(f"{server.url}/admin")


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
