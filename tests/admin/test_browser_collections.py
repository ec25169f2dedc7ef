"""The collections pages in a real browser: create a collection from the list, add one field of
every type through the schema editor (options, a nested field, a list's entries, blocks and a
block's field, a reorder), save it, then create an item with those fields in the content
editor and read it back through the API; axe and no horizontal scroll at 360 and 1440 px."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, expect

from sonic_cms.clock import FrozenClock
from sonic_cms.content import collections, items
from sonic_cms.content.schema import FIELD_TYPES
from sonic_cms.db.engine import Database
from tests.admin.test_browser_editor import (
    no_horizontal_scroll,
    serious_violations,
    upload_through_the_server,
)
from tests.utils.auth import actor_with_role, create_random_user, system_context
from tests.utils.browser import BROWSER_MARKS, open_page, sign_in
from tests.utils.live_server import LiveServer

pytestmark = BROWSER_MARKS

#: One field of every type the schema supports (the name is the type, prefixed).
SIMPLE = (
    "string", "text", "textarea", "richtext", "quill", "tinymce", "mdxeditor", "markdown",
    "number", "boolean", "checkbox", "date", "datetime", "email", "url", "slug", "color",
    "media", "file", "json",
)  # fmt: skip


def shot(page: Page, name: str) -> None:
    """A screenshot to look at, when SONIC_TEST_SHOTS names a folder for them."""
    folder = os.environ.get("SONIC_TEST_SHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def draft_step(page: Page, action: Any) -> None:
    """Run ``action`` (a click or a change) and wait for the editor's htmx answer."""
    with page.expect_response(lambda r: "/schema/draft" in r.url):
        action()
    expect(page.locator(".htmx-request, .htmx-settling, .htmx-swapping")).to_have_count(0)


def add_field(page: Page, name: str, kind: str, add: str = "Add field", **options: Any) -> None:
    """Open the field form with the ``add`` button, name the field, choose its type (the form
    comes back with that type's options), fill them in, apply."""
    draft_step(page, lambda: page.click(f'button[aria-label="{add}"]'))
    expect(page.locator("#f-name")).to_be_focused()
    page.keyboard.type(name)
    if kind != "string":
        draft_step(page, lambda: page.select_option("#f-type", kind))
        expect(page.locator("#f-type")).to_have_value(kind)
        expect(page.locator("#f-name")).to_have_value(name)
    for key, value in options.items():
        if key == "collections":
            for target in value:
                page.check(f'input[name="f_collection"][value="{target}"]')
        elif key == "required":
            page.check("#f-required")
        elif key == "list_of":
            page.select_option("#f-list-of", value)
        else:
            page.fill(f"#f-{key}", value)
    if name == "xreference":
        shot(page, "schema-editor-field-form")
    draft_step(page, lambda: page.click('.schema-form__actions button[value="apply"]'))
    expect(page.locator(f'li[data-field="{name}"]')).to_have_count(1)
    expect(page.locator("[data-schema-form]")).to_have_count(0)


def build_schema(page: Page) -> None:
    for kind in SIMPLE:
        add_field(page, f"x{kind}", kind)
    shot(page, "schema-editor-fields")
    add_field(page, "xselect", "select", options="small = Small\nlarge = Large")
    add_field(page, "xradio", "radio", options="calm\nloud = Loud")
    add_field(page, "xmultiselect", "multiselect", options="red\ngreen\nblue")
    add_field(page, "xreference", "reference", collections=["people"])
    add_field(page, "xobject", "object")
    add_field(page, "inner", "string", add="Add field to xobject", maxLength="20")
    add_field(page, "xarray", "array", list_of="string", maxItems="3")
    add_field(page, "xblocks", "array", list_of="blocks")
    draft_step(page, lambda: page.click('button[aria-label="Add block to xblocks"]'))
    expect(page.locator("#b-name")).to_be_focused()
    page.keyboard.type("note")
    page.fill("#b-label", "Note")
    draft_step(page, lambda: page.click('.schema-form__actions button[value="applyblock"]'))
    expect(page.locator('li[data-block="note"]')).to_have_count(1)
    add_field(page, "words", "textarea", add="Add field to Note (block note)", required=True)
    # a required headline, added last and moved to the top with the keyboard
    add_field(page, "headline", "string", required=True, maxLength="80")
    for _ in range(len(SIMPLE) + 8):
        up = page.locator('button[aria-label="Move field headline up"]')
        if not up.count():
            break
        up.focus()
        draft_step(page, lambda: page.keyboard.press("Enter"))
    expect(page.locator("ol.schema-fields > li").first).to_have_attribute("data-field", "headline")


