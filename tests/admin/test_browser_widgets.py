"""The editor's rich widgets in a real browser: Quill under the CSP, the slug following the title,
the reference combobox by keyboard, the media dialog and inline upload.

Until the editor page exists, the widgets live on a test-only page: the app (create_app, served by
uvicorn in a thread of the test process) gets ``/admin/_widgets``, a page that extends
``_layout.html``, loads ``fields/_widget_assets.html`` and renders the four field templates with
FieldViews inside a form; the form posts back to the page, which answers with what it received,
so a test sees exactly what the editor's form parser will read.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request
from jinja2 import ChoiceLoader, DictLoader
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from starlette.responses import JSONResponse, Response

from sonic_cms.actors import SYSTEM
from sonic_cms.admin.forms.views import FieldView
from sonic_cms.admin.pages.editorial.field_lookups import MEDIA_PAGE
from sonic_cms.admin.pages.frame import PageActor
from sonic_cms.admin.security import check_csrf
from sonic_cms.admin.templating import admin_of, render
from sonic_cms.api.app import create_app
from sonic_cms.auth.authentication import actor_for_user
from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.content import collections, items
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.media.upload import MediaMeta, upload_media
from sonic_cms.storage import build_storage
from tests.conftest import make_settings
from tests.utils.auth import create_random_user
from tests.utils.browser import BROWSER_MARKS, Watch, open_page, sign_in
from tests.utils.redis_server import free_port

pytestmark = BROWSER_MARKS

#: The body the harness's rich-text field starts with, as the server stored it.
STORED_BODY = "<h2>Stored</h2><p>Hello <em>there</em></p>"
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"

HARNESS = """{% extends "_layout.html" %}
{% block title %}Widgets{% endblock %}
{% block head %}{% include "fields/_widget_assets.html" %}{% endblock %}
{% block body %}
<main id="main" class="main" tabindex="-1">
  <form class="form panel" method="post" action="/admin/_widgets">
    <input type="hidden" name="csrf_token" value="{{ csrf_token }}">
    <div class="field"><label class="field__label" for="f-title">Title</label>
      <input class="field__input" id="f-title" name="title" autocomplete="off"></div>
    {% for f in fields %}{% include "fields/" ~ f.widget ~ ".html" %}{% endfor %}
    <button type="submit" class="button button--primary">Save</button>
  </form>
</main>
{% endblock %}
"""


def widget_fields(saved: dict[str, str]) -> list[FieldView]:
    """One field per widget, as the editor's form generator would hand them over; ``saved``
    holds an existing item's values (``slug``, ``author``, ``cover``, and its ``item_id``)."""

    def make(kind: str, widget: str, name: str, label: str, **extra: Any) -> FieldView:
        values: dict[str, Any] = {"value": None, "config": {}}
        return FieldView(kind, widget, name, f"f-{name}", label, **(values | extra))

    return [
        make(
            "quill",
            "richtext",
            "body",
            "Body",
            value=STORED_BODY,
            help="Headings, lists, links and code.",
        ),
        make(
            "slug",
            "slug",
            "slug",
            "Slug",
            value=saved.get("slug"),
            config={"collection": "news", "item_id": saved.get("item_id")},
        ),
        make(
            "reference",
            "reference",
            "author",
            "Author",
            value=saved.get("author"),
            config={"collection": "people"},
        ),
        make("media", "media", "cover", "Cover image", value=saved.get("cover")),
    ]


def add_harness(app: FastAPI) -> None:
    """The test-only page ``/admin/_widgets`` on ``app``."""
    admin = app.state.admin
    admin.templates.loader = ChoiceLoader(
        [DictLoader({"widget_harness.html": HARNESS}), admin.templates.loader]
    )

    async def show(request: Request, actor: PageActor) -> Response:
        return render(
            request,
            "widget_harness.html",
            session_id=actor.session_id,
            fields=widget_fields(dict(request.query_params)),
        )

    async def echo(request: Request, actor: PageActor) -> Response:
        await check_csrf(request, admin_of(request).settings, actor.session_id)
        form = await request.form()
        return JSONResponse([[key, value] for key, value in form.multi_items()])

    app.add_api_route("/admin/_widgets", show, methods=["GET"])
    app.add_api_route("/admin/_widgets", echo, methods=["POST"])


@dataclass(frozen=True)
class Harness:
    """Where the harness app answers (the shape open_page and sign_in read), and its settings
    (seeded files must go to the media folder it serves)."""

    url: str
    settings: Settings


