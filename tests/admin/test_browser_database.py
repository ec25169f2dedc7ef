"""The Database and Settings pages in a real browser against a real server: a backup made in
the page shows its progress until it is verified and is downloaded as a valid gzipped dump; an
item is restored to an earlier moment; maintenance mode, switched on in the settings form,
answers an anonymous request 503 while the admin keeps working, and is switched off again."""

from __future__ import annotations

import gzip
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from sonic_cms.clock import FrozenClock
from sonic_cms.content import history
from sonic_cms.db.engine import Database
from sonic_cms.workflow import edits
from tests.admin.test_browser_media import no_horizontal_scroll, serious_axe_violations
from tests.admin.test_item_panel import make_news, new_item, person
from tests.utils.browser import BROWSER_MARKS, open_page, sign_in
from tests.utils.live_server import LiveServer

pytestmark = BROWSER_MARKS


@pytest.mark.parametrize("width", [1440, 360])
def test_make_a_backup_see_it_finish_and_download_it(
    server: LiveServer,
    browser: Browser,
    db: Database,
    clock: FrozenClock,
    tmp_path: Path,
    width: int,
):
    admin = person(db, clock, "admin")
    page, watch = open_page(browser, server, width)
    sign_in(page, server, admin.email)
    page.goto(f"{server.url}/admin/database")
    expect(page.locator("#backup-list .empty")).to_contain_text("No backups yet")
    page.click("[data-backup-start]")
    job = page.locator("#backup-job")
    expect(job).to_have_attribute("data-job-state", "done", timeout=30_000)
    expect(job.locator("[data-job-done]")).to_contain_text("Backup written and verified")
    expect(page.locator("#toasts .toast")).to_contain_text("is ready")
    rows = page.locator("#backup-list tr[data-backup]")
    expect(rows).to_have_count(1)
    name = rows.first.get_attribute("data-backup")
    assert name and name.startswith("backup-test-")
    no_horizontal_scroll(page, width)
    assert serious_axe_violations(page) == []
    with page.expect_download() as download:
        rows.first.get_by_role("link", name=f"Download {name}").click()
    saved = tmp_path / "downloaded.sql.gz"
    download.value.save_as(saved)
    dump = gzip.decompress(saved.read_bytes())
    assert b"INSERT INTO" in dump and admin.email.encode() in dump
    assert download.value.suggested_filename == name
    rows.first.get_by_role("button", name=f"Verify {name}").click()
    expect(page.locator("#toasts .toast", has_text="is whole")).to_be_visible()
    assert watch.external == [] and watch.errors == []


def test_restore_an_item_to_an_earlier_moment(
    server: LiveServer, browser: Browser, db: Database, clock: FrozenClock
):
    admin = person(db, clock, "admin")
    item_id = new_item(admin, make_news(admin), "Harbour opening")  # 2026-01-01 00:00 UTC
    clock.advance(2 * 3_600_000)
    edits.update_item(admin.ctx, item_id, {"title": "Harbour closed"})
    page, watch = open_page(browser, server)
    sign_in(page, server, admin.email)
    page.goto(f"{server.url}/admin/database")
    page.fill("#tt-q", "harbour")
    page.click(".database__search button[type=submit]")
    page.locator("[data-travel-results] a", has_text="Harbour closed").click()
    expect(page.locator("[data-travel-item]")).to_contain_text("now at version 2")
    page.fill("#tt-date", "2026-01-01")
    page.fill("#tt-time", "02:30:00")
    page.select_option("#tt-zone", "Europe/Paris")  # 01:30 UTC: before the change
    page.click(".database__moment button[type=submit]")
    expect(page.locator("[data-past-title]")).to_have_text("Harbour opening")
    expect(page.locator("[data-past-version]")).to_have_attribute("data-past-version", "1")
    assert serious_axe_violations(page) == []
    page.click("[data-dialog-open=restore-dialog]")
    dialog = page.locator("#restore-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("h2")).to_contain_text("Restore \u201cHarbour closed\u201d")
    dialog.get_by_role("button", name="Restore version 1").click()
    expect(page.locator("#toasts .toast")).to_contain_text("Restored \u201cHarbour opening\u201d")
    expect(page.locator("[data-travel-item]")).to_contain_text("now at version 3")
    assert history.get_item(admin.ctx, item_id)["title"] == "Harbour opening"
    assert watch.external == [] and watch.errors == []


def test_maintenance_mode_turns_anonymous_requests_away(
    server: LiveServer, browser: Browser, db: Database, clock: FrozenClock
):
    admin = person(db, clock, "admin")
    page, watch = open_page(browser, server)
    sign_in(page, server, admin.email)
    page.goto(f"{server.url}/admin/settings")
    assert httpx.get(f"{server.url}/api/content").status_code == 200
    page.check("#set-maintenance-mode")
    page.click(".site-settings__actions button[type=submit]")
    expect(page.locator("#toasts .toast")).to_contain_text("Settings saved")
    expect(page.locator("[data-maintenance-on]")).to_be_visible()
    refused = httpx.get(f"{server.url}/api/content")
    assert refused.status_code == 503 and refused.headers["retry-after"] == "300"
    assert httpx.get(f"{server.url}/health").status_code == 200
    # the admin keeps working
    page.goto(f"{server.url}/admin/database")
    expect(page.locator("h1")).to_have_text("Database")
    page.goto(f"{server.url}/admin/settings")
    page.uncheck("#set-maintenance-mode")
    page.click(".site-settings__actions button[type=submit]")
    expect(page.locator("[data-maintenance-on]")).to_have_count(0)
    assert httpx.get(f"{server.url}/api/content").status_code == 200
    assert watch.external == [] and watch.errors == []