def fill_item(page: Page, person: str, image: str) -> None:
    page.fill("#f-title", "Kitchen sink")
    page.fill("#f-data-headline", "Every field")
    texts = {
        "xstring": "one line",
        "xtext": "legacy",
        "xtextarea": "two\nlines",
        "xmarkdown": "# Title",
        "xnumber": "7.5",
        "xdate": "2026-12-24",
        "xdatetime": "2026-12-24T18:30",
        "xemail": "cook@example.com",
        "xurl": "https://example.com/menu",
        "xcolor": "#336699",
        "xjson": '{"spice": [1, 2]}',
        "xobject-inner": "nested",
    }
    for name, value in texts.items():
        page.fill(f"#f-data-{name}", value)
    for name in ("xrichtext", "xquill", "xtinymce", "xmdxeditor"):
        page.click(f"#f-data-{name} .ql-editor")
        page.keyboard.type(name)
    page.check("#f-data-xboolean")
    page.check("#f-data-xcheckbox")
    page.select_option("#f-data-xselect", "large")
    page.check('input[name="data.xradio"][value="loud"]')
    page.check('input[name="data.xmultiselect"][value="green"]')
    for name in ("xmedia", "xfile"):
        page.click(f"#f-data-{name}")
        page.locator(f"#f-data-{name}-dialog [data-media-pick]").first.click()
        expect(page.locator(f"#f-data-{name}-value")).to_have_value(image)
    page.click("#f-data-xreference")
    page.keyboard.type("Ad")
    expect(page.locator("#f-data-xreference-listbox [role=option]")).to_have_count(1)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#f-data-xreference-value")).to_have_value(person)
    array = page.locator("#f-data-xarray")
    array.locator("[data-repeater-add]").click()
    page.keyboard.type("first")
    blocks = page.locator("#f-data-xblocks")
    blocks.locator("[data-repeater-add]").click()
    page.keyboard.type("a note")


def test_create_a_collection_add_every_field_type_then_an_item(
    server: LiveServer, browser: Browser, db: Database, clock: FrozenClock
):
    admin_ctx = system_context(db, clock).acting_as(actor_with_role(db, clock, "admin"))
    people = collections.create_collection(admin_ctx, {"name": "people", "display_name": "People"})
    person = items.create_item(
        admin_ctx, {"collectionId": people["id"], "title": "Ada", "data": {}}
    )
    admin = create_random_user(db, clock, "admin")
    page, watch = open_page(browser, server, 1440)
    sign_in(page, server, admin.email)
    image = upload_through_the_server(page, server)

    page.goto(f"{server.url}/admin/collections")
    page.fill("#c-name", "kitchen")
    page.fill("#c-display", "Kitchen")
    page.fill("#c-description", "One field of every type")
    page.click('button:has-text("Create collection")')
    page.wait_for_url(re.compile(r".*/admin/collections/col-kitchen-[^/?]+\?done=created$"))
    expect(page.locator(".toast")).to_contain_text("The collection was created")
    build_schema(page)
    no_horizontal_scroll(page, 1440)
    assert serious_violations(page) == []
    page.click('button[value="save"]')
    page.wait_for_url(re.compile(r".*\?done=schema$"))
    expect(page.locator(".toast")).to_contain_text("The schema was saved.")

    schema = collections.get_collection(admin_ctx, "kitchen")["schema"]
    props = schema["properties"]
    assert next(iter(props)) == "headline" and len(props) == len(SIMPLE) + 8
    assert {c["type"] for c in props.values()} == FIELD_TYPES  # every type the schema knows
    assert {props[f"x{k}"]["type"] for k in SIMPLE} == set(SIMPLE)
    assert props["headline"] == {"type": "string", "required": True, "maxLength": 80}
    assert props["xselect"]["enum"] == ["small", "large"]
    assert props["xselect"]["enumLabels"] == ["Small", "Large"]
    assert props["xreference"]["collection"] == "people"
    assert props["xobject"]["properties"] == {"inner": {"type": "string", "maxLength": 20}}
    assert props["xarray"] == {"type": "array", "maxItems": 3, "items": {"type": "string"}}
    assert props["xblocks"]["blocks"] == {
        "note": {"label": "Note", "properties": {"words": {"type": "textarea", "required": True}}}
    }

    page.goto(f"{server.url}/admin/content/new?collection=kitchen")
    fill_item(page, person["id"], image)
    page.click('button[name="action"][value="save"]')
    page.wait_for_url(re.compile(r".*/admin/content/[^/]+/edit\?notice=created$"))
    item_id = page.url.split("/admin/content/")[1].split("/")[0]
    data = page.request.get(f"{server.url}/api/content/{item_id}").json()["data"]["data"]
    assert data["headline"] == "Every field"
    assert data["xnumber"] == 7.5 and data["xboolean"] is True and data["xcheckbox"] is True
    assert data["xtextarea"] == "two\nlines" and data["xjson"] == {"spice": [1, 2]}
    assert data["xrichtext"] == "<p>xrichtext</p>" and data["xmdxeditor"] == "<p>xmdxeditor</p>"
    assert (data["xselect"], data["xradio"], data["xmultiselect"]) == ("large", "loud", ["green"])
    assert data["xmedia"] == image and data["xfile"] == image
    assert data["xreference"] == person["id"]
    assert data["xobject"] == {"inner": "nested"}
    assert data["xarray"] == ["first"]
    assert data["xblocks"] == [{"blockType": "note", "words": "a note"}]
    assert data["xcolor"] == "#336699" and data["xdate"] == "2026-12-24"
    assert data["xemail"] == "cook@example.com" and data["xurl"] == "https://example.com/menu"
    assert watch.external == [] and watch.errors == []

    narrow, narrow_watch = open_page(browser, server, 360)
    sign_in(narrow, server, admin.email)
    for path in ("/admin/collections", "/admin/collections/kitchen"):
        narrow.goto(f"{server.url}{path}")
        no_horizontal_scroll(narrow, 360)
        assert serious_violations(narrow) == [], path
    assert narrow_watch.external == [] and narrow_watch.errors == []


