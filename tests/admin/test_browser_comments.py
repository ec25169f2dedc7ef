"""The comment moderation page in a real browser against a real `sonic serve`: the queue with
a script-bearing comment shown as text, bulk approval, one comment marked as spam, a bulk
delete through its dialog, and the item's count as the API reads it. Screenshots at 360 and
1440 px; axe-core finds nothing serious."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from sonic_cms.auth.authentication import actor_for_user
from sonic_cms.clock import FrozenClock
from sonic_cms.comments import posting
from sonic_cms.db.engine import Database
from sonic_cms.workflow import edits
from tests.admin.test_browser_panel import clean, no_page_scroll, seed_item, serious_violations
from tests.utils.auth import create_random_user, system_context
from tests.utils.browser import BROWSER_MARKS, open_page, sign_in
from tests.utils.live_server import LiveServer

pytestmark = BROWSER_MARKS

SCRIPT = '<script>window.pwned = true</script><img src=x onerror="window.pwned = true">'


@pytest.fixture
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("comments-screenshots")
    print(f"screenshots in {folder}")
    return folder


def _commenters(db: Database, clock: FrozenClock, item: str, texts: list[str]) -> list[str]:
    system = system_context(db, clock)
    ids = []
    for text in texts:
        viewer = create_random_user(db, clock, "viewer")
        ctx = system.acting_as(actor_for_user(system, viewer.id))
        ids.append(posting.post_comment(ctx, item, text)["id"])
    return ids


def test_a_moderator_works_through_the_queue(
    server: LiveServer, browser: Browser, db: Database, clock: FrozenClock, shots: Path
):
    editor = create_random_user(db, clock, "editor")
    item = seed_item(db, clock, editor.id, "Garden diary")
    system = system_context(db, clock)
    edits.update_item(system, item, {"status": "published"})
    texts = [SCRIPT, "Lovely roses this year.", "Buy cheap pills at example.com", "Agreed!"]
    hostile, roses, pills, agreed = _commenters(db, clock, item, texts)
    for width in (360, 1440):
        page, watch = open_page(browser, server, width)
        sign_in(page, server, editor.email)
        assert page.locator("nav a[href='/admin/comments']").count() == 1  # in the menu
        page.goto(f"{server.url}/admin/comments")
        expect(page.locator(f'tr[data-comment="{hostile}"] [data-comment-body]')).to_have_text(
            SCRIPT
        )
        assert page.evaluate("window.pwned === undefined")
        expect(page.locator(f'tr[data-comment="{roses}"]')).to_contain_text("Garden diary")
        no_page_scroll(page, width)
        assert serious_violations(page) == []
        page.screenshot(path=str(shots / f"comments-{width}.png"), full_page=True)
        clean(watch)
        if width == 360:
            page.context.close()
            continue
        for comment in (roses, agreed):
            page.check(f'tr[data-comment="{comment}"] input[name=ids]')
        expect(page.locator("[data-bulk-count]")).to_have_text("2 items selected")
        page.locator(".bulk-bar button[value=approve]").click()
        expect(page.locator("#toasts")).to_contain_text("Approved: 2 comment(s)")
        expect(page.locator("tr[data-comment]")).to_have_count(2)
        page.locator(f'tr[data-comment="{pills}"] button[value^="spam:"]').click()
        expect(page.locator("#toasts")).to_contain_text("Marked as spam: 1 comment(s)")
        expect(page.locator('[data-count="spam"]')).to_have_text("1")
        page.screenshot(path=str(shots / "comments-after-1440.png"), full_page=True)
        page.goto(f"{server.url}/admin/comments?status=approved")
        page.check("[data-select-all]")
        page.locator("button[data-bulk-delete]").click()
        dialog = page.locator("dialog[data-bulk-dialog]")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text("Delete 2 items?")
        assert serious_violations(page) == []
        page.screenshot(path=str(shots / "comments-delete-dialog-1440.png"))
        dialog.locator("button[type=submit]").click()
        expect(page.locator("#toasts")).to_contain_text("Deleted: 2 comment(s)")
        expect(page.locator("#comments-queue")).to_contain_text("No approved comments")
        clean(watch)
        page.context.close()
    read = httpx.get(f"{server.url}/api/content/{item}")
    assert read.status_code == 200 and read.json()["data"]["comments"] == {"approved": 0}
