"""The content editor over the app (TestClient), on both engines: the form generated from a
schema with every field type, saving through the content service (typed data, 422 paths on
their inputs, If-Match conflicts), a published item's Save draft / Publish changes, the
autosave banner, read-only viewers, CSRF, and the query count of the page."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from fastapi.testclient import TestClient

from sonic_cms.auth.authentication import actor_for_user
from sonic_cms.clock import FrozenClock
from sonic_cms.content import collections, items
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.db.records import UserSelect
from tests.admin.test_pages import csrf_of, sign_in
from tests.utils.auth import create_random_user, system_context
from tests.utils.query_count import counting_statements

#: One field of every type the schema format has (content/schema.py FIELD_TYPES), plus an
#: object, an array of objects, an array of scalars and blocks.
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["title"],
    "properties": {
        "title": {"type": "string", "title": "Headline"},
        "slug": {"type": "slug"},
        "subtitle": {"type": "text", "description": "Shown under the headline"},
        "kicker": {"type": "string", "maxLength": 40},
        "summary": {"type": "textarea"},
        "body": {"type": "markdown"},
        "content": {"type": "quill"},
        "rich": {"type": "richtext"},
        "tiny": {"type": "tinymce"},
        "mdx": {"type": "mdxeditor"},
        "rating": {"type": "number", "min": 0, "max": 5, "step": 0.5},
        "featured": {"type": "boolean"},
        "pinned": {"type": "checkbox"},
        "category": {"type": "select", "enum": ["news", "tips"]},
        "tone": {"type": "radio", "enum": ["calm", "loud"]},
        "tags": {"type": "multiselect", "enum": ["alpha", "beta", "gamma"]},
        "day": {"type": "date"},
        "starts": {"type": "datetime"},
        "contact": {"type": "email"},
        "website": {"type": "url"},
        "accent": {"type": "color"},
        "meta": {"type": "json"},
        "hero": {"type": "media"},
        "attachment": {"type": "file"},
        "related": {"type": "reference", "collection": "articles"},
        "byline": {
            "type": "object",
            "title": "Author box",
            "properties": {
                "name": {"type": "string", "required": True},
                "age": {"type": "number"},
            },
        },
        "links": {
            "type": "array",
            "items": {
                "type": "object",
                "title": "Link",
                "properties": {"label": {"type": "string"}, "url": {"type": "url"}},
            },
        },
        "keywords": {"type": "array", "items": {"type": "string", "title": "Keyword"}},
        "see_also": {"type": "array", "items": {"type": "reference", "collection": "articles"}},
        "sections": {
            "type": "array",
            "blocks": {
                "text": {"title": "Text", "properties": {"text": {"type": "textarea"}}},
                "quote": {
                    "title": "Quote",
                    "properties": {"quote": {"type": "string"}, "by": {"type": "string"}},
                },
            },
        },
    },
}
INPUT = re.compile(r'<(?:input|textarea|select)\b[^>]*\bname="([^"]+)"')


def system_as(db: Database, clock: FrozenClock, user: UserSelect) -> Context:
    system = system_context(db, clock)
    return system.acting_as(actor_for_user(system, user.id))


def make_collection(db: Database, clock: FrozenClock, schema: dict[str, Any] = SCHEMA) -> str:
    """The ``articles`` collection with ``schema``; its id."""
    admin = create_random_user(db, clock, "admin")
    body = {"name": "articles", "display_name": "Articles", "schema": schema}
    return str(collections.create_collection(system_as(db, clock, admin), body)["id"])


def make_item(
    db: Database, clock: FrozenClock, user: UserSelect, collection_id: str, **fields: Any
) -> dict[str, Any]:
    body = {"collectionId": collection_id, "title": "First", "data": {}, **fields}
    return items.create_item(system_as(db, clock, user), body)


def signed_in(client: TestClient, db: Database, clock: FrozenClock, role: str) -> UserSelect:
    user = create_random_user(db, clock, role)
    assert sign_in(client, user.email).status_code == 303
    return user


def names_in(html: str) -> set[str]:
    return {unescape(n) for n in INPUT.findall(html)}


def test_the_new_form_renders_every_field_type(
    client: TestClient, db: Database, clock: FrozenClock
):
    make_collection(db, clock)
    signed_in(client, db, clock, "editor")
    page = client.get("/admin/content/new?collection=articles")
    assert page.status_code == 200, page.text
    html = page.text
    names = names_in(html)
    top = {f"data.{n}" for n in SCHEMA["properties"] if n not in {"title", "slug", "byline"}}
    top -= {"data.links", "data.keywords", "data.see_also", "data.sections"}  # entries only
    assert top <= names, top - names
    assert {"title", "slug", "data.byline.name", "data.byline.age"} <= names
    assert "data.title" not in names and "data.slug" not in names
    assert 'name="data.links.__i0__.url"' in html  # the new-entry prototype
    assert 'name="data.sections.__i0__.blockType" value="quote"' in html
    assert 'type="datetime-local"' in html and "(UTC)" in html
    assert 'type="number"' in html and 'min="0"' in html and 'step="0.5"' in html
    assert ">Headline" in html and "(required)" in html
    assert "Shown under the headline" in html
    for label_for in re.findall(r'<label class="field__label" for="([^"]+)"', html):
        assert f'id="{label_for}"' in html, label_for
    assert "<script>" not in html and "style=" not in html and " onclick" not in html


def upload_image(db: Database, clock: FrozenClock) -> str:
    import io

    from sonic_cms.media.upload import MediaMeta, upload_media
    from tests.media.helpers import image_bytes

    editor = create_random_user(db, clock, "editor")
    ctx = system_as(db, clock, editor)
    return str(upload_media(ctx, io.BytesIO(image_bytes(40, 30)), "hero.png", MediaMeta())["id"])


def full_form(related: str, hero: str) -> dict[str, Any]:
    """Every input filled as a browser submits it: entries' keys in page order (the link
    with key ``k2`` was moved above entry ``0``), the unchecked box absent."""
    return {
        "action": "save",
        "title": "Spring launch",
        "slug": "spring-launch",
        "data.subtitle": "A subtitle",
        "data.kicker": "New",
        "data.summary": "Line one\nLine two",
        "data.body": "# Markdown",
        "data.content": "<p>Hello <strong>world</strong></p>",
        "data.rich": "<p>rich</p>",
        "data.tiny": "<p>tiny</p>",
        "data.mdx": "mdx text",
        "data.rating": "4.5",
        "data.featured": "true",
        "data.category": "tips",
        "data.tone": "loud",
        "data.tags": ["alpha", "gamma"],
        "data.day": "2026-12-24",
        "data.starts": "2026-12-24T18:30",
        "data.contact": "ed@example.com",
        "data.website": "https://example.com/x",
        "data.accent": "#336699",
        "data.meta": '{"a": [1, 2], "b": null}',
        "data.hero": hero,
        "data.attachment": hero,
        "data.related": related,
        "data.byline.name": "Ed",
        "data.byline.age": "41",
        "data.links[]": ["k2", "0"],
        "data.links.k2.label": "Second",
        "data.links.k2.url": "https://b.example",
        "data.links.0.label": "First",
        "data.links.0.url": "https://a.example",
        "data.keywords[]": ["0", "1"],
        "data.keywords.0": "one",
        "data.keywords.1": "two",
        "data.sections[]": ["x", "y"],
        "data.sections.x.blockType": "quote",
        "data.sections.x.quote": "Be calm",
        "data.sections.x.by": "Ann",
        "data.sections.y.blockType": "text",
        "data.sections.y.text": "Para",
    }


def expected_data(related: str, hero: str) -> dict[str, Any]:
    return {
        "title": "Spring launch",
        "slug": "spring-launch",
        "subtitle": "A subtitle",
        "kicker": "New",
        "summary": "Line one\nLine two",
        "body": "# Markdown",
        "content": "<p>Hello <strong>world</strong></p>",
        "rich": "<p>rich</p>",
        "tiny": "<p>tiny</p>",
        "mdx": "mdx text",
        "rating": 4.5,
        "featured": True,
        "pinned": False,
        "category": "tips",
        "tone": "loud",
        "tags": ["alpha", "gamma"],
        "day": "2026-12-24",
        "starts": "2026-12-24T18:30:00Z",
        "contact": "ed@example.com",
        "website": "https://example.com/x",
        "accent": "#336699",
        "meta": {"a": [1, 2], "b": None},
        "hero": hero,
        "attachment": hero,
        "related": related,
        "byline": {"name": "Ed", "age": 41},
        "links": [
            {"label": "Second", "url": "https://b.example"},
            {"label": "First", "url": "https://a.example"},
        ],
        "keywords": ["one", "two"],
        "sections": [
            {"blockType": "quote", "quote": "Be calm", "by": "Ann"},
            {"blockType": "text", "text": "Para"},
        ],
    }


def test_a_full_form_creates_the_item_with_typed_data(
    client: TestClient, db: Database, clock: FrozenClock
):
    collection = make_collection(db, clock)
    editor = signed_in(client, db, clock, "editor")
    related = make_item(db, clock, editor, collection, title="Target")["id"]
    hero = upload_image(db, clock)
    token = csrf_of(client.get("/admin/content/new?collection=articles").text)
    form = {**full_form(related, hero), "csrf_token": token}
    answer = client.post(
        "/admin/content/new?collection=articles", data=form, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    item_id = re.fullmatch(r"/admin/content/([^/]+)/edit\?notice=created", location)
    assert item_id, location
    api = client.get(f"/api/content/{item_id.group(1)}").json()["data"]
    assert api["data"] == expected_data(related, hero)
    assert api["title"] == "Spring launch" and api["slug"] == "spring-launch"
    assert api["status"] == "draft" and api["author_id"] == editor.id
    page = client.get(location).text
    assert "Item created." in page
    assert 'value="Spring launch"' in page and 'value="2026-12-24T18:30"' in page
    assert page.index('value="Second"') < page.index('value="First"')
    assert re.search(r'value="gamma" checked', page) and not re.search(
        r'value="beta" checked', page
    )
    assert re.search(r'name="data.featured" value="true" checked', page)
    assert not re.search(r'name="data.pinned" value="true" checked', page)
    assert "&#34;a&#34;: [" in page  # the JSON, pretty-printed


def test_saving_the_form_again_keeps_the_data(client: TestClient, db: Database, clock: FrozenClock):
    collection = make_collection(db, clock)
    editor = signed_in(client, db, clock, "editor")
    related = make_item(db, clock, editor, collection, title="Target")["id"]
    hero = upload_image(db, clock)
    data = expected_data(related, hero)
    item = make_item(db, clock, editor, collection, title="Spring launch", data=data)
    page = client.get(f"/admin/content/{item['id']}/edit").text
    etag = re.search(r'name="etag" value="([^"]+)"', page)
    assert etag and unescape(etag.group(1)) == f'"v1-{item["updated_at"]}"'
    form = {
        **full_form(related, hero),
        "csrf_token": csrf_of(page),
        "etag": unescape(etag.group(1)),
    }
    form["data.byline.age"] = "42"
    clock.advance(1000)
    answer = client.post(f"/admin/content/{item['id']}/edit", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].endswith("?notice=saved")
    api = client.get(f"/api/content/{item['id']}").json()["data"]
    assert api["data"] == {**data, "byline": {"name": "Ed", "age": 42}}
    assert api["version_number"] == 2


def test_service_422_problems_appear_next_to_their_inputs(
    client: TestClient, db: Database, clock: FrozenClock
):
    make_collection(db, clock)
    signed_in(client, db, clock, "editor")
    token = csrf_of(client.get("/admin/content/new?collection=articles").text)
    form = {
        "csrf_token": token,
        "action": "save",
        "title": "Broken",
        "data.contact": "not-an-email",
        "data.byline.age": "3",
        "data.links[]": ["a", "b"],
        "data.links.a.url": "https://fine.example",
        "data.links.b.url": "no url at all",
    }
    answer = client.post("/admin/content/new?collection=articles", data=form)
    assert answer.status_code == 422
    html = answer.text
    error = re.search(r'id="f-data-links-1-url-error">.*?</p>', html, re.S)
    assert error and "must be a valid uri" in error.group(0)
    assert 'name="data.links.1.url" value="no url at all"' in html  # what was typed stays
    assert 'aria-invalid="true"' in html
    assert re.search(r'id="f-data-contact-error">.*?must be a valid email', html, re.S)
    assert re.search(r'id="f-data-byline-name-error">.*?is required', html, re.S)
    assert "Some fields need attention." in html
    assert client.get("/api/content?collection=articles").json()["data"] == []


def test_bad_json_and_numbers_are_inline_errors_and_keep_the_text(
    client: TestClient, db: Database, clock: FrozenClock
):
    make_collection(db, clock)
    signed_in(client, db, clock, "editor")
    token = csrf_of(client.get("/admin/content/new?collection=articles").text)
    form = {"csrf_token": token, "title": "X", "data.meta": "{oops", "data.rating": "lots"}
    html = client.post("/admin/content/new?collection=articles", data=form).text
    assert re.search(r'id="f-data-meta-error">.*?is not valid JSON', html, re.S)
    assert ">{oops</textarea>" in html
    assert re.search(r'id="f-data-rating-error">.*?must be a number', html, re.S)
    assert 'value="lots"' in html


def test_a_save_over_a_newer_change_is_refused_and_says_so(
    client: TestClient, db: Database, clock: FrozenClock
):
    from sonic_cms.workflow import edits

    collection = make_collection(db, clock)
    editor = signed_in(client, db, clock, "editor")
    item = make_item(
        db, clock, editor, collection, title="Original", data={"byline": {"name": "A"}}
    )
    page = client.get(f"/admin/content/{item['id']}/edit").text
    etag = unescape(re.search(r'name="etag" value="([^"]+)"', page).group(1))  # type: ignore[union-attr]
    clock.advance(60_000)
    other = create_random_user(db, clock, "editor")
    edits.update_item(system_as(db, clock, other), item["id"], {"title": "Theirs"})
    form = {
        "csrf_token": csrf_of(page),
        "etag": etag,
        "action": "save",
        "title": "Mine",
        "data.byline.name": "A",
    }
    answer = client.post(f"/admin/content/{item['id']}/edit", data=form)
    assert answer.status_code == 412
    assert "Someone saved a newer version at" in answer.text and "reload to see it" in answer.text
    assert 'value="Mine"' in answer.text  # the user's text is kept on the page
    assert client.get(f"/api/content/{item['id']}").json()["data"]["title"] == "Theirs"


def test_published_item_save_draft_keeps_readers_view_and_publish_changes_it(
    client: TestClient, db: Database, clock: FrozenClock
):
    collection = make_collection(db, clock)
    editor = signed_in(client, db, clock, "editor")
    data = {"byline": {"name": "A"}}
    item = make_item(db, clock, editor, collection, title="Live", data=data, status="published")
    page = client.get(f"/admin/content/{item['id']}/edit").text
    assert ">Save draft</button>" in page and ">Publish changes</button>" in page
    assert ">Save</button>" not in page
    etag = unescape(re.search(r'name="etag" value="([^"]+)"', page).group(1))  # type: ignore[union-attr]
    base = {"csrf_token": csrf_of(page), "etag": etag, "version": "1", "data.byline.name": "A"}
    clock.advance(1000)
    draft = client.post(
        f"/admin/content/{item['id']}/edit",
        data={**base, "title": "Live, edited", "action": "draft"},
        follow_redirects=False,
    )
    assert draft.status_code == 303
    assert draft.headers["location"].endswith("/edit?restore=1&notice=draft")
    public = TestClient(client.app, headers={"Origin": "http://testserver"})
    readers = public.get(f"/api/content/{item['id']}").json()["data"]
    assert readers["title"] == "Live" and readers["version_number"] == 1
    restored = client.get(draft.headers["location"]).text
    assert 'value="Live, edited"' in restored and "Draft saved." in restored
    publish = client.post(
        f"/admin/content/{item['id']}/edit",
        data={**base, "title": "Live, edited", "action": "publish"},
        follow_redirects=False,
    )
    assert publish.status_code == 303 and publish.headers["location"].endswith("notice=published")
    readers = public.get(f"/api/content/{item['id']}").json()["data"]
    assert readers["title"] == "Live, edited" and readers["version_number"] == 2
    assert readers["status"] == "published"
    after = client.get(f"/admin/content/{item['id']}/edit").text
    assert "You have unsaved changes" not in after  # Save discarded the working copy


def test_autosave_banner_restore_and_discard(client: TestClient, db: Database, clock: FrozenClock):
    collection = make_collection(db, clock)
    editor = signed_in(client, db, clock, "editor")
    item = make_item(
        db, clock, editor, collection, title="Draft one", data={"byline": {"name": "A"}}
    )
    url = f"/admin/content/{item['id']}/edit"
    page = client.get(url).text
    assert "You have unsaved changes" not in page
    assert f'data-autosave-url="/admin/content/{item["id"]}/autosave"' in page
    clock.advance(5000)
    form = {"title": "Draft one, typed on", "version": "1", "data.byline.name": "B"}
    saved = client.post(
        f"/admin/content/{item['id']}/autosave",
        data=form,
        headers={"X-CSRF-Token": csrf_of(page)},
    )
    assert saved.status_code == 200 and saved.text.startswith("Autosaved at ")
    assert client.get(f"/api/content/{item['id']}").json()["data"]["title"] == "Draft one"
    page = client.get(url).text
    assert "You have unsaved changes from" in page
    assert f'href="{url}?restore=1">Restore</a>' in page
    restored = client.get(f"{url}?restore=1").text
    assert 'value="Draft one, typed on"' in restored and 'value="B"' in restored
    assert "You have unsaved changes from" not in restored
    discard = client.post(
        f"/admin/content/{item['id']}/autosave/discard",
        data={"csrf_token": csrf_of(page)},
        follow_redirects=False,
    )
    assert discard.status_code == 303 and discard.headers["location"].endswith("=discarded")
    page = client.get(discard.headers["location"]).text
    assert "You have unsaved changes" not in page and "were discarded" in page
    assert 'value="Draft one"' in page


def test_a_viewer_gets_a_read_only_page_and_a_crafted_post_is_refused(
    client: TestClient, db: Database, clock: FrozenClock
):
    collection = make_collection(db, clock)
    owner = create_random_user(db, clock, "editor")
    item = make_item(
        db,
        clock,
        owner,
        collection,
        title="Live",
        data={"byline": {"name": "A"}},
        status="published",
    )
    signed_in(client, db, clock, "viewer")
    page = client.get(f"/admin/content/{item['id']}/edit")
    assert page.status_code == 200
    html = page.text
    assert "You can read this item but not change it." in html
    assert re.search(r'<fieldset class="editor__fields panel" disabled>', html)
    assert 'name="action"' not in html and "data-autosave-url" not in html
    form = {
        "csrf_token": csrf_of(html),
        "title": "Hacked",
        "action": "save",
        "data.byline.name": "A",
    }
    answer = client.post(f"/admin/content/{item['id']}/edit", data=form)
    assert answer.status_code == 403 and answer.json()["code"] == "missing_permission"
    autosave = client.post(
        f"/admin/content/{item['id']}/autosave", data=form, headers={"X-CSRF-Token": csrf_of(html)}
    )
    assert autosave.status_code == 403
    assert client.get("/admin/content/new?collection=articles").status_code == 403
    assert client.get(f"/api/content/{item['id']}").json()["data"]["title"] == "Live"


def test_an_author_edits_only_their_own_items(client: TestClient, db: Database, clock: FrozenClock):
    collection = make_collection(db, clock)
    author = signed_in(client, db, clock, "author")
    other = create_random_user(db, clock, "author")
    mine = make_item(db, clock, author, collection, title="Mine", data={"byline": {"name": "A"}})
    body = {
        "collectionId": collection,
        "title": "Theirs",
        "data": {"byline": {"name": "A"}},
        "status": "published",
        "author_id": other.id,
    }
    theirs = items.create_item(system_context(db, clock), body)
    assert "data-read-only" not in client.get(f"/admin/content/{mine['id']}/edit").text
    assert "data-read-only" in client.get(f"/admin/content/{theirs['id']}/edit").text


def test_a_post_without_the_csrf_token_is_refused(
    client: TestClient, db: Database, clock: FrozenClock
):
    collection = make_collection(db, clock)
    editor = signed_in(client, db, clock, "editor")
    item = make_item(db, clock, editor, collection, title="Safe", data={"byline": {"name": "A"}})
    form = {"title": "Changed", "action": "save", "data.byline.name": "A"}
    for path in (
        f"/admin/content/{item['id']}/edit",
        f"/admin/content/{item['id']}/autosave",
        f"/admin/content/{item['id']}/autosave/discard",
        "/admin/content/new?collection=articles",
    ):
        answer = client.post(path, data=form, follow_redirects=False)
        assert answer.status_code == 403 and answer.json()["code"] == "csrf_failed", path
    assert client.get(f"/api/content/{item['id']}").json()["data"]["title"] == "Safe"
    assert len(client.get("/api/content?collection=articles").json()["data"]) == 1


def page_reads(client: TestClient, db: Database, url: str, expect: str) -> int:
    """The SELECTs one render of ``url`` makes, the fewest of three: the request log's writes
    after a response may land in the window, and the app's settings caches (plugins, log
    config) refresh now and then; neither belongs to the page."""
    counts = []
    for _ in range(3):
        with counting_statements(db.engine) as seen:
            page = client.get(url)
        assert page.status_code == 200 and expect in page.text
        counts.append(sum(1 for sql in seen.sql if sql.lstrip().upper().startswith("SELECT")))
    return min(counts)


def test_the_editor_runs_as_many_queries_for_20_entries_as_for_2(
    client: TestClient, db: Database, clock: FrozenClock
):
    collection = make_collection(db, clock)
    editor = signed_in(client, db, clock, "editor")
    targets = [make_item(db, clock, editor, collection, title=f"T{i}")["id"] for i in range(2)]

    def data(n: int) -> dict[str, Any]:
        return {
            "byline": {"name": "A"},
            "related": targets[0],
            "links": [{"label": f"L{i}", "url": f"https://{i}.example"} for i in range(n)],
            "keywords": [f"k{i}" for i in range(n)],
            "see_also": [targets[i % 2] for i in range(n)],
            "sections": [{"blockType": "text", "text": f"P{i}"} for i in range(n)],
        }

    counts = []
    for n in (2, 20):
        item = make_item(db, clock, editor, collection, title=f"N{n}", data=data(n))
        url = f"/admin/content/{item['id']}/edit"
        client.get(url)  # warm caches
        counts.append(page_reads(client, db, url, f'value="L{n - 1}"'))
    assert counts[0] == counts[1], counts
    assert counts[0] > 0


def test_problems_without_an_input_become_form_level_messages():
    from sonic_cms.admin.forms.build import build_fields, item_fields
    from sonic_cms.admin.forms.errors import attach_errors

    own = item_fields("T", "", SCHEMA, collection="all", item_id=None)
    views = own + build_fields(SCHEMA, {"links": [{"url": "x"}]})
    problems = [
        {"path": "data.links.0.url", "message": "must be a valid uri"},
        {"path": "title", "message": "is required"},
        {"path": "data.ghost", "message": "is not a field"},
        {"path": "data", "message": "must be an object"},
    ]
    assert attach_errors(views, problems) == [
        "data.ghost: is not a field",
        "data: must be an object",
    ]
    by_name = {v.name: v for v in views}
    assert by_name["title"].error == "is required"
    entry = by_name["data.links"].children[0]
    assert [c.error for c in entry.children if c.name.endswith(".url")] == ["must be a valid uri"]


def test_parsing_reads_types_and_moments_in_utc():
    from starlette.datastructures import FormData

    from sonic_cms.admin.forms.parse import parse_item, utc_moment

    assert utc_moment("2026-12-24T18:30") == "2026-12-24T18:30:00Z"
    assert utc_moment("2026-12-24T19:30:05+01:00") == "2026-12-24T18:30:05Z"
    assert utc_moment("not a moment") == "not a moment"
    form = FormData(
        [
            ("title", "T"),
            ("slug", ""),
            ("data.rating", "3"),
            ("data.summary", "a\r\nb"),
            ("data.kicker", "   "),
            ("data.keywords[]", "a"),
            ("data.keywords.a", ""),
            ("data.keywords[]", "b"),
            ("data.keywords.b", "kept"),
            ("data.sections[]", "z"),
            ("data.sections.z.blockType", "unknown"),
        ]
    )
    parsed = parse_item(SCHEMA, form)
    assert parsed.problems == []
    assert parsed.body == {
        "title": "T",
        "data": {
            "rating": 3,
            "summary": "a\nb",
            "featured": False,
            "pinned": False,
            "keywords": ["kept"],
        },
    }


def test_a_restored_copy_of_an_older_version_is_not_saved_over_a_newer_item(
    client: TestClient, db: Database, clock: FrozenClock
):
    from sonic_cms.workflow import autosaves, edits

    collection = make_collection(db, clock)
    editor = signed_in(client, db, clock, "editor")
    item = make_item(db, clock, editor, collection, title="Base", data={"byline": {"name": "A"}})
    mine = system_as(db, clock, editor)
    clock.advance(1000)
    autosaves.save_autosave(mine, item["id"], {"title": "My old copy", "version": 1})
    clock.advance(1000)
    other = create_random_user(db, clock, "editor")
    edits.update_item(system_as(db, clock, other), item["id"], {"title": "Theirs"})
    clock.advance(1000)
    autosaves.save_autosave(mine, item["id"], {"title": "My old copy, later"})
    url = f"/admin/content/{item['id']}/edit"
    page = client.get(f"{url}?restore=1").text
    assert 'value="My old copy, later"' in page
    assert 'name="version" value="1"' in page and 'name="etag" value=""' in page
    assert "made on version 1 (the item is at version 2 now)" in client.get(url).text
    form = {
        "csrf_token": csrf_of(page),
        "etag": "",
        "version": "1",
        "action": "save",
        "title": "My old copy, later",
        "data.byline.name": "A",
    }
    answer = client.post(url, data=form)
    assert answer.status_code == 409 and "Someone saved a newer version at" in answer.text
    assert client.get(f"/api/content/{item['id']}").json()["data"]["title"] == "Theirs"
