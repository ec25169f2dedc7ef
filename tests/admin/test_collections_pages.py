"""The collections pages (/admin/collections and the schema editor at /admin/collections/{id})
over the app (TestClient), on both engines.

Every write goes through the page's forms with the CSRF token; what was stored is read back
through the collections service. The browser flow (every field type through the editor, then
an item in the content editor) is in test_browser_collections.py.
"""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sonic_cms.clock import FrozenClock
from sonic_cms.content import collections, history, items
from sonic_cms.content.collection_sync import sync_collections
from sonic_cms.db.engine import Database
from sonic_cms.errors import NotFound
from tests.admin.test_pages import csrf_of, sign_in
from tests.utils.auth import actor_with_role, create_random_user, system_context

HTMX = {"HX-Request": "true"}
DRAFT = re.compile(r'name="schema" value="([^"]*)"')


def signed_in(client: TestClient, db: Database, clock: FrozenClock, role: str = "admin") -> str:
    user = create_random_user(db, clock, role)
    assert sign_in(client, user.email).status_code == 303
    return user.id


def admin_ctx(db: Database, clock: FrozenClock):
    system = system_context(db, clock)
    return system.acting_as(actor_with_role(db, clock, "admin"))


def make(db: Database, clock: FrozenClock, name: str, schema: dict[str, Any] | None = None):
    body: dict[str, Any] = {"name": name, "display_name": name.title()}
    if schema is not None:
        body["schema"] = schema
    return collections.create_collection(admin_ctx(db, clock), body)


def stored(db: Database, clock: FrozenClock, key: str) -> dict[str, Any]:
    return collections.get_collection(admin_ctx(db, clock), key)


def draft_of(html: str) -> dict[str, Any]:
    found = DRAFT.search(html)
    assert found, html
    value: dict[str, Any] = json.loads(unescape(found.group(1)))
    return value


def step(client: TestClient, cid: str, html: str, op: str, **fields: Any) -> Any:
    """One schema-editor step posted as the editor's form would post it (htmx)."""
    form = {"csrf_token": csrf_of(html), "schema": json.dumps(draft_of(html)), "op": op, **fields}
    answer = client.post(f"/admin/collections/{cid}/schema/draft", data=form, headers=HTMX)
    assert answer.status_code == 200, answer.text
    return answer


def test_the_list_shows_every_collection_with_its_item_count(
    client: TestClient, db: Database, clock: FrozenClock
):
    signed_in(client, db, clock)
    news = make(db, clock, "news", {"type": "object", "properties": {"body": {"type": "textarea"}}})
    make(db, clock, "empty")
    ctx = admin_ctx(db, clock)
    for n in range(3):
        items.create_item(ctx, {"collectionId": news["id"], "title": f"Item {n}", "data": {}})
    page = client.get("/admin/collections")
    assert page.status_code == 200
    rows = dict(re.findall(r'data-collection="([a-z]+)".*?data-items>(\d+)<', page.text, re.S))
    assert rows == {"empty": "0", "news": "3"}
    assert 'href="/admin/collections"' in page.text and 'aria-current="page"' in page.text


def test_the_schema_editor_adds_edits_moves_and_removes_fields(
    client: TestClient, db: Database, clock: FrozenClock
):
    signed_in(client, db, clock)
    cid = make(db, clock, "notes")["id"]
    page = client.get(f"/admin/collections/{cid}")
    assert page.status_code == 200
    html = step(client, cid, page.text, "add []").text
    assert 'id="f-name"' in html and "autofocus" in html
    form = {"editing_mode": "field", "editing_path": "[]", "editing_new": "1"}
    html = step(
        client,
        cid,
        html,
        "apply",
        **form,
        f_name="headline",
        f_type="string",
        f_title="Headline",
        f_required="on",
        f_maxLength="80",
    ).text
    html = step(client, cid, html, "add []").text
    html = step(
        client,
        cid,
        html,
        "apply",
        **form,
        f_name="level",
        f_type="select",
        f_options="low = Low\nhigh = High",
        f_default="low",
    ).text
    assert draft_of(html)["properties"] == {
        "headline": {"type": "string", "title": "Headline", "required": True, "maxLength": 80},
        "level": {
            "type": "select",
            "default": "low",
            "enum": ["low", "high"],
            "enumLabels": ["Low", "High"],
        },
    }
    html = step(client, cid, html, 'up ["properties","level"]').text
    assert list(draft_of(html)["properties"]) == ["level", "headline"]
    html = step(client, cid, html, 'edit ["properties","headline"]').text
    assert 'value="Headline"' in html
    edit = {
        "editing_mode": "field",
        "editing_path": '["properties","headline"]',
        "editing_new": "0",
    }
    html = step(client, cid, html, "apply", **edit, f_name="title", f_type="string").text
    assert list(draft_of(html)["properties"]) == ["level", "title"]
    assert draft_of(html)["properties"]["title"] == {"type": "string"}
    html = step(client, cid, html, 'remove ["properties","level"]').text
    assert list(draft_of(html)["properties"]) == ["title"]
    assert stored(db, clock, cid)["schema"]["properties"] == {}  # nothing saved yet
    form = {"csrf_token": csrf_of(html), "schema": json.dumps(draft_of(html))}
    saved = client.post(f"/admin/collections/{cid}/schema", data=form, follow_redirects=False)
    assert saved.status_code == 303
    assert stored(db, clock, cid)["schema"]["properties"] == {"title": {"type": "string"}}


