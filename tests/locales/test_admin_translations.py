"""The admin's translations, over the app (TestClient), on both engines: the editor's group
with links, "Add translation" for the enabled locales without a row, shared fields read-only
on a translation and kept by its save, and the content list's locale filter."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sonic_cms.api.app import create_app
from sonic_cms.auth.authentication import actor_for_user
from sonic_cms.clock import FrozenClock
from sonic_cms.content import collections, items
from sonic_cms.content.history import get_item
from sonic_cms.db.engine import Database
from sonic_cms.translations import groups
from tests.admin.test_pages import csrf_of, sign_in
from tests.conftest import make_settings
from tests.utils.auth import create_random_user, system_context

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "body": {"type": "textarea"},
        "sku": {"type": "string", "translatable": False},
    },
}


@pytest.fixture
def settings(db_url: str):
    return make_settings(db_url, auth_cookie_secure=False, locales="en,fr,de")


@pytest.fixture
def client(settings, db: Database, clock: FrozenClock) -> Iterator[TestClient]:
    app = create_app(settings, db=db, clock=clock)
    with TestClient(app, headers={"Origin": "http://testserver"}) as test_client:
        yield test_client


@pytest.fixture
def story(client: TestClient, db: Database, clock: FrozenClock) -> dict[str, Any]:
    editor = create_random_user(db, clock, "editor")
    ctx = system_context(db, clock)
    collections.create_collection(ctx, {"name": "pages", "display_name": "Pages", "schema": SCHEMA})
    as_editor = ctx.acting_as(actor_for_user(ctx, editor.id))
    item = items.create_item(
        as_editor,
        {"collectionId": "pages", "title": "Home", "data": {"body": "Hello", "sku": "S-1"}},
    )
    assert sign_in(client, editor.email).status_code == 303
    return {"ctx": as_editor, "id": item["id"]}


def test_the_editor_lists_the_group_and_adds_a_translation(client: TestClient, story):
    page = client.get(f"/admin/content/{story['id']}/edit")
    assert page.status_code == 200
    html = page.text
    assert "data-translations" in html and "Add translation" in html
    picker = re.search(r'<select[^>]*id="tr-locale".*?</select>', html, re.S)
    assert picker is not None
    assert re.findall(r'<option value="([^"]+)"', picker.group(0)) == ["fr", "de"]
    assert "Shared by every translation of this item" in html, "the note on the source's sku"
    made = client.post(
        f"/admin/content/{story['id']}/translations",
        data={"csrf_token": csrf_of(html), "locale": "fr", "title": "Accueil"},
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    target = made.headers["location"]
    assert target.endswith("/edit?notice=translated")
    translated = client.get(target).text
    assert "Translation created as a draft." in translated
    assert re.search(
        r'<fieldset class="field-shared" disabled data-shared-field="data.sku"', translated
    )
    assert "edit it on the en item" in translated
    assert f'href="/admin/content/{story["id"]}/edit" lang="en"' in translated
    source = client.get(f"/admin/content/{story['id']}/edit").text
    picker = re.search(r'<select[^>]*id="tr-locale".*?</select>', source, re.S)
    assert picker is not None and re.findall(r'<option value="([^"]+)"', picker.group(0)) == ["de"]


def test_a_refused_translation_says_why_and_writes_nothing(client: TestClient, story):
    html = client.get(f"/admin/content/{story['id']}/edit").text
    for locale, notice in (("en", "translation-exists"), ("it", "translation-locale")):
        answer = client.post(
            f"/admin/content/{story['id']}/translations",
            data={"csrf_token": csrf_of(html), "locale": locale, "title": "X"},
            follow_redirects=False,
        )
        assert answer.status_code == 303
        assert answer.headers["location"].endswith(f"notice={notice}")
    no_token = client.post(
        f"/admin/content/{story['id']}/translations", data={"locale": "fr", "title": "X"}
    )
    assert no_token.status_code == 403
    assert [t["locale"] for t in groups.list_translations(story["ctx"], story["id"])["data"]] == [
        "en"
    ]


def test_saving_a_translation_keeps_the_shared_fields(client: TestClient, story):
    fr = groups.create_translation(story["ctx"], story["id"], {"locale": "fr", "title": "Accueil"})
    html = client.get(f"/admin/content/{fr['id']}/edit").text
    form = {
        "csrf_token": csrf_of(html),
        "etag": unescape(re.search(r'name="etag" value="([^"]*)"', html).group(1)),
        "version": "1",
        "title": "Accueil 2",
        "slug": "accueil",
        "data.title": "Accueil 2",
        "data.body": "Bonjour",
        "action": "save",
    }
    saved = client.post(f"/admin/content/{fr['id']}/edit", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text[:2000]
    group = {r["locale"]: r for r in groups.list_translations(story["ctx"], story["id"])["data"]}
    assert group["fr"]["title"] == "Accueil 2"
    assert get_item(story["ctx"], fr["id"])["data"]["sku"] == "S-1"
    assert get_item(story["ctx"], story["id"])["data"]["sku"] == "S-1"


def test_the_content_list_filters_by_locale(client: TestClient, story):
    fr = groups.create_translation(story["ctx"], story["id"], {"locale": "fr", "title": "Accueil"})
    page = client.get("/admin/content?collection=pages").text
    assert 'id="list-locale"' in page
    assert "Home" in page and "Accueil" not in page
    french = client.get("/admin/content?collection=pages&locale=fr").text
    assert f"/admin/content/{fr['id']}/edit" in french and "Accueil" in french
    assert '<span class="badge badge--locale">fr</span>' in french
