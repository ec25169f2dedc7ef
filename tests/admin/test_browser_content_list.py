"""The content list in a real browser: search, filter, sort, select two items, publish them, see
the toast and the badges change; the delete dialog names how many; no horizontal scrolling at
360 and 1440 px; axe-core finds nothing serious; nothing leaves the server, no console error."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from sonic_cms.clock import FrozenClock
from sonic_cms.db.engine import Database
from tests.utils.auth import create_random_user, system_context
from tests.utils.browser import BROWSER_MARKS, open_page, sign_in
from tests.utils.live_server import LiveServer

pytestmark = BROWSER_MARKS

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
TITLES = "#content-results tbody th[scope=row]"
DRAFTS = ("Draft alpha", "Draft beta", "Draft gamma")


def seed(db: Database, clock: FrozenClock, user_id: str) -> None:
    """A "news" collection with three drafts and a published story, a minute apart."""
    from sonic_cms.auth.authentication import actor_for_user
    from sonic_cms.content import collections, items

    system = system_context(db, clock)
    ctx = system.acting_as(actor_for_user(system, user_id))
    schema = {"type": "object", "properties": {"summary": {"type": "string"}}}
    news = collections.create_collection(
        system, {"name": "news", "display_name": "News", "schema": schema}
    )
    for title, status in (*((d, "draft") for d in DRAFTS), ("Published story", "published")):
        body = {"collectionId": news["id"], "title": title, "data": {}, "status": status}
        items.create_item(ctx, body)
        clock.advance(60_000)


def shown(page: Page) -> list[str]:
    return [t.strip() for t in page.locator(TITLES).all_inner_texts()]


def serious_axe_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings (evaluated over DevTools: the CSP does not
    apply to it, and the page itself never loads it)."""
    page.evaluate(AXE.read_text())
    return list(
        page.evaluate(
            """axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa']})
               .then(r => r.violations
                 .filter(v => ['serious', 'critical'].includes(v.impact))
                 .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', ')))"""
        )
    )


def test_search_filter_sort_select_and_publish(
    server: LiveServer,
    browser: Browser,
    db: Database,
    clock: FrozenClock,
    tmp_path_factory: pytest.TempPathFactory,
):
    editor = create_random_user(db, clock, "editor")
    seed(db, clock, editor.id)
    shots = tmp_path_factory.mktemp("content-list-screenshots")
    page, watch = open_page(browser, server, 1440)
    sign_in(page, server, editor.email)
    page.goto(f"{server.url}/admin/content?collection=news")
    expect(page.locator("h1")).to_have_text("News")
    assert shown(page) == ["Published story", "Draft gamma", "Draft beta", "Draft alpha"]
    expect(page.get_by_role("link", name="New News")).to_be_visible()

    page.fill("#list-q", "beta")
    page.press("#list-q", "Enter")  # htmx swaps the results and pushes the URL
    expect(page.locator(TITLES)).to_have_text(["Draft beta"])
    assert "q=beta" in page.url
    expect(page.locator("#list-q")).to_be_focused()

    page.fill("#list-q", "")
    page.select_option("#list-status", "published")  # a change submits the filters
    expect(page.locator(TITLES)).to_have_text(["Published story"])
    assert "status=published" in page.url and "q=" not in page.url
    page.select_option("#list-status", "")
    expect(page.locator(TITLES)).to_have_count(4)

    page.get_by_role("link", name="Title").click()
    title_header = page.locator("th[aria-sort]")
    expect(title_header).to_have_attribute("aria-sort", "ascending")
    expect(title_header).to_contain_text("Title")
    expect(page.locator(TITLES)).to_have_text(
        ["Draft alpha", "Draft beta", "Draft gamma", "Published story"]
    )
    assert "sort=title" in page.url

    publish = page.get_by_role("button", name="Publish", exact=True)
    expect(publish).to_be_disabled()  # nothing selected yet
    page.get_by_label("Select Draft alpha").focus()
    page.keyboard.press("Space")  # keyboard: a checkbox toggles with Space
    page.get_by_label("Select Draft beta").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("2 items selected")
    expect(page.locator("[data-select-all]")).to_have_js_property("indeterminate", True)
    page.screenshot(path=str(shots / "content-list-selected-1440.png"), full_page=True)
    publish.click()

    toast = page.locator("#toasts .toast")
    expect(toast).to_contain_text("2 published")
    for title, badge in (
        ("Draft alpha", "Published"),
        ("Draft beta", "Published"),
        ("Draft gamma", "Draft"),
    ):
        row = page.locator("#content-results tbody tr", has_text=title)
        expect(row.locator("[data-status]")).to_have_text(badge)
    page.screenshot(path=str(shots / "content-list-published-1440.png"), full_page=True)

    page.get_by_label("Select Draft gamma").check()
    page.get_by_role("button", name="Delete…").click()
    dialog = page.locator("dialog[data-bulk-dialog]")
    expect(dialog).to_be_visible()
    expect(dialog.locator("h2")).to_have_text("Delete 1 item?")
    page.screenshot(path=str(shots / "content-list-delete-dialog-1440.png"))
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert len(shown(page)) == 4

    assert serious_axe_violations(page) == []
    assert watch.external == []
    assert watch.errors == []
    print(f"screenshots in {shots}")


@pytest.mark.parametrize("width", [360, 1440])
def test_the_list_fits_the_screen(
    server: LiveServer,
    browser: Browser,
    db: Database,
    clock: FrozenClock,
    tmp_path_factory: pytest.TempPathFactory,
    width: int,
):
    editor = create_random_user(db, clock, "editor")
    seed(db, clock, editor.id)
    shots = tmp_path_factory.mktemp("content-list-screenshots")
    page, watch = open_page(browser, server, width)
    sign_in(page, server, editor.email)
    page.goto(f"{server.url}/admin/content?collection=news&limit=2")
    expect(page.locator(TITLES)).to_have_count(2)
    page.screenshot(path=str(shots / f"content-list-{width}.png"), full_page=True)
    page.wait_for_load_state("load")  # styles applied before measuring
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.get_by_role("link", name="Next").click()
    expect(page.locator(TITLES)).to_have_text(["Draft beta", "Draft alpha"])
    assert "cursor=" in page.url
    expect(page.get_by_role("link", name="Previous")).to_be_visible()
    page.goto(f"{server.url}/admin/content?collection=nothing-here")
    page.goto(f"{server.url}/admin/content?collection=news&status=archived")
    expect(page.locator(".list-empty")).to_contain_text("Nothing matches these filters.")
    page.screenshot(path=str(shots / f"content-list-empty-{width}.png"), full_page=True)
    page.wait_for_load_state("load")  # styles applied before measuring
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert serious_axe_violations(page) == []
    assert watch.external == []
    assert watch.errors == [
        "Failed to load resource: the server responded with a status of 404 (Not Found)"
    ]  # the unknown collection, and nothing else
    print(f"screenshots in {shots}")
