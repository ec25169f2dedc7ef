"""Users, roles and the profile in a real browser against a real server: an invitation read
from the server's own output (the console mailer prints it in development), accepted in the
browser, then a sign-in as the invitee; a permission granted and revoked on the roles grid
and the menu of a user of that role following it; TOTP enrolment with its QR code."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from sonic_cms.clock import FrozenClock
from sonic_cms.db.engine import Database
from tests.utils.auth import TEST_PASSWORD, create_random_user
from tests.utils.browser import BROWSER_MARKS, Watch, open_page, sign_in
from tests.utils.live_server import LiveServer, live_server
from tests.utils.redis_server import free_port

pytestmark = BROWSER_MARKS
LINK = re.compile(r"(http://\S+/auth/accept-invitation\?token=\S+)")


@pytest.fixture
def dev_server(db_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """The server in development mode: its console mailer prints the mails' bodies."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with live_server(db_url, tmp_path, port=port, public_url=url, env="development") as live:
        yield live


def clean(watch: Watch) -> None:
    assert watch.external == [] and watch.errors == [], (watch.external, watch.errors)


def invitation_link(server: LiveServer, email: str, page: Page) -> str:
    """The last invitation link printed for ``email`` (the mail goes out after the answer)."""
    for _ in range(50):
        log = server.log.read_text(errors="replace")
        mail = log.rfind(f"To: {email}")
        found = LINK.search(log, mail) if mail >= 0 else None
        if found:
            return found.group(1)
        page.wait_for_timeout(100)
    raise AssertionError(server.log_tail())


def test_invite_accept_in_the_browser_and_sign_in(
    dev_server: LiveServer, browser: Browser, db: Database, clock: FrozenClock
):
    admin = create_random_user(db, clock, "admin")
    page, watch = open_page(browser, dev_server)
    sign_in(page, dev_server, admin.email)
    page.goto(f"{dev_server.url}/admin/users")
    page.click("summary.people-invite__summary")
    page.fill("#invite-email", "invitee@example.com")
    page.fill("#invite-first", "Ines")
    page.fill("#invite-last", "Invitee")
    page.select_option("#invite-role", "author")
    page.click("text=Send invitation")
    expect(page.locator(".toast")).to_contain_text("Invitation sent to invitee@example.com")
    row = page.locator('[data-user-email="invitee@example.com"]')
    expect(row.locator("[data-state]")).to_have_text("Invited")
    link = invitation_link(dev_server, "invitee@example.com", page)
    clean(watch)

    guest, guest_watch = open_page(browser, dev_server)
    guest.goto(link)
    expect(guest).to_have_url(re.compile(r"/admin/accept-invitation\?token="))
    expect(guest.locator("main")).to_contain_text("invitee@example.com")
    guest.fill("#password", TEST_PASSWORD)
    guest.fill("#password_again", TEST_PASSWORD)
    guest.click("text=Set password and sign in")
    guest.wait_for_url(f"{dev_server.url}/admin")
    expect(guest.locator("summary.usermenu__summary")).to_have_text("Ines")
    guest.click("summary.usermenu__summary")
    guest.click("button:has-text('Sign out')")
    guest.wait_for_url(re.compile(r"/admin/login"))
    sign_in(guest, dev_server, "invitee@example.com")
    expect(guest.locator("summary.usermenu__summary")).to_have_text("Ines")
    clean(guest_watch)

    page.reload()
    expect(row.locator("[data-state]")).to_have_text("Active")


def admin_entries(page: Page) -> list[str]:
    return page.locator("[data-admin-menu] a").all_inner_texts()


def test_a_granted_permission_adds_a_menu_entry_and_revoking_removes_it(
    server: LiveServer, browser: Browser, db: Database, clock: FrozenClock
):
    admin, viewer = create_random_user(db, clock, "admin"), create_random_user(db, clock, "viewer")
    page, watch = open_page(browser, server)
    sign_in(page, server, admin.email)
    other, other_watch = open_page(browser, server)
    sign_in(other, server, viewer.email)
    assert not any("Users" in entry for entry in admin_entries(other))

    page.goto(f"{server.url}/admin/roles")
    switch = page.get_by_role("switch", name="viewer: users.read")
    expect(switch).to_have_attribute("aria-checked", "false")
    switch.click()
    expect(page.locator(".toast").last).to_contain_text("viewer may now use users.read")
    expect(page.get_by_role("switch", name="viewer: users.read")).to_have_attribute(
        "aria-checked", "true"
    )
    other.reload()
    assert any("Users" in entry for entry in admin_entries(other))
    other.click("[data-admin-menu] a:has-text('Users')")
    expect(other.locator("h1")).to_have_text("Users")

    page.get_by_role("switch", name="viewer: users.read").click()
    expect(page.locator(".toast").last).to_contain_text("viewer no longer has users.read")
    other.goto(f"{server.url}/admin")
    assert not any("Users" in entry for entry in admin_entries(other))
    clean(watch)
    clean(other_watch)


def test_totp_enrolment_shows_a_qr_code_and_a_code_enables_it(
    server: LiveServer, browser: Browser, db: Database, clock: FrozenClock
):
    user = create_random_user(db, clock, "author")
    page, watch = open_page(browser, server, 360)
    sign_in(page, server, user.email)
    page.goto(f"{server.url}/admin/profile")
    page.click("text=Set up two-factor authentication")
    qr = page.locator("[data-qr] svg")
    expect(qr).to_be_visible()
    assert qr.bounding_box()["width"] >= 100  # type: ignore[index]
    secret = page.locator("[data-secret]").inner_text().replace(" ", "")
    page.fill("#p-code", pyotp.TOTP(secret).now())
    page.click("text=Turn on")
    expect(page.locator("[data-two-factor]")).to_have_attribute("data-two-factor", "on")
    expect(page.locator(".toast").last).to_contain_text("Two-factor authentication is on")
    page.wait_for_load_state("load")  # styles applied before measuring
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    clean(watch)


def test_deactivating_asks_first_and_cancel_changes_nothing(
    server: LiveServer, browser: Browser, db: Database, clock: FrozenClock, tmp_path: Path
):
    """The dialog says what happens; Cancel keeps the user active; confirming swaps the list
    without a console error (htmx once copied a ``style`` attribute the CSP blocks)."""
    admin, target = create_random_user(db, clock, "admin"), create_random_user(db, clock, "editor")
    page, watch = open_page(browser, server)
    sign_in(page, server, admin.email)
    page.goto(f"{server.url}/admin/users?q={target.email}")
    row = page.locator(f'[data-user="{target.id}"]')
    dialog = page.locator(f"#deactivate-{target.id}")
    row.get_by_role("button", name="Deactivate…").click()
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_contain_text(f"({target.email})?")
    page.screenshot(path=str(tmp_path / "deactivate-dialog.png"))
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(row.locator("[data-state]")).to_have_text("Active")

    row.get_by_role("button", name="Deactivate…").click()
    dialog.get_by_role("button", name="Deactivate", exact=True).click()
    row = page.locator(f'[data-user="{target.id}"]')
    expect(row.locator("[data-state]")).to_have_text("Inactive")
    expect(row.get_by_role("button", name="Reactivate")).to_be_visible()
    clean(watch)
