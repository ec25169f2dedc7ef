"""The collections pages (/admin/collections and the schema editor at /admin/collections/{id})
over the app (TestClient), on both engines.

Every write goes through the page's forms with the CSRF token; what was stored is read back
through the collections service. The browser flow (every field type through the editor, then
an item in the content editor) is in test_browser_collections.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sonic_cms.clock import FrozenClock
from sonic_cms.content import collections, items
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
    return json.loads(
        found.group(1).replace("&#34;", '"').replace("&quot;", '"').replace("&amp;", "&")
    )


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
