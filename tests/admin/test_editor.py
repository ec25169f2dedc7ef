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
    top -= {"data.links", "data.keywords", "data.sections"}  # repeaters: entries only
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