def post_form(client: TestClient, path: str, html: str, **fields: Any) -> Any:
    data = {"csrf_token": csrf_of(html), **fields}
    return client.post(path, data=data, follow_redirects=False)


def test_create_opens_the_new_collection(client: TestClient, db: Database, clock: FrozenClock):
    signed_in(client, db, clock)
    page = client.get("/admin/collections")
    made = post_form(
        client,
        "/admin/collections",
        page.text,
        name="recipes",
        display_name="Recipes <b>&</b>",
        description="Things to cook",
    )
    assert made.status_code == 303
    row = stored(db, clock, "recipes")
    assert made.headers["location"] == f"/admin/collections/{row['id']}?done=created"
    assert (row["display_name"], row["description"]) == ("Recipes <b>&</b>", "Things to cook")
    assert row["schema"] == {"type": "object", "properties": {}}
    opened = client.get(made.headers["location"])
    assert "Recipes &lt;b&gt;&amp;&lt;/b&gt;" in opened.text and "<b>&</b>" not in opened.text
    assert "The collection was created" in opened.text


@pytest.mark.parametrize(
    ("name", "display", "field"),
    [
        ("Bad Name", "Fine", "name"),
        ("x" * 65, "Fine", "name"),
        ("ok'; DROP TABLE collections;--", "Fine", "name"),
        ("fine", "", "display_name"),
        ("fine", "d" * 201, "display_name"),
        ("users", "Users", "name"),  # a reserved table name
    ],
)
def test_create_refusals_are_shown_beside_the_input_and_write_nothing(
    client: TestClient, db: Database, clock: FrozenClock, name: str, display: str, field: str
):
    signed_in(client, db, clock)
    page = client.get("/admin/collections")
    answer = post_form(client, "/admin/collections", page.text, name=name, display_name=display)
    assert answer.status_code == 422
    assert 'aria-invalid="true"' in answer.text
    error_id = {"name": "c-name-error", "display_name": "c-display-error"}[field]
    assert f'id="{error_id}"' in answer.text
    names = {
        c["name"] for c in collections.list_collections(admin_ctx(db, clock), include_inactive=True)
    }
    assert names == set()


def test_a_taken_name_is_a_409_with_the_services_message(
    client: TestClient, db: Database, clock: FrozenClock
):
    signed_in(client, db, clock)
    make(db, clock, "news")
    page = client.get("/admin/collections")
    answer = post_form(client, "/admin/collections", page.text, name="news", display_name="N")
    assert answer.status_code == 409
    assert "Collection &#39;news&#39; already exists" in answer.text


def test_details_are_saved_and_refusals_shown(client: TestClient, db: Database, clock: FrozenClock):
    signed_in(client, db, clock)
    cid = make(db, clock, "news")["id"]
    page = client.get(f"/admin/collections/{cid}")
    saved = post_form(
        client, f"/admin/collections/{cid}", page.text, display_name="Newsroom", description="东京"
    )
    assert saved.status_code == 303
    row = stored(db, clock, cid)
    assert (row["display_name"], row["description"]) == ("Newsroom", "东京")
    refused = post_form(client, f"/admin/collections/{cid}", page.text, display_name="  ")
    assert refused.status_code == 422
    assert 'id="d-display-error"' in refused.text
    assert stored(db, clock, cid)["display_name"] == "Newsroom"


