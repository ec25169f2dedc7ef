"""The media library in a real browser: two PNGs dropped on the page upload with their
progress, show in the grid, open in the details drawer, and their alt text is saved.

The drop is a real ``drop`` event whose DataTransfer holds two files built in the page from
bytes (Playwright cannot drag files from the desktop), so media.js runs exactly as it does for
a person dragging files from their file manager.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from sonic_cms.clock import FrozenClock
from sonic_cms.db.engine import Database
from tests.media.helpers import image_bytes
from tests.utils.auth import create_random_user
from tests.utils.browser import BROWSER_MARKS, open_page, sign_in
from tests.utils.live_server import LiveServer

pytestmark = BROWSER_MARKS
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"

DROP_FILES = """([zone, files]) => {
  const transfer = new DataTransfer();
  for (const [name, b64] of files) {
    const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
    transfer.items.add(new File([bytes], name, {type: "image/png"}));
  }
  const target = document.querySelector(zone);
  for (const type of ["dragenter", "dragover", "drop"]) {
    const init = {bubbles: true, cancelable: true, dataTransfer: transfer};
    target.dispatchEvent(new DragEvent(type, init));
  }
}"""


def drop_pngs(page: Page, files: dict[str, bytes]) -> None:
    """Drop ``files`` (name: PNG bytes) on the upload zone."""
    encoded = [[name, base64.b64encode(data).decode()] for name, data in files.items()]
    page.evaluate(DROP_FILES, ["[data-media-dropzone]", encoded])


def serious_axe_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now. The script is
    evaluated through DevTools (not a page script tag), so the page's CSP stays as it is."""
    page.evaluate(AXE.read_text())
    found = page.evaluate(
        """() => axe.run(document).then(r => r.violations
             .filter(v => v.impact === "serious" || v.impact === "critical")
             .map(v => v.id + ": " + v.nodes.map(n => n.target.join(" ")).join(", ")))"""
    )
    return list(found)


def no_horizontal_scroll(page: Page, width: int) -> None:
    page.wait_for_load_state("load")  # styles applied before measuring
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"horizontal scrolling at {width} px"


