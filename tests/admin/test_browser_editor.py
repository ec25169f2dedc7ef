"""The content editor in a real browser: create an item in a collection with every field type by
filling each input (repeaters added, reordered and filled with the mouse and the keyboard),
then read it through the API with the same data; the unsaved-changes warning; screenshots at
360 and 1440 px."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from sonic_cms.clock import FrozenClock
from sonic_cms.db.engine import Database
from tests.admin.test_editor import expected_data, make_collection, make_item
from tests.media.helpers import image_bytes
from tests.utils.auth import create_random_user
from tests.utils.browser import BROWSER_MARKS, open_page, sign_in
from tests.utils.live_server import LiveServer

pytestmark = BROWSER_MARKS


def fill_scalars(page: Page, related: str, hero: str) -> None:
    """Every input outside the repeaters, as a person fills it: plain inputs typed, rich text
    typed into Quill (bold with the shortcut), the media picked from the library's dialog, the
    reference chosen from the combobox by keyboard."""
    page.fill("#f-title", "Spring launch")
    page.fill("#f-slug", "spring-launch")
    texts = {
        "subtitle": "A subtitle",
        "kicker": "New",
        "summary": "Line one\nLine two",
        "body": "# Markdown",
        "rating": "4.5",
        "day": "2026-12-24",
        "starts": "2026-12-24T18:30",
        "contact": "ed@example.com",
        "website": "https://example.com/x",
        "accent": "#336699",
        "meta": '{"a": [1, 2], "b": null}',
        "byline-name": "Ed",
        "byline-age": "41",
    }
    for name, value in texts.items():
        page.fill(f"#f-data-{name}", value)
    page.click("#f-data-content .ql-editor")
    page.keyboard.type("Hello ")
    page.keyboard.press("Control+b")
    page.keyboard.type("world")
    for name, words in (("rich", "rich"), ("tiny", "tiny"), ("mdx", "mdx text")):
        page.click(f"#f-data-{name} .ql-editor")
        page.keyboard.type(words)
    expect(page.locator("#f-data-content-value")).to_have_value(
        "<p>Hello <strong>world</strong></p>"
    )
    for name in ("hero", "attachment"):
        page.click(f"#f-data-{name}")
        page.locator(f"#f-data-{name}-dialog [data-media-pick]").first.click()
        expect(page.locator(f"#f-data-{name}-value")).to_have_value(hero)
    page.click("#f-data-related")
    page.keyboard.type("Targ")
    expect(page.locator("#f-data-related-listbox [role=option]")).to_have_count(1)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#f-data-related-value")).to_have_value(related)
    page.check("#f-data-featured")
    page.select_option("#f-data-category", "tips")
    page.check('input[name="data.tone"][value="loud"]')
    page.check('input[name="data.tags"][value="alpha"]')
    page.check('input[name="data.tags"][value="gamma"]')


def entry_inputs(page: Page, array: str, field: str = "") -> list[str]:
    """The ids of the inputs of ``array``'s entries, in page order."""
    suffix = f"-{field}" if field else ""
    selector = f'#f-data-{array} [data-repeater-list] [id^="f-data-{array}-"][id$="{suffix}"]'
    ids = page.eval_on_selector_all(
        selector, "els => els.filter(e => e.matches('input, textarea')).map(e => e.id)"
    )
    return [i for i in ids if not i.endswith("-entry")]