def test_saving_a_schema_that_items_break_asks_first(
    server: LiveServer, browser: Browser, db: Database, clock: FrozenClock
):
    admin_ctx = system_context(db, clock).acting_as(actor_with_role(db, clock, "admin"))
    schema: dict[str, Any] = {"type": "object", "properties": {"body": {"type": "textarea"}}}
    notes = collections.create_collection(
        admin_ctx, {"name": "notes", "display_name": "Notes", "schema": schema}
    )
    long = items.create_item(
        admin_ctx, {"collectionId": notes["id"], "title": "Long note", "data": {"body": "x" * 40}}
    )
    admin = create_random_user(db, clock, "admin")
    page, watch = open_page(browser, server, 1440)
    sign_in(page, server, admin.email)
    page.goto(f"{server.url}/admin/collections/{notes['id']}")
    draft_step(page, lambda: page.click('button[aria-label="Edit field body"]'))
    page.fill("#f-maxLength", "10")
    draft_step(page, lambda: page.click('.schema-form__actions button[value="apply"]'))
    with page.expect_response(lambda r: r.url.endswith("/schema")):
        page.click('button[value="save"]')
    report = page.locator(".schema-report")
    expect(report.locator("h3")).to_have_text(re.compile("1 of 1 item would not fit"))
    expect(report.locator("h3")).to_be_focused()
    expect(report).to_contain_text("Long note")
    expect(report).to_contain_text("data.body: must be at most 10 characters")
    expect(report.locator(f'a[href="/admin/content/{long["id"]}/edit"]')).to_have_count(1)
    shot(page, "schema-editor-report")
    assert collections.get_collection(admin_ctx, "notes")["schema"] == schema
    page.click('button:has-text("Save anyway")')
    page.wait_for_url(re.compile(r".*\?done=schema$"))
    saved = collections.get_collection(admin_ctx, "notes")["schema"]
    assert saved["properties"]["body"] == {"type": "textarea", "maxLength": 10}
    # the collection has an item: its delete is refused, and the page says why
    page.click('button[data-dialog-open="collection-delete-dialog"]')
    page.click('#collection-delete-dialog button:has-text("Delete “Notes”")')
    expect(page.locator(".toast--error")).to_contain_text("has 1 content items; delete them first")
    assert collections.get_collection(admin_ctx, "notes")["id"] == notes["id"]
    assert watch.external == []
