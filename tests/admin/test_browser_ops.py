"""The operations pages in a real browser against a real server: API tokens (create one, read
the secret shown once, use it with httpx, revoke it), plugins (activate one, change a setting,
see a bad value refused next to its field), logs (filter, export CSV and JSON with the filter)
and the cache (clear a namespace and all)."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import httpx
import orjson
from playwright.sync_api import Browser, expect
from sqlalchemy import insert

from sonic_cms.clock import FrozenClock
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import SystemLog
from sonic_cms.ids import new_id
from tests.admin.test_browser_media import serious_axe_violations
from tests.utils.auth import TEST_PASSWORD, create_random_user
from tests.utils.browser import BROWSER_MARKS, open_page, sign_in
from tests.utils.live_server import LiveServer

pytestmark = BROWSER_MARKS


def test_create_a_token_use_it_with_httpx_and_revoke_it(
    server: LiveServer, browser: Browser, db: Database, clock: FrozenClock
):
    editor = create_random_user(db, clock, "editor")
    page, watch = open_page(browser, server)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    sign_in(page, server, editor.email)
    page.goto(f"{server.url}/admin/api-tokens")
    expect(page.locator(".empty")).to_contain_text("No tokens yet")
    expect(page.locator('input[value="content.publish"]')).to_have_count(1)  # editor's own
    expect(page.locator('input[value="users.read"]')).to_have_count(0)  # not the editor's
    page.fill("#t-name", "Deploy bot")
    page.check('input[name="permissions"][value="api_tokens.read"]')
    page.click("text=Create token")
    secret_box = page.locator("#token-secret")
    expect(secret_box).to_be_visible()
    secret = secret_box.input_value()
    assert secret.startswith("sonic_")
    page.click("[data-copy-secret]")
    expect(page.locator("[data-copy-status]")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == secret

    bearer = {"Authorization": f"Bearer {secret}"}
    with httpx.Client(base_url=server.url, headers=bearer) as http:
        assert http.get("/api/tokens").status_code == 200  # api_tokens.read: granted
        assert (
            http.get("/api/media").status_code == 403
        )  # media.read: the editor's, not the token's
        page.goto(f"{server.url}/admin/api-tokens")
        expect(page.locator("#token-secret")).to_have_count(0)  # shown once only
        row = page.locator("tr", has_text="Deploy bot")
        expect(row).to_contain_text("api_tokens.read")
        row.get_by_role("button", name="Revoke Deploy bot…").click()
        dialog = page.locator("dialog[open]")
        expect(dialog).to_contain_text("Revoke “Deploy bot”?")
        dialog.get_by_role("button", name="Revoke “Deploy bot”").click()
        expect(page.locator(".toast")).to_contain_text("was revoked")
        expect(page.locator("tr", has_text="Deploy bot")).to_have_count(0)
        assert http.get("/api/tokens").status_code == 401
    assert watch.external == [] and watch.errors == []


def test_install_and_activate_a_plugin_and_change_a_setting(
    server: LiveServer, browser: Browser, db: Database, clock: FrozenClock
):
    admin = create_random_user(db, clock, "admin")
    page, watch = open_page(browser, server)
    sign_in(page, server, admin.email)
    page.goto(f"{server.url}/admin/plugins")
    card = page.locator('[data-plugin="otp-login"]')
    if card.get_by_role("button", name="Install").count():
        card.get_by_role("button", name="Install").click()
        expect(page.locator(".toast")).to_contain_text("otp-login: installed.")
    card = page.locator('[data-plugin="otp-login"]')
    card.get_by_role("button", name="Activate").click()
    expect(page.locator(".toast")).to_contain_text("otp-login: activated.")
    card = page.locator('[data-plugin="otp-login"]')
    expect(card.locator("[data-plugin-status]")).to_have_text("Active")
    card.get_by_role("link", name="Settings").click()
    length = page.get_by_label("Code length")
    expect(length).to_have_value("6")
    length.fill("12")
    page.click("text=Save settings")
    expect(page.locator("#s-codeLength-error")).to_contain_text("less than or equal to 8")
    expect(page.get_by_label("Code length")).to_have_attribute("aria-invalid", "true")
    # the generated form, with an error shown, has no serious accessibility problem
    assert serious_axe_violations(page) == []
    page.get_by_label("Code length").fill("8")
    page.click("text=Save settings")
    expect(page.locator(".form-notice")).to_have_text("Settings saved.")
    expect(page.get_by_label("Code length")).to_have_value("8")
    with httpx.Client(base_url=server.url) as http:
        token = http.post(
            "/auth/login", json={"email": admin.email, "password": TEST_PASSWORD}
        ).json()["token"]
        stored = http.get(
            "/admin/api/plugins/otp-login/settings", headers={"Authorization": f"Bearer {token}"}
        ).json()["data"]
    assert stored["codeLength"] == 8
    # the refused save answered 422, which Chromium reports on the console; nothing else
    refused = "the server responded with a status of 422"
    assert watch.external == [] and [e for e in watch.errors if refused not in e] == []


def _log(db: Database, created_at: int, **fields: object) -> str:
    row = {"id": new_id(), "level": "info", "category": "api", "message": "m"} | fields
    with db.write() as conn:
        conn.execute(insert(SystemLog).values(created_at=created_at, **row))
    return str(row["id"])


def test_filter_logs_export_them_and_follow_the_live_tail(
    server: LiveServer, browser: Browser, db: Database, clock: FrozenClock
):
    admin = create_random_user(db, clock, "admin")
    now = int(time.time() * 1000)
    wanted = [
        _log(db, now - 3000, level="error", category="security", message=f"ops-probe {n}")
        for n in range(3)
    ]
    _log(db, now - 2000, level="warn", category="security", message="ops-probe warn")
    _log(db, now - 1000, level="error", category="media", message="ops-probe media")
    page, watch = open_page(browser, server)
    sign_in(page, server, admin.email)
    page.goto(f"{server.url}/admin/logs")
    page.select_option("#lf-level", "error")
    page.select_option("#lf-category", "security")
    page.fill("#lf-q", "ops-probe")
    page.get_by_role("button", name="Filter", exact=True).click()
    expect(page.locator("[data-log-total]")).to_have_text("3")
    assert sorted(
        page.locator("#log-rows tr").evaluate_all("rs => rs.map(r => r.dataset.log)")
    ) == sorted(wanted)

    with page.expect_download() as csv_download:
        page.click("[data-export=csv]")
    rows = list(csv.DictReader(io.StringIO(Path(csv_download.value.path()).read_text())))
    assert sorted(r["id"] for r in rows) == sorted(wanted)
    assert {(r["level"], r["category"]) for r in rows} == {("error", "security")}
    with page.expect_download() as json_download:
        page.click("[data-export=json]")
    exported = orjson.loads(Path(json_download.value.path()).read_bytes())
    assert sorted(r["id"] for r in exported) == sorted(wanted)

    page.click("[data-tail-toggle]")
    expect(page.locator("[data-tail-toggle]")).to_have_attribute("aria-pressed", "true")
    late = _log(
        db, int(time.time() * 1000), level="error", category="security", message="ops-probe late"
    )
    _log(db, int(time.time() * 1000), level="info", category="security", message="ops-probe quiet")
    expect(page.locator("#log-rows tr").first).to_have_attribute("data-log", late, timeout=15_000)
    expect(page.locator("#log-rows tr")).to_have_count(4)
    page.click("[data-tail-toggle]")
    expect(page.locator("[data-tail-toggle]")).to_have_text("Start live tail")
    page.locator(f'tr[data-log="{late}"] a').first.click()
    expect(page.locator("h1")).to_have_text("Log record")
    expect(page.locator("main")).to_contain_text("ops-probe late")
    assert watch.external == [] and watch.errors == []


def test_clear_the_cache_from_the_page(
    server: LiveServer, browser: Browser, db: Database, clock: FrozenClock
):
    admin = create_random_user(db, clock, "admin")
    with httpx.Client(base_url=server.url) as http:
        http.get("/api/collections")
        assert http.get("/api/collections").headers["x-cache-status"] == "HIT"
        page, watch = open_page(browser, server, 360)
        sign_in(page, server, admin.email)
        page.goto(f"{server.url}/admin/cache")
        expect(page.locator("[data-cache-scope]")).to_contain_text("This process")
        row = page.locator('[data-cache-namespace="collection"]')
        expect(row.locator("td").nth(1)).to_have_text("1")  # the memory hit
        row.get_by_role("button", name="Clear the collection namespace…").click()
        dialog = page.locator("dialog[open]")
        expect(dialog).to_contain_text("Clear the collection namespace?")
        dialog.get_by_role("button", name="Clear collection").click()
        expect(page.locator(".toast")).to_contain_text("Cleared the collection namespace")
        assert http.get("/api/collections").headers["x-cache-status"] == "MISS"
        assert http.get("/api/collections").headers["x-cache-status"] == "HIT"
        page.get_by_role("button", name="Clear everything…").click()
        page.locator("dialog[open]").get_by_role("button", name="Clear everything").click()
        expect(page.locator(".toast")).to_contain_text("Cleared the whole cache")
        assert http.get("/api/collections").headers["x-cache-status"] == "MISS"
        page.wait_for_load_state("load")  # styles applied before measuring
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= 360
    assert watch.external == [] and watch.errors == []


def test_the_operations_pages_fit_a_phone(
    server: LiveServer, browser: Browser, db: Database, clock: FrozenClock
):
    admin = create_random_user(db, clock, "admin")
    _log(db, int(time.time() * 1000), level="error", message="A long message " * 20)
    page, watch = open_page(browser, server, 360)
    sign_in(page, server, admin.email)
    for path in ("/admin/api-tokens", "/admin/plugins", "/admin/logs", "/admin/cache"):
        page.goto(server.url + path)
        page.wait_for_load_state("load")  # styles applied before measuring
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= 360, f"{path} scrolls sideways at 360 px ({scroll})"
    assert watch.external == [] and watch.errors == []