def test_a_collection_is_deactivated_and_reactivated_from_its_page(
    client: TestClient, db: Database, clock: FrozenClock
):
    signed_in(client, db, clock)
    cid = make(db, clock, "news")["id"]
    page = client.get(f"/admin/collections/{cid}")
    assert '<option value="1" selected>Active</option>' in page.text
    off = post_form(client, f"/admin/collections/{cid}", page.text, display_name="N", is_active="0")
    assert off.status_code == 303
    assert stored(db, clock, cid)["is_active"] is False
    assert client.get("/api/collections/news/content").status_code == 404
    page = client.get(f"/admin/collections/{cid}")
    assert '<option value="0" selected>Inactive</option>' in page.text
    # A form without the field (an older page, a script) keeps the status as it is.
    kept = post_form(client, f"/admin/collections/{cid}", page.text, display_name="N2")
    assert kept.status_code == 303
    assert stored(db, clock, cid)["is_active"] is False
    on = post_form(client, f"/admin/collections/{cid}", page.text, display_name="N", is_active="1")
    assert on.status_code == 303
    assert stored(db, clock, cid)["is_active"] is True
    assert client.get("/api/collections/news/content").status_code == 200


def test_delete_is_refused_while_the_collection_has_items(
    client: TestClient, db: Database, clock: FrozenClock
):
    signed_in(client, db, clock)
    cid = make(db, clock, "news")["id"]
    item_id = items.create_item(
        admin_ctx(db, clock), {"collectionId": cid, "title": "Kept", "data": {}}
    )["id"]
    page = client.get(f"/admin/collections/{cid}")
    assert 'data-dialog-open="collection-delete-dialog"' in page.text
    assert "It still has 1 item, so it will not be deleted." in page.text
    refused = post_form(client, f"/admin/collections/{cid}/delete", page.text)
    assert refused.status_code == 400
    assert "has 1 content items; delete them first" in refused.text
    assert stored(db, clock, cid)["id"] == cid
    assert history.get_item(admin_ctx(db, clock), item_id)["title"] == "Kept"


def test_an_empty_collection_is_deleted(client: TestClient, db: Database, clock: FrozenClock):
    signed_in(client, db, clock)
    cid = make(db, clock, "scratch")["id"]
    page = client.get(f"/admin/collections/{cid}")
    done = post_form(client, f"/admin/collections/{cid}/delete", page.text)
    assert done.status_code == 303 and done.headers["location"] == "/admin/collections?done=deleted"
    with pytest.raises(NotFound):
        stored(db, clock, cid)
    assert "The collection was deleted." in client.get(done.headers["location"]).text


def test_a_managed_collection_is_read_only_with_its_file(
    client: TestClient, db: Database, clock: FrozenClock, tmp_path: Path
):
    folder = tmp_path / "collections"
    folder.mkdir()
    (folder / "faq.yaml").write_text(
        "name: faq\ndisplayName: FAQ\nschema:\n  type: object\n  properties:\n"
        "    question: {type: string, required: true}\n",
        encoding="utf-8",
    )
    settings = client.app.state.ctx.settings  # type: ignore[attr-defined]
    object.__setattr__(settings, "collections_dir", folder)
    sync_collections(admin_ctx(db, clock), folder)
    signed_in(client, db, clock)
    listing = client.get("/admin/collections")
    assert "data-managed" in listing.text and str(folder / "faq.yaml") in listing.text
    cid = stored(db, clock, "faq")["id"]
    page = client.get(f"/admin/collections/{cid}")
    assert page.status_code == 200
    assert str(folder / "faq.yaml") in page.text and "sonic collections sync" in page.text
    assert "/schema/draft" not in page.text and 'name="display_name"' not in page.text
    assert 'data-field="question"' in page.text and 'value="edit ' not in page.text
    # crafted posts meet the service's 409
    refused = post_form(client, f"/admin/collections/{cid}", page.text, display_name="Changed")
    assert refused.status_code == 409 and "managed by config" in refused.text
    schema = {"type": "object", "properties": {}}
    save = post_form(
        client,
        f"/admin/collections/{cid}/schema",
        page.text,
        schema=json.dumps(schema),
        confirm="1",
    )
    assert save.status_code == 409
    assert stored(db, clock, cid)["schema"]["properties"] == {
        "question": {"type": "string", "required": True}
    }


