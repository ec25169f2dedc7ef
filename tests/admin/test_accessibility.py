"""axe-core on every main page at both widths: no serious or critical violation.

The pages come from tests/admin/main_pages.py (the one list the screenshots and the page-time
benchmark read too); each is shown with the sample site's data, signed in as an administrator
(who sees every menu) when the page needs it. axe-core is vendored from npm under
tests/admin/vendor/ by `make assets` and injected only here; the admin never ships it.

The pages only read, so one server, one sample site and one browser serve the whole module
(each page gets fresh browser contexts): starting them for every page cost most of the time.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from sonic_cms.clock import SystemClock
from sonic_cms.db.engine import Database
from tests.admin.main_pages import MAIN_PAGES, WIDTHS, MainPage, SampleSite, seed_sample_site
from tests.conftest import make_settings
from tests.utils.browser import BROWSER_MARKS, launch, open_page, sign_in
from tests.utils.live_server import LiveServer, live_server

pytestmark = BROWSER_MARKS[:1]  # the module runs on its own SQLite site, not per engine

AXE = Path(__file__).with_name("vendor") / "axe-core" / "axe.min.js"
#: WCAG 2.0, 2.1 and 2.2 A and AA rules, and axe's best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
BLOCKING = {"serious", "critical"}


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now.

    The page's CSP refuses inline scripts, ``page.add_script_tag`` included (it inserts the
    file's text as an inline ``<script>``), and rightly: the test must not weaken the policy it
    checks. axe is evaluated through the DevTools protocol instead, which a page's CSP does not
    govern, in the page's own window.
    """
    page.evaluate(AXE.read_text() + "\n;true")
    options = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}
    results: dict[str, Any] = page.evaluate("options => axe.run(document, options)", options)
    return list(results["violations"])


def describe(violations: list[dict[str, Any]]) -> str:
    """One line per violation with the first offending elements, for the failure message."""
    lines = []
    for v in violations:
        targets = [" ".join(map(str, node["target"])) for node in v["nodes"][:3]]
        lines.append(f"{v['impact']}: {v['id']} ({v['help']}) at {targets}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def site(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, SampleSite]]:
    """A server on a copy of the migrated template holding the sample site."""
    folder = tmp_path_factory.mktemp("axe")
    shutil.copyfile(sqlite_template, folder / "sonic.db")
    url = f"sqlite:///{folder / 'sonic.db'}"
    db = Database(make_settings(url))
    sample = seed_sample_site(db, SystemClock())
    db.dispose()
    with live_server(url, folder) as server:
        yield server, sample


@pytest.fixture(scope="module")
def module_browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = launch(playwright)
        yield launched
        launched.close()


@pytest.mark.parametrize("main_page", MAIN_PAGES, ids=[p.name for p in MAIN_PAGES])
def test_no_serious_accessibility_violation(
    main_page: MainPage, site: tuple[LiveServer, SampleSite], module_browser: Browser
):
    server, sample = site
    browser = module_browser
    for width in WIDTHS:
        page, watch = open_page(browser, server, width)
        if main_page.signed_in:
            sign_in(page, server, sample.admin_email)
        page.goto(server.url + main_page.url(sample))
        assert page.url.startswith(server.url + main_page.url(sample).split("?")[0])
        violations = axe_violations(page)
        blocking = [v for v in violations if v["impact"] in BLOCKING]
        assert blocking == [], f"{main_page.name} at {width} px:\n{describe(blocking)}"
        assert watch.external == []
        assert watch.errors == []
        page.context.close()


def test_the_check_catches_a_serious_violation(
    site: tuple[LiveServer, SampleSite], module_browser: Browser
):
    """The harness itself: an input without a label on the sign-in page must be reported."""
    server = site[0]
    page, watch = open_page(module_browser, server)
    page.goto(f"{server.url}/admin/login")
    page.evaluate("document.querySelector('form').append(document.createElement('input'))")
    found = {v["id"]: v["impact"] for v in axe_violations(page)}
    assert found.get("label") == "critical", found
    assert watch.external == [] and watch.errors == []
