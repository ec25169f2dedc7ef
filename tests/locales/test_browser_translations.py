"""Translations in a real browser: add one from the editor's side panel, land on its editor
with the shared field read-only and its note, follow the link back, and filter the content list
by locale; axe-core finds no serious or critical violation on either page; screenshots at 1440
and 360 px (kept in SONIC_TEST_SCREENSHOTS when set)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from sonic_cms.auth.authentication import actor_for_user
from sonic_cms.clock import FrozenClock
from sonic_cms.content import collections, items
from sonic_cms.db.engine import Database
from tests.admin.test_accessibility import BLOCKING, axe_violations, describe
from tests.utils.auth import create_random_user, system_context
from tests.utils.browser import BROWSER_MARKS, launch, open_page, sign_in
from tests.utils.live_server import LiveServer, live_server
from tests.utils.redis_server import free_port

pytestmark = BROWSER_MARKS

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "body": {"type": "textarea"},
        "sku": {"type": "string", "title": "SKU", "translatable": False},
    },
}


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with live_server(db_url, tmp_path, port=port, public_url=url, locales="en,fr,de") as live:
        yield live


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = launch(playwright)
        yield launched
        launched.close()


def test_add_a_translation_and_edit_it(
    server: LiveServer, browser: Browser, db: Database, clock: FrozenClock, tmp_path: Path
):
    editor = create_random_user(db, clock, "editor")
    ctx = system_context(db, clock)
    collections.create_collection(ctx, {"name": "pages", "display_name": "Pages", "schema": SCHEMA})
    as_editor = ctx.acting_as(actor_for_user(ctx, editor.id))
    item = items.create_item(
        as_editor,
        {"collectionId": "pages", "title": "Home", "data": {"body": "Hello", "sku": "S-1"}},
    )
    shots = Path(os.environ.get("SONIC_TEST_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    page, watch = open_page(browser, server)
    sign_in(page, server, editor.email)
    page.goto(f"{server.url}/admin/content/{item['id']}/edit")
    panel = page.locator("[data-translations]")
    expect(panel).to_contain_text("en")
    expect(page.locator("#tr-locale option")).to_have_text(["fr", "de"])
    page.select_option("#tr-locale", "fr")
    page.fill("#tr-title", "Accueil")
    page.click("text=Add translation")
    page.wait_for_url("**/edit?notice=translated")
    expect(page.locator("#f-title")).to_have_value("Accueil")
    shared = page.locator('[data-shared-field="data.sku"]')
    expect(page.locator("#f-data-sku")).to_be_disabled()
    expect(shared).to_contain_text("edit it on the en item")
    expect(page.locator("#f-data-sku")).to_have_value("S-1")
    page.screenshot(path=str(shots / "translation-editor-1440.png"), full_page=True)
    blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING]
    assert blocking == [], describe(blocking)
    page.fill("#f-data-body", "Bonjour")
    page.click("button[value=save]")
    page.wait_for_url("**notice=saved")
    expect(page.locator("#f-data-body")).to_have_value("Bonjour")
    page.click('[data-translations] a[lang="en"]')
    expect(page.locator("#f-title")).to_have_value("Home")
    expect(page.locator("#f-data-sku")).to_be_editable()
    page.goto(f"{server.url}/admin/content?collection=pages&locale=fr")
    expect(page.locator("#list-locale")).to_have_value("fr")
    expect(page.locator(".content-table__title")).to_contain_text(["Accueil"])
    page.screenshot(path=str(shots / "translation-list-1440.png"))
    blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING]
    assert blocking == [], describe(blocking)
    narrow, _ = open_page(browser, server, width=360)
    sign_in(narrow, server, editor.email)
    narrow.goto(f"{server.url}/admin/content/{item['id']}/edit")
    narrow.screenshot(path=str(shots / "translation-source-360.png"), full_page=True)
    width = narrow.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, "no horizontal scrolling at 360 px"
    assert watch.external == [] and watch.errors == []