def test_an_editor_gets_403_and_no_menu_entry(client: TestClient, db: Database, clock: FrozenClock):
    cid = make(db, clock, "news")["id"]
    signed_in(client, db, clock, "editor")
    dashboard = client.get("/admin")
    assert 'href="/admin/collections"' not in dashboard.text
    assert client.get("/admin/collections").status_code == 403
    assert client.get(f"/admin/collections/{cid}").status_code == 403
    token = csrf_of(dashboard.text)
    for path in (
        "/admin/collections",
        f"/admin/collections/{cid}",
        f"/admin/collections/{cid}/delete",
        f"/admin/collections/{cid}/schema",
        f"/admin/collections/{cid}/schema/draft",
    ):
        form = {
            "csrf_token": token,
            "name": "x",
            "display_name": "X",
            "schema": "{}",
            "op": "check",
        }
        assert client.post(path, data=form).status_code == 403, path
    assert stored(db, clock, cid)["display_name"] == "News"


def test_a_post_without_the_csrf_token_is_refused(
    client: TestClient, db: Database, clock: FrozenClock
):
    signed_in(client, db, clock)
    answer = client.post("/admin/collections", data={"name": "x", "display_name": "X"})
    assert answer.status_code == 403
    assert collections.list_collections(admin_ctx(db, clock), include_inactive=True) == []


def test_saving_checks_the_items_and_asks_before_breaking_them(
    client: TestClient, db: Database, clock: FrozenClock
):
    signed_in(client, db, clock)
    schema = {"type": "object", "properties": {"body": {"type": "textarea"}}}
    cid = make(db, clock, "notes", schema)["id"]
    ctx = admin_ctx(db, clock)
    long_id = items.create_item(
        ctx, {"collectionId": cid, "title": "Long one", "data": {"body": "x" * 30}}
    )["id"]
    items.create_item(ctx, {"collectionId": cid, "title": "Short", "data": {"body": "x"}})
    page = client.get(f"/admin/collections/{cid}")
    tighter = {"type": "object", "properties": {"body": {"type": "textarea", "maxLength": 10}}}
    checked = step(
        client,
        cid,
        page.text.replace(json.dumps(schema).replace('"', "&#34;"), ""),
        "check",
        schema=json.dumps(tighter),
    )
    assert "1 of 2 items would not fit this schema" in checked.text
    assert f'href="/admin/content/{long_id}/edit"' in checked.text
    assert "must be at most 10 characters" in checked.text
    assert "Save anyway" not in checked.text  # a check alone asks nothing
    form = {"csrf_token": csrf_of(page.text), "schema": json.dumps(tighter)}
    first = client.post(f"/admin/collections/{cid}/schema", data=form, headers=HTMX)
    assert first.status_code == 200
    assert "1 of 2 items would not fit this schema" in first.text and "Save anyway" in first.text
    assert stored(db, clock, cid)["schema"] == schema  # not saved yet
    second = client.post(
        f"/admin/collections/{cid}/schema", data=form | {"confirm": "1"}, headers=HTMX
    )
    assert second.status_code == 204
    assert second.headers["hx-redirect"] == f"/admin/collections/{cid}?done=schema"
    assert stored(db, clock, cid)["schema"] == tighter


def test_an_invalid_draft_lists_its_problems_and_is_not_saved(
    client: TestClient, db: Database, clock: FrozenClock
):
    signed_in(client, db, clock)
    cid = make(db, clock, "notes")["id"]
    page = client.get(f"/admin/collections/{cid}")
    html = step(client, cid, page.text, "add []").text
    form = {"editing_mode": "field", "editing_path": "[]", "editing_new": "1"}
    html = step(
        client, cid, html, "apply", **form, f_name="code", f_type="string", f_pattern="(["
    ).text
    # the field is in the draft, and its form stays open with the rule's message by the input
    assert draft_of(html)["properties"]["code"] == {"type": "string", "pattern": "(["}
    assert 'id="f-pattern-error"' in html and "invalid regex" in html
    assert "This schema cannot be saved yet" in html
    bad = {
        "type": "object",
        "properties": {"level": {"type": "select"}, "1bad": {"type": "string"}},
    }
    answer = post_form(client, f"/admin/collections/{cid}/schema", html, schema=json.dumps(bad))
    assert answer.status_code == 422
    assert "This schema cannot be saved yet" in answer.text
    assert "a select field needs an enum list" in answer.text
    assert "field names are letters, digits and _" in answer.text
    assert stored(db, clock, cid)["schema"]["properties"] == {}