def fill_repeaters(page: Page) -> None:
    """Two links (the second moved above the first), two keywords added with the keyboard,
    two blocks of different types (the text block moved up, then the quote moved back up)."""
    links = page.locator("#f-data-links")
    links.locator("[data-repeater-add]").click()
    links.locator("[data-repeater-add]").click()
    labels, urls = entry_inputs(page, "links", "label"), entry_inputs(page, "links", "url")
    page.fill(f"#{labels[0]}", "First")
    page.fill(f"#{urls[0]}", "https://a.example")
    page.fill(f"#{labels[1]}", "Second")
    page.fill(f"#{urls[1]}", "https://b.example")
    up = links.locator("[data-repeater-entry]").nth(1).locator("[data-repeater-up]")
    expect(up).to_have_attribute("aria-label", "Move Link 2 up")
    up.click()
    expect(links.locator("[data-repeater-number]").first).to_have_text("1")
    keywords = page.locator("#f-data-keywords")
    keywords.locator("[data-repeater-add]").focus()
    page.keyboard.press("Enter")  # the new entry's input takes the focus
    page.keyboard.type("one")
    keywords.locator("[data-repeater-add]").focus()
    page.keyboard.press("Enter")
    page.keyboard.type("two")
    sections = page.locator("#f-data-sections")
    sections.locator("[data-repeater-type]").select_option("quote")
    sections.locator("[data-repeater-add]").click()
    page.keyboard.type("Be calm")
    page.fill(f"#{entry_inputs(page, 'sections', 'by')[0]}", "Ann")
    sections.locator("[data-repeater-type]").select_option("text")
    sections.locator("[data-repeater-add]").click()
    page.keyboard.type("Para")
    sections.locator("[data-repeater-entry]").nth(1).locator("[data-repeater-up]").click()
    sections.locator("[data-repeater-entry]").nth(1).locator("[data-repeater-up]").click()
    # a scratch entry, removed again with the keyboard
    keywords.locator("[data-repeater-add]").focus()
    page.keyboard.press("Enter")
    page.keyboard.type("scratch")
    keywords.locator("[data-repeater-entry]").nth(2).locator("[data-repeater-remove]").focus()
    page.keyboard.press("Enter")
    expect(keywords.locator("[data-repeater-entry]")).to_have_count(2)


def upload_through_the_server(page: Page, server: LiveServer) -> str:
    """An image uploaded to the live server's API with the page's session (so its derived
    thumbnail is stored where that server serves files from)."""
    answer = page.request.post(
        f"{server.url}/api/media/upload",
        headers={"Origin": server.url},
        multipart={
            "file": {"name": "hero.png", "mimeType": "image/png", "buffer": image_bytes(40, 30)}
        },
    )
    assert answer.status == 200, answer.text()
    media_id: str = answer.json()["file"]["id"]
    return media_id


AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings (evaluated through DevTools, which the page's
    CSP does not govern)."""
    page.evaluate(AXE.read_text())
    return page.evaluate(
        """() => axe.run().then(r => r.violations
             .filter(v => v.impact === 'serious' || v.impact === 'critical')
             .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', ')))"""
    )


def no_horizontal_scroll(page: Page, width: int) -> None:
    page.wait_for_load_state("load")  # styles applied before measuring
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"horizontal scrolling at {width} px: {scroll}"


def test_create_an_item_with_every_field_type_and_read_it_through_the_api(
    server: LiveServer,
    browser: Browser,
    db: Database,
    clock: FrozenClock,
    tmp_path_factory: pytest.TempPathFactory,
):
    collection = make_collection(db, clock)
    editor = create_random_user(db, clock, "editor")
    related = make_item(db, clock, editor, collection, title="Target")["id"]
    # SONIC_TEST_SHOTS keeps them where pytest's temporary directories are not cleaned up
    kept = os.environ.get("SONIC_TEST_SHOTS")
    shots = Path(kept) if kept else tmp_path_factory.mktemp("editor-screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    page, watch = open_page(browser, server, 1440)
    sign_in(page, server, editor.email)
    hero = upload_through_the_server(page, server)
    page.goto(f"{server.url}/admin/content/new?collection=articles")
    assert page.locator("h1").inner_text() == "New item"
    page.click('button[name="action"][value="save"]')  # the service's refusal
    expect(page.locator("#f-title-error")).to_contain_text("is required")
    expect(page.locator("#f-title")).to_have_attribute("aria-invalid", "true")
    page.fill("#f-title", "Spring launch")
    page.fill("#f-data-meta", "{not json")
    page.click('button[name="action"][value="save"]')  # the form's own parser refuses it
    expect(page.locator("#f-data-meta-error")).to_contain_text("is not valid JSON")
    expect(page.locator("#f-data-meta")).to_have_value("{not json")
    page.screenshot(path=str(shots / "editor-errors-1440.png"))
    fill_scalars(page, related, hero)
    fill_repeaters(page)
    no_horizontal_scroll(page, 1440)
    assert serious_violations(page) == []
    page.screenshot(path=str(shots / "editor-new-1440.png"), full_page=True)
    page.click('button[name="action"][value="save"]')
    page.wait_for_url(re.compile(r".*/admin/content/[^/]+/edit\?notice=created$"))
    expect(page.locator(".toast")).to_contain_text("Item created.")
    item_id = page.url.split("/admin/content/")[1].split("/")[0]
    api = page.request.get(f"{server.url}/api/content/{item_id}").json()["data"]
    # Quill wraps the MDX field's plain words in a paragraph, as it does every rich text
    assert api["data"] == expected_data(related, hero) | {"mdx": "<p>mdx text</p>"}
    assert api["title"] == "Spring launch" and api["slug"] == "spring-launch"
    page.screenshot(path=str(shots / "editor-edit-1440.png"), full_page=True)
    # the two refused saves answered 422, which Chromium reports on the console; nothing else
    refused = "the server responded with a status of 422"
    assert [e for e in watch.errors if refused in e] == [watch.errors[0]] * 2
    assert watch.external == [] and [e for e in watch.errors if refused not in e] == []

    narrow, narrow_watch = open_page(browser, server, 360)
    sign_in(narrow, server, editor.email)
    narrow.goto(f"{server.url}/admin/content/{item_id}/edit")
    expect(narrow.locator("#f-title")).to_have_value("Spring launch")
    no_horizontal_scroll(narrow, 360)
    assert serious_violations(narrow) == []
    narrow.screenshot(path=str(shots / "editor-edit-360.png"), full_page=True)
    narrow.screenshot(path=str(shots / "editor-edit-360-viewport.png"))
    assert narrow_watch.external == [] and narrow_watch.errors == []
    print(f"screenshots in {shots}")


def test_leaving_with_unsaved_changes_asks_first(
    server: LiveServer, browser: Browser, db: Database, clock: FrozenClock
):
    collection = make_collection(db, clock)
    editor = create_random_user(db, clock, "editor")
    item = make_item(db, clock, editor, collection, title="Calm", data={"byline": {"name": "A"}})
    page, watch = open_page(browser, server, 1440)
    sign_in(page, server, editor.email)
    page.goto(f"{server.url}/admin/content/{item['id']}/edit")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.type), d.dismiss()))
    pump = page.context.new_page()  # waits on it let Playwright deliver the page's events
    page.close(run_before_unload=True)  # unchanged: leaves without asking
    pump.wait_for_timeout(500)
    assert dialogs == [] and page.is_closed()
    page, watch = open_page(browser, server, 1440)
    sign_in(page, server, editor.email)
    page.goto(f"{server.url}/admin/content/{item['id']}/edit")
    page.on("dialog", lambda d: (dialogs.append(d.type), d.dismiss()))
    page.click("#f-title")
    page.keyboard.type(" and changed")
    page.close(run_before_unload=True)
    page.wait_for_timeout(500)  # the dialog was dismissed: the page stays
    assert dialogs == ["beforeunload"] and not page.is_closed()
    assert watch.external == [] and watch.errors == []


def test_autosave_keeps_a_working_copy_the_editor_offers_back(
    server: LiveServer, browser: Browser, db: Database, clock: FrozenClock
):
    collection = make_collection(db, clock)
    editor = create_random_user(db, clock, "editor")
    item = make_item(db, clock, editor, collection, title="Calm", data={"byline": {"name": "A"}})
    url = f"{server.url}/admin/content/{item['id']}/edit"
    page, watch = open_page(browser, server, 1440)
    sign_in(page, server, editor.email)
    page.goto(url)
    page.fill("#f-title", "Calm, half typed")
    status = page.locator("[data-autosave-status]")
    expect(status).to_contain_text("Autosaved at", timeout=15_000)  # every ~10 s
    api = page.request.get(f"{server.url}/api/content/{item['id']}").json()["data"]
    assert api["title"] == "Calm"  # the item and its readers see nothing
    later = page.context.new_page()
    later.goto(url)
    banner = later.locator(".editor-banner")
    expect(banner).to_contain_text("You have unsaved changes from")
    expect(later.locator("#f-title")).to_have_value("Calm")
    banner.get_by_role("link", name="Restore").click()
    expect(later.locator("#f-title")).to_have_value("Calm, half typed")
    later.goto(url)
    later.locator(".editor-banner").get_by_role("button", name="Discard").click()
    expect(later.locator(".toast")).to_contain_text("discarded")
    expect(later.locator(".editor-banner")).to_have_count(0)
    assert watch.external == [] and watch.errors == []