@pytest.mark.parametrize("width", [1440, 360])
def test_drop_two_pngs_see_them_in_the_grid_and_edit_alt_text(
    server: LiveServer,
    browser: Browser,
    db: Database,
    clock: FrozenClock,
    tmp_path_factory: pytest.TempPathFactory,
    width: int,
):
    editor = create_random_user(db, clock, "editor")
    shots = tmp_path_factory.mktemp("media-screenshots")
    page, watch = open_page(browser, server, width)
    sign_in(page, server, editor.email)
    page.goto(f"{server.url}/admin/media")
    expect(page.locator(".media-empty")).to_contain_text("Drop files here or choose files")
    page.screenshot(path=str(shots / f"media-empty-{width}.png"), full_page=True)

    drop_pngs(page, {"harbour.png": image_bytes(640, 480), "meadow.png": image_bytes(300, 200)})
    uploads = page.locator("[data-media-uploads] .upload")
    expect(uploads).to_have_count(2)
    expect(page.locator(".upload--done")).to_have_count(2)
    for row in uploads.all():
        expect(row.locator(".upload__status")).to_have_text("Uploaded")
        assert row.locator("progress").evaluate("p => p.value") == 100
    tiles = page.locator(".media-grid .media-tile__name")
    expect(tiles).to_have_count(2)
    assert sorted(tiles.all_inner_texts()) == ["harbour.png", "meadow.png"]
    expect(page.locator(".media-bar__count")).to_contain_text("2 files")
    expect(page.locator(".media-folders__link", has_text="uploads")).to_contain_text("2")
    page.screenshot(path=str(shots / f"media-grid-{width}.png"), full_page=True)
    no_horizontal_scroll(page, width)
    assert serious_axe_violations(page) == []

    page.locator(".media-tile", has_text="harbour.png").locator("a.media-open").click()
    drawer = page.locator("#media-drawer")
    expect(drawer.locator("#h-details")).to_have_text("harbour.png")
    expect(drawer.locator("[data-media-dimensions]")).to_have_text("640 \u00d7 480 px")
    assert "selected=" in page.url  # the open file is in the URL
    assert page.evaluate("document.activeElement.textContent") == "harbour.png"
    page.fill("#media-alt", "Boats in the harbour at dusk")
    page.click("#media-drawer button[type=submit]")
    expect(drawer.locator(".form-notice")).to_have_text("Alt text and caption saved.")
    expect(page.locator("#toasts .toast")).to_contain_text("Alt text and caption saved.")
    expect(drawer.locator("#media-alt")).to_have_value("Boats in the harbour at dusk")
    expect(drawer.locator(".media-details__preview img")).to_have_attribute(
        "alt", "Boats in the harbour at dusk"
    )
    page.screenshot(path=str(shots / f"media-details-{width}.png"), full_page=True)
    page.screenshot(path=str(shots / f"media-details-viewport-{width}.png"))
    no_horizontal_scroll(page, width)
    assert serious_axe_violations(page) == []

    # reloading shows the saved text: it went through the media service, not only the page
    page.reload()
    expect(page.locator("#media-alt")).to_have_value("Boats in the harbour at dusk")

    # delete asks in a dialog that names the file
    page.click("[data-dialog-open=media-delete-dialog]")
    dialog = page.locator("#media-delete-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("h2")).to_have_text("Delete \u201charbour.png\u201d?")
    page.screenshot(path=str(shots / f"media-delete-{width}.png"))
    dialog.locator("button.button--danger").click()
    page.wait_for_url(f"{server.url}/admin/media?done=deleted")
    expect(tiles).to_have_count(1)
    assert watch.external == []
    assert watch.errors == []
    print(f"screenshots in {shots}")


def test_bulk_delete_names_the_files_in_its_dialog(
    server: LiveServer,
    browser: Browser,
    db: Database,
    clock: FrozenClock,
    tmp_path_factory: pytest.TempPathFactory,
):
    editor = create_random_user(db, clock, "editor")
    page, watch = open_page(browser, server)
    sign_in(page, server, editor.email)
    page.goto(f"{server.url}/admin/media?view=list")
    # the keyboard path: the file input behind "choose files" (here filled by Playwright)
    page.focus("#media-files")
    assert page.evaluate("document.activeElement.id") == "media-files"
    files = [
        {"name": name, "mimeType": "image/png", "buffer": image_bytes()}
        for name in ("a.png", "b.png", "c.png")
    ]
    page.set_input_files("#media-files", files)  # type: ignore[arg-type]
    expect(page.locator(".media-table tbody tr")).to_have_count(3)
    button = page.locator("[data-media-bulk-delete]")
    expect(button).to_be_disabled()
    page.check("input[aria-label='Select a.png']")
    page.check("input[aria-label='Select c.png']")
    expect(button).to_have_text("Delete selected (2)\u2026")
    shots = tmp_path_factory.mktemp("media-list-screenshots")
    page.screenshot(path=str(shots / "media-list-1440.png"), full_page=True)
    print(f"screenshots in {shots}")
    button.click()
    dialog = page.locator("#media-bulk-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("h2")).to_have_text("Delete 2 files?")
    names = dialog.locator("[data-media-bulk-names] li")
    expect(names).to_have_count(2)
    assert sorted(names.all_inner_texts()) == ["a.png", "c.png"]  # in the list's order
    dialog.locator("button.button--danger").click()
    expect(page.locator("#toasts")).to_contain_text("2 files moved to the trash.")
    expect(page.locator(".media-table tbody tr")).to_have_count(1)
    expect(page.locator(".media-table tbody")).to_contain_text("b.png")
    assert watch.external == [] and watch.errors == []


def test_url_import_refusal_shows_next_to_the_field(
    server: LiveServer, browser: Browser, db: Database, clock: FrozenClock
):
    author = create_random_user(db, clock, "author")
    page, watch = open_page(browser, server, 360)
    sign_in(page, server, author.email)
    page.goto(f"{server.url}/admin/media")
    page.click("summary.media-import__summary")
    page.fill("#import-url", "http://127.0.0.1:9/secret.png")
    page.click("#media-import button[type=submit]")
    error = page.locator("#import-error")
    expect(error).to_have_text("The URL points to an address imports may not reach")
    expect(page.locator("#import-url")).to_have_attribute("aria-invalid", "true")
    assert page.url == f"{server.url}/admin/media"  # swapped in place, no page load
    no_horizontal_scroll(page, 360)
    assert watch.external == [] and watch.errors == []


def test_two_dropped_images_and_one_attached_to_an_item(
    server: LiveServer, browser: Browser, db: Database, clock: FrozenClock
):
    """The issue's flow end to end: drop two images on the library, then pick one of them in
    an item's media field and save; the API returns the item with that file's id."""
    from tests.admin.test_editor import make_collection, make_item

    schema = {"type": "object", "properties": {"image": {"type": "media", "title": "Image"}}}
    editor = create_random_user(db, clock, "editor")
    item = make_item(db, clock, editor, make_collection(db, clock, schema), title="Harbour day")
    page, watch = open_page(browser, server)
    sign_in(page, server, editor.email)
    page.goto(f"{server.url}/admin/media")
    drop_pngs(page, {"harbour.png": image_bytes(640, 480), "meadow.png": image_bytes(300, 200)})
    expect(page.locator(".upload--done")).to_have_count(2)
    meadow = page.locator(".media-tile", has_text="meadow.png").get_attribute("data-media-item")
    assert meadow

    page.goto(f"{server.url}/admin/content/{item['id']}/edit")
    page.click("#f-data-image")  # "Choose from library"
    dialog = page.locator("#f-data-image-dialog")
    expect(dialog.locator("[data-media-pick]")).to_have_count(2)
    dialog.locator("[data-media-pick]", has_text="meadow.png").click()
    expect(page.locator("#f-data-image-value")).to_have_value(meadow)
    page.click('button[name="action"][value="save"]')
    expect(page.locator(".toast").first).to_be_visible()
    api = page.request.get(f"{server.url}/api/content/{item['id']}").json()["data"]
    assert api["data"]["image"] == meadow
    assert api["version_number"] == 2  # Save wrote the item and one version
    assert watch.external == [] and watch.errors == []
