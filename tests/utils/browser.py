"""Driving the admin in a real browser: Debian's chromium under Playwright, against a real
`sonic serve` process.

Playwright's own browser download is not reachable here, so tests launch ``/usr/bin/chromium``
(``make test`` installs it when missing, as root with apt). :func:`open_page` counts requests
to any host but the server (they are aborted and must number zero) and console errors, so an
asset from a CDN or a CSP violation shows up as a failure. The ``server`` and ``browser``
fixtures live in ``tests/admin/conftest.py``; browser test modules set :data:`BROWSER_MARKS`
as their ``pytestmark``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Playwright, Route

from tests.utils.auth import TEST_PASSWORD
from tests.utils.live_server import LiveServer

CHROMIUM = Path(os.environ.get("SONIC_TEST_CHROMIUM", "/usr/bin/chromium"))

BROWSER_MARKS = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"no chromium at {CHROMIUM}: run `make browser` (apt-get install chromium)",
    ),
    pytest.mark.parametrize("engine_name", ["sqlite"]),
]


#: Chromium's own background traffic (updates, safe browsing, sync) is off: this machine's closed
#: network refuses it, and each refused lookup costs time at every start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch(playwright: Playwright) -> Browser:
    """Debian's chromium, headless, with no traffic of its own."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


@dataclass
class Watch:
    """What a page did that it must not: requests to other hosts, console errors."""

    origin: str
    external: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


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


def sign_in(page: Page, server: LiveServer, email: str) -> None:
    page.goto(f"{server.url}/auth/login")
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', TEST_PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url(f"{server.url}/admin")
