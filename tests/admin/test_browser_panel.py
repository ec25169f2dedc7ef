"""The item panel, the versions page and the review queue in a real browser against a real
`sonic serve`: diff and roll back an item edited through the API, an author submits and an
editor approves, a scheduled publish shows when its time comes. Screenshots at 360 and 1440 px.

The live server runs on the wall clock with its own scheduler switched off
(``SONIC_SCHEDULER_INTERVAL_SECONDS=0``). "When its time comes" is the executor running at that
time: the test runs ``workflow.executor.run_due`` (what ``sonic scheduler run --once`` runs) on
the same database with a frozen clock past the scheduled moment, then reloads the page. No
test-only mechanism is added to the server.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from sonic_cms.auth.authentication import actor_for_user
from sonic_cms.clock import FrozenClock
from sonic_cms.content import collections, history, items
from sonic_cms.db.engine import Database
from sonic_cms.workflow import scheduling
from sonic_cms.workflow.executor import run_due
from tests.utils.auth import TEST_PASSWORD, create_random_user, system_context
from tests.utils.browser import BROWSER_MARKS, Watch, open_page, sign_in
from tests.utils.live_server import LiveServer

pytestmark = BROWSER_MARKS


@pytest.fixture
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("panel-screenshots")
    print(f"screenshots in {folder}")
    return folder


def seed_item(db: Database, clock: FrozenClock, owner_id: str, title: str = "Spring") -> str:
    """A "news" collection (made once) and a draft item by ``owner_id``."""
    system = system_context(db, clock)
    ctx = system.acting_as(actor_for_user(system, owner_id))
    admin_ctx = system
    found = [c for c in collections.list_collections(admin_ctx) if c["name"] == "news"]
    if found:
        news_id = found[0]["id"]
    else:
        schema = {
            "type": "object",
            "properties": {"body": {"type": "string"}, "meta": {"type": "object"}},
        }
        body = {"name": "news", "display_name": "News", "schema": schema}
        news_id = collections.create_collection(admin_ctx, body)["id"]
    data = {"body": "<p>First draft</p>", "meta": {"tags": ["spring"]}}
    created = items.create_item(ctx, {"collectionId": news_id, "title": title, "data": data})
    return str(created["id"])


def api_token(server: LiveServer, email: str) -> str:
    answer = httpx.post(
        f"{server.url}/auth/login", json={"email": email, "password": TEST_PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])


AXE = Path(__file__).with_name("vendor") / "axe-core" / "axe.min.js"


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page (evaluated through the DevTools
    protocol, which the page's CSP does not govern, so the page itself stays unchanged)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text() + "\n;0")
    found: list[str] = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))"""
    )
    return found


def no_page_scroll(page: Page, width: int) -> None:
    page.wait_for_load_state("load")  # styles applied before measuring
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"horizontal scrolling at {width} px"


def clean(watch: Watch) -> None:
    assert watch.external == []
    assert watch.errors == []


def test_diff_two_versions_and_roll_back_with_the_dialog(
    server: LiveServer, browser: Browser, db: Database, clock: FrozenClock, shots: Path
):
    editor = create_random_user(db, clock, "editor")
    item_id = seed_item(db, clock, editor.id)
    token = api_token(server, editor.email)
    auth = {"Authorization": f"Bearer {token}"}
    for body in (
        {"data": {"body": "<p>Second draft</p>", "meta": {"tags": ["spring"]}}},
        {"title": "Spring is here", "data": {"body": "<p>Second draft</p>", "meta": {}}},
    ):
        answer = httpx.put(f"{server.url}/api/content/{item_id}", json=body, headers=auth)
        assert answer.status_code == 200, answer.text
    for width in (360, 1440):  # the rollback last: the 1440 pass
        page, watch = open_page(browser, server, width)
        sign_in(page, server, editor.email)
        page.goto(f"{server.url}/admin/content/{item_id}/versions")
        expect(page.locator("h1")).to_contain_text("Spring is here")
        assert page.locator("tr.diff__row").count() == 2  # title and meta: 2 -> 3
        page.select_option("#cmp-a", "1")
        page.select_option("#cmp-b", "2")
        page.click("button:has-text('Compare')")
        page.wait_for_url("**/versions?a=1&b=2")
        body_row = page.locator('tr[data-field="data.body"]')
        expect(body_row.locator(".diff__old")).to_have_text("<p>First draft</p>")
        expect(body_row.locator(".diff__new")).to_have_text("<p>Second draft</p>")
        assert page.locator("tr.diff__row").count() == 1
        page.check("input[name=all]")
        page.click("button:has-text('Compare')")
        page.wait_for_url("**&all=1")
        expect(page.locator("tr.diff__row")).to_have_count(5)  # waits for the new page
        no_page_scroll(page, width)
        assert serious_violations(page) == []
        page.screenshot(path=str(shots / f"versions-{width}.png"), full_page=True)
        if width == 360:
            clean(watch)
            page.context.close()
            continue
        page.click('tr[data-version="1"] button:has-text("Roll back")')
        dialog = page.locator("dialog#rollback-1")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text("Roll back to version 1?")
        expect(dialog.locator("li")).to_have_text(["title", "data.body", "data.meta"])
        assert serious_violations(page) == []
        page.screenshot(path=str(shots / f"rollback-dialog-{width}.png"))
        dialog.locator("button:has-text('Keep the current version')").click()
        expect(dialog).to_be_hidden()
        page.click('tr[data-version="1"] button:has-text("Roll back")')
        dialog.locator("button[type=submit]").click()
        page.wait_for_url(f"**/admin/content/{item_id}/versions?restored=1")
        expect(page.locator("#toasts")).to_contain_text("Restored version 1 as a new version")
        expect(page.locator('tr[data-version="4"]')).to_contain_text("current")
        clean(watch)
        page.context.close()
    system = system_context(db, clock)
    restored = history.get_item(system, item_id)
    assert restored["title"] == "Spring" and restored["data"]["body"] == "<p>First draft</p>"
    assert restored["version_number"] == 4