@pytest.fixture
def harness(db_url: str, db: Database, clock: FrozenClock, tmp_path: Path) -> Iterator[Harness]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = make_settings(
        db_url, auth_cookie_secure=False, public_url=url, media_local_dir=tmp_path / "media"
    )
    app = create_app(settings, db=db, clock=clock)
    add_harness(app)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "harness did not start"
        time.sleep(0.05)
    yield Harness(url, settings)
    server.should_exit = True
    thread.join(timeout=10)


def png(width: int, height: int, color: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


def seed(harness: Harness, db: Database, clock: FrozenClock, user_id: str) -> dict[str, Any]:
    """news (with an item holding slug launch-day), people (two items), two images."""
    storage = build_storage(harness.settings, clock)
    system = Context(db=db, clock=clock, settings=harness.settings, storage=storage, actor=SYSTEM)
    ctx = system.acting_as(actor_for_user(system, user_id))
    made: dict[str, Any] = {}
    for name in ("news", "people"):
        body = {
            "name": name,
            "display_name": name.title(),
            "schema": {"type": "object", "properties": {}},
        }
        made[name] = collections.create_collection(ctx, body)
    for collection, title in (("people", "Ada Lovelace"), ("people", "Alan Turing"),
                              ("news", "Launch day")):  # fmt: skip
        body = {"collectionId": made[collection]["id"], "title": title, "data": {}}
        made[title] = items.create_item(ctx, {**body, "status": "published"})
    for name, color in (("red.png", (200, 40, 40)), ("blue.png", (40, 60, 200))):
        made[name] = upload_media(ctx, io.BytesIO(png(64, 48, color)), name, MediaMeta())
    return made


def open_harness(
    browser: Browser, harness: Harness, db: Database, clock: FrozenClock, width: int = 1440
) -> tuple[Page, Watch, dict[str, Any]]:
    admin = create_random_user(db, clock, "admin")
    made = seed(harness, db, clock, admin.id)
    page, watch = open_page(browser, harness, width)  # type: ignore[arg-type]
    report_failures(page)
    sign_in(page, harness, admin.email)  # type: ignore[arg-type]
    page.goto(f"{harness.url}/admin/_widgets")
    page.wait_for_selector(".ql-editor")
    return page, watch, made


def report_failures(page: Page) -> None:
    """Print each failed request's address (the console error names only its status)."""
    page.on("response", lambda r: print("HTTP", r.status, r.url) if r.status >= 400 else None)


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now. The vendored axe is
    evaluated through the DevTools protocol, which the page's CSP does not govern."""
    if not page.evaluate("typeof axe === 'object'"):
        page.evaluate(AXE.read_text())
    found: list[str] = page.evaluate(
        """axe.run(document, {resultTypes: ['violations']}).then(r => r.violations
             .filter(v => v.impact === 'serious' || v.impact === 'critical')
             .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', ')))"""
    )
    return found


def submitted(page: Page) -> dict[str, list[str]]:
    """Submit the harness form; what the server received, by name."""

    def echoed(response: Any) -> bool:
        return bool(response.request.method == "POST" and response.url.endswith("/_widgets"))

    with page.expect_response(echoed) as answer:
        page.click("button[type=submit]")
    pairs = answer.value.json()
    out: dict[str, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out


def test_quill_writes_formatted_html_into_the_hidden_input_under_the_csp(
    harness: Harness, browser: Browser, db: Database, clock: FrozenClock
):
    page, watch, _ = open_harness(browser, harness, db, clock)
    editor = page.locator("#f-body .ql-editor")
    assert editor.get_attribute("aria-labelledby") == "f-body-label"
    assert editor.get_attribute("role") == "textbox"
    assert page.locator("#f-body-label").inner_text() == "Body"
    assert editor.get_attribute("aria-describedby") == "f-body-help"
    expect(editor.locator("h2")).to_have_text("Stored")  # the stored HTML, shown back
    expect(editor.locator("em")).to_have_text("there")
    hidden = page.locator("#f-body-value")
    assert hidden.input_value() == STORED_BODY  # unchanged until the user edits
    page.click("#f-body-label")  # the label puts the caret in the editor
    assert editor.evaluate("el => el === document.activeElement")
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    expect(hidden).to_have_value("")
    page.click("#f-body-toolbar .ql-header .ql-picker-label")  # the empty line kept its h2
    page.click("#f-body-toolbar .ql-header .ql-picker-item:not([data-value])")
    page.keyboard.type("Plain and ")
    page.keyboard.press("Control+b")
    page.keyboard.type("bold")
    page.keyboard.press("Control+b")
    page.keyboard.press("Enter")
    page.click("#f-body-toolbar button.ql-list[value=bullet]")
    page.keyboard.type("first point")
    expect(hidden).to_have_value(
        "<p>Plain and <strong>bold</strong></p><ul><li>first point</li></ul>"
    )
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.type("Read the docs")
    page.keyboard.press("Shift+Home")  # select the line, make it a link with Quill's tooltip
    page.click("#f-body-toolbar button.ql-link")
    tooltip = page.locator("#f-body .ql-tooltip input[type=text]")
    expect(tooltip).to_be_visible()
    tooltip.fill("https://example.org/docs")
    tooltip.press("Enter")
    link = '<a href="https://example.org/docs" rel="noopener noreferrer" target="_blank">'
    expect(hidden).to_have_value(f"<p>{link}Read the docs</a></p>")
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.click("#f-body-toolbar .ql-header .ql-picker-label")  # the heading picker
    page.click("#f-body-toolbar .ql-header .ql-picker-item[data-value='3']")
    page.keyboard.type("Section")
    picker = page.locator("#f-body-toolbar .ql-header .ql-picker-label")
    expect(picker).to_have_attribute("aria-label", "Text style: Heading 3")
    expect(hidden).to_have_value(f"<p>{link}Read the docs</a></p><h3>Section</h3>")
    form = submitted(page)
    assert form["body"] == [f"<p>{link}Read the docs</a></p><h3>Section</h3>"]
    assert watch.external == []
    assert watch.errors == []


def test_the_slug_follows_the_title_until_typed_by_hand(
    harness: Harness, browser: Browser, db: Database, clock: FrozenClock
):
    page, watch, made = open_harness(browser, harness, db, clock)
    slug, status = page.locator("#f-slug"), page.locator("#f-slug-status")
    assert status.get_attribute("aria-live") == "polite"
    page.fill("#f-title", "Crème brûlée, day 2")
    expect(slug).to_have_value("crème-brûlée-day-2")
    expect(status).to_contain_text("crème-brûlée-day-2 is available")
    page.fill("#f-title", "Launch day")
    expect(slug).to_have_value("launch-day")
    expect(status).to_contain_text("launch-day is already used by Launch day")
    link = status.locator("a")
    assert link.get_attribute("href") == f"/admin/content/{made['Launch day']['id']}/edit"
    page.fill("#f-slug", "my-own")
    expect(status).to_contain_text("my-own is available")
    page.fill("#f-title", "Something else entirely")
    page.wait_for_timeout(600)  # longer than the debounce: nothing may follow now
    expect(slug).to_have_value("my-own")
    page.fill("#f-slug", "Not A Slug")
    expect(status).to_contain_text("Use lower-case words joined by hyphens, such as not-a-slug")
    expect(slug).to_have_value("Not A Slug")  # a hand-typed slug is never rewritten
    page.fill("#f-slug", "")  # emptied by hand: it follows the title again
    expect(slug).to_have_value("something-else-entirely")
    assert submitted(page)["slug"] == ["something-else-entirely"]
    assert watch.external == [] and watch.errors == []


def test_the_reference_combobox_by_keyboard(
    harness: Harness, browser: Browser, db: Database, clock: FrozenClock
):
    page, watch, made = open_harness(browser, harness, db, clock)
    combo, listbox = page.locator("#f-author"), page.locator("#f-author-listbox")
    assert combo.get_attribute("role") == "combobox"
    assert combo.get_attribute("aria-expanded") == "false"
    page.focus("#f-title")
    for _ in range(40):  # Tab through the form until the combobox has the focus
        page.keyboard.press("Tab")
        if combo.evaluate("el => el === document.activeElement"):
            break
    assert combo.evaluate("el => el === document.activeElement")
    page.keyboard.type("a")
    expect(listbox).to_be_visible()
    expect(combo).to_have_attribute("aria-expanded", "true")
    expect(listbox.locator("[role=option]")).to_have_count(2)
    expect(page.locator("#f-author-count")).to_have_text("2 matches")
    page.keyboard.type("lan")
    expect(listbox.locator("[role=option]")).to_have_count(1)
    page.keyboard.press("ArrowDown")
    option = listbox.locator("[role=option]").first
    expect(option).to_have_attribute("aria-selected", "true")
    assert combo.get_attribute("aria-activedescendant") == option.get_attribute("id")
    page.keyboard.press("Enter")
    expect(listbox).to_be_hidden()
    expect(page.locator("#f-author-value")).to_have_value(made["Alan Turing"]["id"])
    expect(page.locator("#f-author-chosen")).to_contain_text("Alan Turing")
    page.keyboard.press("ArrowDown")  # reopens with the latest items
    expect(listbox.locator("[role=option]")).to_have_count(2)
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    page.click("#f-author-chosen [data-reference-clear]")
    expect(page.locator("#f-author-value")).to_have_value("")
    assert combo.evaluate("el => el === document.activeElement")
    page.keyboard.type("ada")
    expect(listbox.locator("[role=option]")).to_have_count(1)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#f-author-value")).to_have_value(made["Ada Lovelace"]["id"])
    assert submitted(page)["author"] == [made["Ada Lovelace"]["id"]]
    assert watch.external == [] and watch.errors == []


def test_the_media_dialog_picks_a_file_and_upload_selects_the_new_one(
    harness: Harness, browser: Browser, db: Database, clock: FrozenClock, tmp_path: Path
):
    page, watch, made = open_harness(browser, harness, db, clock)
    value, current = page.locator("#f-cover-value"), page.locator("#f-cover-current")
    expect(current).to_contain_text("No file chosen.")
    page.click("#f-cover")
    dialog = page.locator("#f-cover-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("[data-media-pick]")).to_have_count(2)
    page.fill("#f-cover-dialog [data-media-q]", "blue")
    expect(dialog.locator("[data-media-pick]")).to_have_count(1)
    dialog.locator("[data-media-pick]").first.click()
    expect(dialog).to_be_hidden()
    expect(value).to_have_value(made["blue.png"]["id"])
    expect(current.locator("img.media-current__thumb")).to_be_visible()
    expect(current).to_contain_text("blue.png")
    assert page.locator("#f-cover").evaluate("el => el === document.activeElement")
    new_png = tmp_path / "green.png"
    new_png.write_bytes(png(30, 20, (40, 180, 60)))
    page.set_input_files("#f-cover-upload", str(new_png))
    expect(page.locator("#f-cover-status")).to_have_text("Uploaded green.png.")
    expect(current).to_contain_text("green.png")
    expect(current).to_contain_text("30 \u00d7 20 px")
    uploaded = value.input_value()
    assert uploaded not in {"", made["blue.png"]["id"], made["red.png"]["id"]}
    width = current.locator("img").evaluate("img => img.naturalWidth")
    assert width > 0  # the thumbnail really loaded from the server
    assert submitted(page)["cover"] == [uploaded]
    assert watch.external == [] and watch.errors == []


def test_a_refused_upload_says_why_and_keeps_the_chosen_file(
    harness: Harness, browser: Browser, db: Database, clock: FrozenClock, tmp_path: Path
):
    page, watch, made = open_harness(browser, harness, db, clock)
    page.click("#f-cover")
    page.locator("#f-cover-dialog [data-media-pick]").first.click()
    chosen = page.locator("#f-cover-value").input_value()
    assert chosen in {made["blue.png"]["id"], made["red.png"]["id"]}
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really an image")
    page.set_input_files("#f-cover-upload", str(broken))
    status = page.locator("#f-cover-status")
    expect(status).to_contain_text("Upload failed:")
    assert "media-status--error" in (status.get_attribute("class") or "")
    expect(page.locator("#f-cover-value")).to_have_value(chosen)
    page.click("#f-cover-current ~ .media-actions [data-media-clear]")
    expect(page.locator("#f-cover-value")).to_have_value("")
    expect(page.locator("#f-cover-current")).to_have_text("No file chosen.")
    assert watch.external == []
    assert len(watch.errors) == 1 and "status of 4" in watch.errors[0]  # the refusal, logged


def test_an_existing_items_values_show_and_submit_unchanged(
    harness: Harness, browser: Browser, db: Database, clock: FrozenClock
):
    page, watch, made = open_harness(browser, harness, db, clock)
    story, ada, red = made["Launch day"], made["Ada Lovelace"], made["red.png"]
    query = f"slug=launch-day&item_id={story['id']}&author={ada['id']}&cover={red['id']}"
    page.goto(f"{harness.url}/admin/_widgets?{query}")
    expect(page.locator("#f-author-chosen")).to_contain_text("Ada Lovelace")
    expect(page.locator("#f-cover-current")).to_contain_text("red.png")
    expect(page.locator("#f-cover-current img")).to_be_visible()
    status = page.locator("#f-slug-status")
    expect(status).to_contain_text("launch-day is available")  # its own slug
    page.fill("#f-title", "A new title")  # an existing slug does not follow the title
    page.wait_for_timeout(600)
    expect(page.locator("#f-slug")).to_have_value("launch-day")
    form = submitted(page)
    assert (form["slug"], form["author"], form["cover"]) == (
        ["launch-day"],
        [ada["id"]],
        [red["id"]],
    )
    assert watch.external == [] and watch.errors == []


def test_the_media_dialog_loads_more_and_filters_by_type(
    harness: Harness, browser: Browser, db: Database, clock: FrozenClock
):
    page, watch, _ = open_harness(browser, harness, db, clock)
    system = Context(
        db=db,
        clock=clock,
        settings=harness.settings,
        storage=build_storage(harness.settings, clock),
        actor=SYSTEM,
    )
    uploader = create_random_user(db, clock, "editor")
    system = system.acting_as(actor_for_user(system, uploader.id))
    for number in range(MEDIA_PAGE):  # with the two seeded: one more than a page
        data = io.BytesIO(png(8, 8, (number * 20, 90, 90)))
        upload_media(system, data, f"extra-{number:02}.png", MediaMeta())
    upload_media(system, io.BytesIO(b"just words\n"), "notes.txt", MediaMeta())
    page.click("#f-cover")
    picks = page.locator("#f-cover-dialog [data-media-pick]")
    expect(picks).to_have_count(MEDIA_PAGE)
    page.click("#f-cover-dialog [data-media-more]")
    expect(picks).to_have_count(MEDIA_PAGE + 2)
    assert picks.nth(MEDIA_PAGE).evaluate("el => el === document.activeElement")
    expect(page.locator("#f-cover-dialog [data-media-more]")).to_have_count(0)
    page.select_option("#f-cover-dialog [data-media-type]", "documents")
    expect(picks).to_have_count(1)
    expect(picks.first).to_contain_text("notes.txt")
    page.keyboard.press("Escape")  # the dialog closes and gives the focus back
    expect(page.locator("#f-cover-dialog")).to_be_hidden()
    assert page.locator("#f-cover").evaluate("el => el === document.activeElement")
    expect(page.locator("#f-cover-value")).to_have_value("")
    assert watch.external == [] and watch.errors == []


def test_widgets_at_360_and_1440_px(
    harness: Harness,
    browser: Browser,
    db: Database,
    clock: FrozenClock,
    tmp_path_factory: pytest.TempPathFactory,
):
    admin = create_random_user(db, clock, "admin")
    seed(harness, db, clock, admin.id)
    shots = tmp_path_factory.mktemp("widget-screenshots")
    for width in (360, 1440):
        page, watch = open_page(browser, harness, width)  # type: ignore[arg-type]
        report_failures(page)
        sign_in(page, harness, admin.email)  # type: ignore[arg-type]
        page.goto(f"{harness.url}/admin/_widgets")
        page.wait_for_selector(".ql-editor")
        page.fill("#f-title", "Launch day")
        expect(page.locator("#f-slug-status")).to_contain_text("already used")
        page.click("#f-body .ql-editor")
        page.keyboard.type("Some text")
        page.focus("#f-author")
        page.keyboard.type("a")
        expect(page.locator("#f-author-listbox [role=option]")).to_have_count(2)
        page.keyboard.press("ArrowDown")
        page.screenshot(path=str(shots / f"widgets-{width}.png"), full_page=True)
        assert serious_violations(page) == []
        page.keyboard.press("Escape")
        page.click("#f-cover")
        expect(page.locator("[data-media-pick]")).to_have_count(2)
        thumbs = page.locator("[data-media-pick] img")
        loaded = "imgs => imgs.every(i => i.complete && i.naturalWidth > 0)"
        for _ in range(50):  # wait_for_function evaluates a string: the CSP forbids that
            if thumbs.evaluate_all(loaded):
                break
            page.wait_for_timeout(100)
        assert thumbs.evaluate_all(loaded), "a thumbnail did not load"
        page.screenshot(path=str(shots / f"media-dialog-{width}.png"))
        assert serious_violations(page) == []
        page.wait_for_load_state("load")  # styles applied before measuring
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"horizontal scrolling at {width} px"
        assert watch.external == [] and watch.errors == []
        page.context.close()
    print(f"screenshots in {shots}")
