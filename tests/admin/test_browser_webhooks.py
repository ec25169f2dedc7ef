"""The Webhooks page in a real browser against a real server whose worker delivers: add an
endpoint, copy the secret shown once, send a test event, watch it arrive verified at a real
receiver and its attempt appear, then disable, enable and delete with the dialog; axe-core and
no horizontal scrolling at both widths, with screenshots."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from standardwebhooks import Webhook

from sonic_cms.clock import FrozenClock
from sonic_cms.db.engine import Database
from tests.admin.test_browser_media import no_horizontal_scroll, serious_axe_violations
from tests.utils.auth import create_random_user
from tests.utils.browser import BROWSER_MARKS, open_page, sign_in
from tests.utils.live_server import LiveServer, live_server
from tests.utils.redis_server import free_port
from tests.webhooks.receiver import Receiver, running_receiver

pytestmark = BROWSER_MARKS


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """A server whose delivery worker may reach the loopback receiver and looks often."""
    port = free_port()
    with live_server(
        db_url,
        tmp_path,
        port=port,
        public_url=f"http://127.0.0.1:{port}",
        webhooks_allow_loopback="true",
        webhooks_poll_seconds="0.2",
    ) as live:
        yield live


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.mark.parametrize("width", [1440, 360])
def test_add_test_deliver_disable_and_delete(
    server: LiveServer,
    browser: Browser,
    db: Database,
    clock: FrozenClock,
    receiver: Receiver,
    width: int,
    tmp_path_factory: pytest.TempPathFactory,
):
    shots = tmp_path_factory.mktemp("webhook-screenshots")
    admin = create_random_user(db, clock, "admin")
    page, watch = open_page(browser, server, width)
    sign_in(page, server, admin.email)
    page.goto(f"{server.url}/admin/webhooks")
    expect(page.locator(".empty")).to_contain_text("No webhook endpoints yet")
    assert serious_axe_violations(page) == []
    page.fill("#w-url", receiver.url)
    page.check('input[name="events"][value="content:publish"]')
    page.fill("#w-description", "Rebuild the static site")
    page.click("text=Add endpoint")
    secret_box = page.locator("#webhook-secret")
    expect(secret_box).to_be_visible()
    secret = secret_box.input_value()
    assert secret.startswith("whsec_")
    page.screenshot(path=str(shots / f"webhooks-added-{width}.png"), full_page=True)
    assert serious_axe_violations(page) == []
    no_horizontal_scroll(page, width)

    page.goto(f"{server.url}/admin/webhooks")
    expect(page.locator("#webhook-secret")).to_have_count(0)  # shown once only
    row = page.locator("tr[data-webhook]")
    expect(row).to_contain_text("Rebuild the static site")
    row.get_by_role("link", name=f"Edit and deliveries of {receiver.url}").click()
    page.get_by_role("button", name="Send a test event").click()
    expect(page.locator(".toast")).to_contain_text("A test event is queued")
    _wait_for(lambda: len(receiver.received) == 1)
    (got,) = receiver.received
    assert Webhook(secret).verify(got.body, got.headers)["type"] == "webhook:test"
    _wait_for(lambda: _shows(page, "#1 success (HTTP 200)"))
    page.screenshot(path=str(shots / f"webhook-deliveries-{width}.png"), full_page=True)
    assert serious_axe_violations(page) == []
    no_horizontal_scroll(page, width)

    page.get_by_role("button", name="Disable").click()
    expect(page.locator(".toast")).to_contain_text("The endpoint is disabled")
    expect(page.locator("tr[data-webhook]")).to_contain_text("disabled")
    page.get_by_role("button", name=f"Enable {receiver.url}").click()
    expect(page.locator(".toast")).to_contain_text("The endpoint is enabled")
    page.get_by_role("button", name=f"Delete {receiver.url}…").click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text("its delivery history is deleted with it")
    page.screenshot(path=str(shots / f"webhooks-delete-dialog-{width}.png"))
    dialog.get_by_role("button", name="Delete the endpoint").click()
    expect(page.locator(".toast")).to_contain_text("deleted with its deliveries")
    expect(page.locator("tr[data-webhook]")).to_have_count(0)
    assert watch.external == [] and watch.errors == []
    print(f"screenshots: {shots}")


def _shows(page, text: str) -> bool:
    page.reload()
    return text in page.content()


def _wait_for(condition, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