def test_an_author_submits_and_an_editor_approves_from_the_queue(
    server: LiveServer, browser: Browser, db: Database, clock: FrozenClock, shots: Path
):
    author = create_random_user(db, clock, "author")
    editor = create_random_user(db, clock, "editor")
    item_id = seed_item(db, clock, author.id, "Field notes")
    page, watch = open_page(browser, server)
    sign_in(page, server, author.email)
    page.goto(f"{server.url}/admin/content/{item_id}/versions")
    panel = page.locator("#item-panel")
    expect(panel.locator("button[name=to_state]")).to_have_text(["Submit for review"])
    assert panel.locator("text=Publish").count() == 0
    page.fill("#ip-comment", "Ready for a look")
    panel.locator("button:has-text('Submit for review')").click()
    expect(page.locator("#item-panel [data-state]")).to_have_text("Pending Review")
    expect(page.locator("#toasts")).to_contain_text("Moved to Pending review")
    expect(page.locator("#item-panel .timeline")).to_contain_text("Ready for a look")
    # the swap replaced the clicked button: the focus continues from the panel's heading
    assert page.evaluate("document.activeElement.id") == "ip-status"
    page.screenshot(path=str(shots / "panel-submitted-1440.png"), full_page=True)
    clean(watch)
    page.context.close()

    for width in (360, 1440):
        page, watch = open_page(browser, server, width)
        sign_in(page, server, editor.email)
        page.goto(f"{server.url}/admin/workflow")
        entry = page.locator(f'[data-queue-item="{item_id}"]')
        expect(entry).to_contain_text("Field notes")
        expect(entry).to_contain_text("News")
        no_page_scroll(page, width)
        assert serious_violations(page) == []
        page.screenshot(path=str(shots / f"queue-{width}.png"), full_page=True)
        clean(watch)
        if width == 1440:
            entry.locator("input[name=comment]").fill("Lovely")
            entry.locator("button:has-text('Approve')").click()
            expect(page.locator("#toasts")).to_contain_text("Approved: Field notes")
            expect(page.locator(f'[data-queue-item="{item_id}"]')).to_have_count(0)
            expect(page.locator("#review-queue")).to_contain_text("Nothing waits")
            page.screenshot(path=str(shots / "queue-approved-1440.png"), full_page=True)
            clean(watch)
        page.context.close()
    system = system_context(db, clock)
    with db.read() as conn:
        from sqlalchemy import select

        from sonic_cms.db.schema import Content

        state = conn.execute(
            select(Content.workflow_state_id).where(Content.id == item_id)
        ).scalar_one()
    assert state == "approved"
    assert history.get_item(system, item_id)["status"] == "draft"


def test_a_scheduled_publish_shows_published_when_its_time_comes(
    server: LiveServer, browser: Browser, db: Database, clock: FrozenClock, shots: Path
):
    editor = create_random_user(db, clock, "editor")
    item_id = seed_item(db, clock, editor.id, "Launch post")
    page, watch = open_page(browser, server, 360)
    sign_in(page, server, editor.email)
    page.goto(f"{server.url}/admin/content/{item_id}/versions")
    zone = page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
    if page.locator(f'#ip-zone option[value="{zone}"]').count():
        expect(page.locator("#ip-zone")).to_have_value(zone)  # the browser's zone by default
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    page.select_option("#ip-action", "publish")
    page.fill("#ip-date", tomorrow.strftime("%Y-%m-%d"))
    page.fill("#ip-time", "09:30")
    page.select_option("#ip-zone", "America/New_York")
    page.locator("#item-panel button:has-text('Schedule')").click()
    expect(page.locator("#toasts")).to_contain_text("Scheduled publish")
    expect(page.locator("#item-panel .badge--scheduled")).to_be_visible()
    no_page_scroll(page, 360)
    assert serious_violations(page) == []
    page.screenshot(path=str(shots / "panel-scheduled-360.png"), full_page=True)
    system = system_context(db, clock)
    (pending,) = scheduling.list_schedules(system, content_id=item_id, status="pending")
    assert pending["timezone"] == "America/New_York"
    local = datetime.fromisoformat(f"{tomorrow:%Y-%m-%d}T09:30")
    from zoneinfo import ZoneInfo

    expected = local.replace(tzinfo=ZoneInfo("America/New_York"))
    assert pending["scheduled_at"] == int(expected.timestamp() * 1000)
    expect(page.locator("#item-panel [data-state]")).to_have_text("Draft")
    # its time comes: the executor runs with a clock past the scheduled moment
    later = FrozenClock(pending["scheduled_at"] + 60_000)
    report = run_due(system_context(db, later))
    assert report.completed == [pending["id"]]
    time.sleep(0.1)
    page.reload()
    expect(page.locator("#item-panel [data-state]")).to_have_text("Published")
    expect(page.locator("#item-panel .badge--scheduled")).to_have_count(0)
    page.screenshot(path=str(shots / "panel-published-360.png"), full_page=True)
    clean(watch)
