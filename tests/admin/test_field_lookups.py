"""The editor's rich widgets over HTTP, on both engines: the lookups behind them
(/admin/lookup/slug, /references, /media) and the field templates rendered with a FieldView.

The browser flows (typing, keyboard, the dialog, uploads) are in test_browser_widgets.py.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sonic_cms.admin.forms.views import FieldView
from sonic_cms.admin.pages.editorial.field_lookups import MEDIA_PAGE, search_terms
from sonic_cms.api.app import create_app
from sonic_cms.auth.authentication import actor_for_user
from sonic_cms.clock import FrozenClock
from sonic_cms.content import collections, items
from sonic_cms.db.engine import Database
from tests.conftest import make_settings
from tests.media.helpers import image_bytes
from tests.utils.auth import TEST_PASSWORD, create_random_user, system_context

TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "body": {"type": "quill"},
        "author": {"type": "reference", "collection": "people"},
    },
}


@pytest.fixture
def client(db_url: str, db: Database, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    """The admin conftest's client, with its media stored under tmp_path (uploads below)."""
    settings = make_settings(db_url, auth_cookie_secure=False, media_local_dir=tmp_path / "media")
    app = create_app(settings, db=db, clock=clock)
    with TestClient(app, headers={"Origin": "http://testserver"}) as test_client:
        yield test_client


def sign_in(client: TestClient, email: str) -> None:
    found = TOKEN.search(client.get("/admin/login").text)
    assert found
    form = {"email": email, "password": TEST_PASSWORD, "csrf_token": found.group(1)}
    assert client.post("/admin/login", data=form, follow_redirects=False).status_code == 303


def acting(db: Database, clock: FrozenClock, user_id: str) -> Any:
    system = system_context(db, clock)
    return system.acting_as(actor_for_user(system, user_id))


def seed(db: Database, clock: FrozenClock, user_id: str) -> dict[str, Any]:
    """Collections news and people; people holds a published and a draft item of ``user_id``."""
    ctx = acting(db, clock, user_id)
    made: dict[str, Any] = {}
    for name, schema in (("news", SCHEMA), ("people", {"type": "object", "properties": {}})):
        body = {"name": name, "display_name": name.title(), "schema": schema}
        made[name] = collections.create_collection(ctx, body)
    for title, status in (("Ada Lovelace", "published"), ("Adam Draftsman", "draft")):
        body = {"collectionId": made["people"]["id"], "title": title, "data": {}, "status": status}
        made[title] = items.create_item(ctx, body)
    story = {"collectionId": made["news"]["id"], "title": "Launch day", "slug": "launch-day"}
    made["story"] = items.create_item(ctx, {**story, "data": {}, "status": "draft"})
    return made