@pytest.mark.parametrize(
    ("schema", "op"),
    [
        ("{not json", "add []"),
        ('["a list"]', "add []"),
        ("{}", 'remove ["properties","missing"]'),
        ("{}", "up not-a-path"),
        ("{}", 'edit ["properties",1]'),
        ('{"type":"object","properties":{"a":{"type":"string"}}}', 'remove ["properties","a","x"]'),
    ],
)
def test_crafted_draft_steps_are_refused_without_writing(
    client: TestClient, db: Database, clock: FrozenClock, schema: str, op: str
):
    signed_in(client, db, clock)
    cid = make(db, clock, "notes")["id"]
    page = client.get(f"/admin/collections/{cid}")
    form = {"csrf_token": csrf_of(page.text), "schema": schema, "op": op}
    answer = client.post(f"/admin/collections/{cid}/schema/draft", data=form)
    assert answer.status_code == 422
    assert "That change could not be made" in answer.text
    assert stored(db, clock, cid)["schema"] == {"type": "object", "properties": {}}
    if schema.startswith('{"'):  # a readable draft comes back as posted
        assert draft_of(answer.text) == json.loads(schema)


def test_text_in_a_draft_is_shown_escaped(client: TestClient, db: Database, clock: FrozenClock):
    signed_in(client, db, clock)
    cid = make(db, clock, "notes")["id"]
    page = client.get(f"/admin/collections/{cid}")
    evil = "<script>alert(1)</script>\"'"
    schema = {
        "type": "object",
        "properties": {"x": {"type": "select", "title": evil, "enum": [evil]}},
    }
    form = {
        "csrf_token": csrf_of(page.text),
        "schema": json.dumps(schema),
        "op": 'edit ["properties","x"]',
    }
    answer = client.post(f"/admin/collections/{cid}/schema/draft", data=form, headers=HTMX)
    assert answer.status_code == 200
    assert "<script>alert(1)" not in answer.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text
    assert draft_of(answer.text) == schema  # the hidden input round-trips it intact


def test_the_saved_field_order_holds_on_both_engines(
    client: TestClient, db: Database, clock: FrozenClock
):
    signed_in(client, db, clock)
    cid = make(db, clock, "notes")["id"]
    page = client.get(f"/admin/collections/{cid}")
    names = ["zeta_long_name", "a", "middle", "bb"]
    schema = {"type": "object", "properties": {n: {"type": "string"} for n in names}}
    saved = post_form(
        client, f"/admin/collections/{cid}/schema", page.text, schema=json.dumps(schema)
    )
    assert saved.status_code == 303
    assert list(stored(db, clock, cid)["schema"]["properties"]) == names
    again = client.get(f"/admin/collections/{cid}")
    assert list(draft_of(again.text)["properties"]) == names
    assert "fieldOrder" not in draft_of(again.text)
    api = client.get(f"/admin/api/collections/{cid}").json()["data"]["schema"]
    assert list(api["properties"]) == names and api["fieldOrder"] == names


def test_the_list_runs_the_same_queries_for_few_and_many_collections(
    client: TestClient, db: Database, clock: FrozenClock
):
    from tests.utils.query_count import counting_statements

    signed_in(client, db, clock)
    for n in range(2):
        make(db, clock, f"few{n}")
    client.get("/admin/collections")
    with counting_statements(db.engine) as few:
        assert client.get("/admin/collections").status_code == 200
    for n in range(10):
        make(db, clock, f"many{n}")
    client.get("/admin/collections")  # the permission cache refills after the new users
    with counting_statements(db.engine) as many:
        assert client.get("/admin/collections").status_code == 200
    reads = [
        [q for q in seen.sql if "FROM collections" in q or "FROM content" in q]
        for seen in (few, many)
    ]
    assert len(reads[0]) == len(reads[1]), "\n---\n".join(reads[1])
    assert len(reads[1]) <= 6