def status_text(answer: Any) -> str:
    """The fragment's text, whitespace folded, entities decoded."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", answer.text)).split())


# --- slug ------------------------------------------------------------------------------------


def test_slug_lookup_available_taken_and_own(client: TestClient, db: Database, clock: FrozenClock):
    admin = create_random_user(db, clock, "admin")
    made = seed(db, clock, admin.id)
    sign_in(client, admin.email)
    free = client.get("/admin/lookup/slug", params={"collection": "news", "slug": "fresh"})
    assert free.status_code == 200
    assert "fresh is available" in status_text(free)
    assert 'data-slug-state="available"' in free.text
    taken = client.get("/admin/lookup/slug", params={"collection": "news", "slug": "launch-day"})
    assert "launch-day is already used by Launch day" in status_text(taken)
    assert f'href="/admin/content/{made["story"]["id"]}/edit"' in taken.text
    own = client.get(
        "/admin/lookup/slug",
        params={"collection": "news", "slug": "launch-day", "exclude": made["story"]["id"]},
    )
    assert "launch-day is available" in status_text(own)
    # another collection's slugs do not count
    other = client.get("/admin/lookup/slug", params={"collection": "people", "slug": "launch-day"})
    assert 'data-slug-state="available"' in other.text


def test_slug_lookup_makes_the_slug_from_a_title_with_the_apis_slugify(
    client: TestClient, db: Database, clock: FrozenClock
):
    admin = create_random_user(db, clock, "admin")
    seed(db, clock, admin.id)
    sign_in(client, admin.email)
    answer = client.get(
        "/admin/lookup/slug", params={"collection": "news", "title": "Crème brûlée: Day 2!"}
    )
    assert 'data-slug-value="crème-brûlée-day-2"' in answer.text
    taken = client.get("/admin/lookup/slug", params={"collection": "news", "title": "Launch Day"})
    assert 'data-slug-value="launch-day"' in taken.text and "already used by" in taken.text
    empty = client.get("/admin/lookup/slug", params={"collection": "news", "title": "?!"})
    assert 'data-slug-state="empty"' in empty.text


def test_slug_lookup_answers_hostile_strings_without_echoing_markup(
    client: TestClient, db: Database, clock: FrozenClock
):
    admin = create_random_user(db, clock, "admin")
    seed(db, clock, admin.id)
    sign_in(client, admin.email)
    hostile = '<script>alert(1)</script>" onerror="x'
    answer = client.get("/admin/lookup/slug", params={"collection": "news", "slug": hostile})
    assert answer.status_code == 200
    assert 'data-slug-state="invalid"' in answer.text
    assert "<script>" not in answer.text and '" onerror="' not in answer.text
    assert "script-alert-1-script-onerror-x" in answer.text  # the shape the API wants
    long = client.get("/admin/lookup/slug", params={"collection": "news", "slug": "x" * 300})
    assert 'data-slug-state="invalid"' in long.text and "x" * 200 + "</code>" in long.text
    for params in (
        {"collection": "news", "slug": "x" * 1001},
        {"collection": "news", "slug": "ok", "exclude": "e" * 300},
    ):
        assert client.get("/admin/lookup/slug", params=params).status_code == 400
    unknown = client.get("/admin/lookup/slug", params={"collection": "nope", "slug": "a"})
    assert unknown.status_code == 404
    nul = client.get("/admin/lookup/slug", params={"collection": "news", "slug": "a\x00b"})
    assert nul.status_code in (200, 400, 422) and "\x00" not in nul.text


def test_slug_lookup_hides_a_draft_holder_the_user_may_not_read(
    client: TestClient, db: Database, clock: FrozenClock
):
    admin = create_random_user(db, clock, "admin")
    seed(db, clock, admin.id)
    author = create_random_user(db, clock, "author")
    sign_in(client, author.email)
    answer = client.get("/admin/lookup/slug", params={"collection": "news", "slug": "launch-day"})
    assert "already used by another item" in status_text(answer)
    assert "Launch day" not in answer.text


def test_slug_lookup_refuses_a_viewer_and_a_signed_out_visitor(
    client: TestClient, db: Database, clock: FrozenClock
):
    admin = create_random_user(db, clock, "admin")
    seed(db, clock, admin.id)
    out = client.get("/admin/lookup/slug", params={"collection": "news", "slug": "a"})
    assert out.history[0].status_code == 303 and out.url.path == "/admin/login"
    viewer = create_random_user(db, clock, "viewer")
    sign_in(client, viewer.email)
    for params in ({"slug": "a"}, {"slug": "Not valid"}, {"title": ""}):
        answer = client.get("/admin/lookup/slug", params={"collection": "news", **params})
        assert answer.status_code == 403, params


# --- references ------------------------------------------------------------------------------


def option_titles(answer: Any) -> list[str]:
    return re.findall(r'<span class="combo__title">([^<]*)</span>', answer.text)


def test_reference_lookup_searches_as_you_type(
    client: TestClient, db: Database, clock: FrozenClock
):
    admin = create_random_user(db, clock, "admin")
    made = seed(db, clock, admin.id)
    sign_in(client, admin.email)
    answer = client.get(
        "/admin/lookup/references", params={"collection": "people", "q": "lov", "listbox": "f-l"}
    )
    assert answer.status_code == 200
    assert option_titles(answer) == ["Ada Lovelace"]
    assert f'data-reference-option="{made["Ada Lovelace"]["id"]}"' in answer.text
    assert 'id="f-l-1"' in answer.text and 'role="option"' in answer.text
    everyone = client.get("/admin/lookup/references", params={"collection": "people", "q": ""})
    assert sorted(option_titles(everyone)) == ["Ada Lovelace", "Adam Draftsman"]
    both = client.get("/admin/lookup/references", params={"collection": "people,news", "q": "l"})
    assert sorted(option_titles(both)) == ["Ada Lovelace", "Launch day"]
    none = client.get("/admin/lookup/references", params={"collection": "people", "q": "zzz"})
    assert option_titles(none) == [] and "No matches for “zzz”" in none.text


def test_reference_lookup_offers_a_viewer_only_what_they_may_read(
    client: TestClient, db: Database, clock: FrozenClock
):
    admin = create_random_user(db, clock, "admin")
    made = seed(db, clock, admin.id)
    viewer = create_random_user(db, clock, "viewer")
    sign_in(client, viewer.email)
    answer = client.get("/admin/lookup/references", params={"collection": "people", "q": "ada"})
    assert option_titles(answer) == ["Ada Lovelace"]  # "Adam Draftsman" is a draft
    draft_id = made["Adam Draftsman"]["id"]
    hidden = client.get(f"/admin/lookup/references/{draft_id}")
    assert "Adam Draftsman" not in hidden.text and "gone or hidden" in hidden.text
    shown = client.get(f"/admin/lookup/references/{made['Ada Lovelace']['id']}")
    assert "Ada Lovelace" in shown.text and "data-reference-clear" in shown.text


def test_reference_lookup_takes_hostile_text(client: TestClient, db: Database, clock: FrozenClock):
    admin = create_random_user(db, clock, "admin")
    seed(db, clock, admin.id)
    sign_in(client, admin.email)
    for q in ('"', "*", "ada OR 1=1; --", "<img src=x onerror=alert(1)>", "'\\%_"):
        answer = client.get("/admin/lookup/references", params={"collection": "people", "q": q})
        assert answer.status_code == 200, (q, answer.text)
        assert "<img" not in answer.text
    bad_id = client.get(
        "/admin/lookup/references", params={"collection": "people", "listbox": "<x>"}
    )
    assert bad_id.status_code == 400
    assert search_terms("  spr  launch ") == "spr launch*"
    assert search_terms("!!") is None


# --- media -----------------------------------------------------------------------------------


def upload(client: TestClient, name: str, data: bytes) -> dict[str, Any]:
    answer = client.post("/api/media/upload", files={"file": (name, data, "image/png")})
    assert answer.status_code == 200, answer.text
    file: dict[str, Any] = answer.json()["file"]
    return file


def test_media_lookup_pages_searches_and_filters(
    client: TestClient, db: Database, clock: FrozenClock
):
    admin = create_random_user(db, clock, "admin")
    sign_in(client, admin.email)
    for number in range(MEDIA_PAGE + 1):
        upload(client, f"photo-{number:02}.png", image_bytes(8 + number, 8))
    client.post("/api/media/upload", files={"file": ("notes.txt", b"plain words\n", "text/plain")})
    first = client.get("/admin/lookup/media", params={"type": "images"})
    assert first.status_code == 200
    assert first.text.count("data-media-pick=") == MEDIA_PAGE
    assert 'data-media-more="2"' in first.text and f"{MEDIA_PAGE + 1} files" in first.text
    second = client.get("/admin/lookup/media", params={"type": "images", "cursor": 2})
    assert second.text.count("data-media-pick=") == 1 and "data-media-more=" not in second.text
    found = client.get("/admin/lookup/media", params={"q": "photo-03"})
    assert found.text.count("data-media-pick=") == 1 and "photo-03.png" in found.text
    everything = client.get("/admin/lookup/media", params={"q": "", "type": ""})
    assert f"{MEDIA_PAGE + 2} files" in everything.text
    nothing = client.get("/admin/lookup/media", params={"q": "<b>none</b>"})
    assert "No files match" in nothing.text and "<b>none</b>" not in nothing.text
    assert client.get("/admin/lookup/media", params={"cursor": 0}).status_code == 400


def test_media_current_shows_a_thumbnail_or_says_it_is_gone(
    client: TestClient, db: Database, clock: FrozenClock
):
    admin = create_random_user(db, clock, "admin")
    sign_in(client, admin.email)
    file = upload(client, "cover.png", image_bytes(40, 30))
    answer = client.get(f"/admin/lookup/media/{file['id']}")
    assert 'class="media-current__thumb"' in answer.text and "40 \u00d7 30 px" in answer.text
    assert client.delete(f"/api/media/{file['id']}").status_code == 200
    gone = client.get(f"/admin/lookup/media/{file['id']}")
    assert "no longer in the library" in gone.text


def test_media_lookup_refuses_a_user_without_media_read(
    client: TestClient, db: Database, clock: FrozenClock
):
    viewer = create_random_user(db, clock, "viewer")
    sign_in(client, viewer.email)
    answer = client.get("/admin/lookup/media")
    if answer.status_code == 200:  # viewers may read media: then they get the grid
        assert "No files here yet" in answer.text
    else:
        assert answer.status_code == 403


# --- the field templates ---------------------------------------------------------------------


def render_field(client: TestClient, f: FieldView) -> str:
    environment = client.app.state.admin.templates  # type: ignore[attr-defined]
    return str(environment.get_template(f"fields/{f.widget}.html").render(f=f))


def field(widget: str, **extra: Any) -> FieldView:
    values: dict[str, Any] = {
        "kind": widget,
        "widget": widget,
        "name": f"data.{widget}",
        "id": f"f-{widget}",
        "label": f"The {widget}",
        "value": None,
        "config": {},
    }
    return FieldView(**(values | extra))


@pytest.mark.parametrize("widget", ["richtext", "slug", "reference", "media"])
def test_field_templates_label_describe_and_submit_one_value(client: TestClient, widget: str):
    f = field(widget, help="Some help", error="Is wrong", value='v"<b>', required=True)
    f.config = {"collection": ["people", "news"]} if widget == "reference" else {}
    out = render_field(client, f)
    assert f'<label class="field__label" id="f-{widget}-label" for="f-{widget}">The {widget}' in out
    assert f'id="f-{widget}"' in out  # the control the label names
    assert f'id="f-{widget}-help">Some help</p>' in out
    assert f'id="f-{widget}-error"><span aria-hidden="true">⚠</span> Is wrong</p>' in out
    assert out.count(f'name="data.{widget}"') == 1  # one value, under f.name
    assert 'value="v&#34;&lt;b&gt;"' in out and "<b>" not in out
    assert "(required)" in out
    assert "style=" not in out and "<script" not in out and " on" + "click" not in out
    described = re.findall(r'(?:aria-describedby|data-describedby)="([^"]*)"', out)
    assert described and all(
        f"f-{widget}-help" in d and f"f-{widget}-error" in d for d in described
    )


def test_field_templates_without_help_or_error_name_no_missing_ids(client: TestClient):
    for widget in ("richtext", "slug", "reference", "media"):
        out = render_field(client, field(widget, config={"collection": "people"}))
        assert "-help" not in out and "-error" not in out
        for ids in re.findall(r'(?:aria-describedby|data-describedby)="([^"]*)"', out):
            assert all(f'id="{one}"' in out for one in ids.split())


def test_widgets_show_their_current_value_through_a_lookup(client: TestClient):
    reference = render_field(client, field("reference", value="abc", config={"collection": "p"}))
    assert 'hx-get="/admin/lookup/references/abc" hx-trigger="load"' in reference
    assert 'data-reference-collection="p"' in reference
    media = render_field(client, field("media", kind="media", value="m 1"))
    assert 'hx-get="/admin/lookup/media/m%201"' in media and 'accept="image/*"' in media
    file = render_field(client, field("media", kind="file"))
    assert "hx-get" not in file and "accept=" not in file and "No file chosen." in file
    slug = render_field(client, field("slug", value="", config={"collection": "news"}))
    assert 'data-slug-auto="true"' in slug and 'data-slug-collection="news"' in slug
    kept = render_field(client, field("slug", value="kept", config={"item_id": "i1"}))
    assert 'data-slug-auto="false"' in kept and 'data-slug-exclude="i1"' in kept


def test_richtext_html_posted_with_script_and_onerror_is_cleaned_by_the_server(
    client: TestClient, db: Database, clock: FrozenClock
):
    """What the hidden input submits goes through the content service, which cleans it."""
    admin = create_random_user(db, clock, "admin")
    seed(db, clock, admin.id)
    sign_in(client, admin.email)
    hostile = (
        '<p>Hi <strong>there</strong><script>alert(1)</script><img src=x onerror="alert(2)"></p>'
    )
    rendered = render_field(client, field("richtext", value=hostile))
    assert "<script>" not in rendered  # shown back escaped in the hidden input
    news = client.get("/api/collections").json()["data"]
    news_id = next(c["id"] for c in news if c["name"] == "news")
    body = {"collectionId": news_id, "title": "Hostile", "data": {"body": hostile}}
    answer = client.post("/api/content", json=body)
    assert answer.status_code == 201, answer.text
    stored = answer.json()["data"]["data"]["body"]
    assert "<strong>there</strong>" in stored
    assert "<script" not in stored and "onerror" not in stored and "alert(1)" not in stored
