"""The media library page (/admin/media) over the app (TestClient), on both engines.

Files are uploaded through the API's ``POST /api/media/upload`` with the signed-in cookie
session, as media.js does; the page's writes (alt/caption, delete, bulk delete, import) go
through its forms with the CSRF token. The browser flow (drag and drop, progress, the drawer)
is in test_browser_media.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert

from sonic_cms.admin.pages.editorial.media import PAGE_SIZE
from sonic_cms.api.app import create_app
from sonic_cms.auth.authentication import actor_for_user
from sonic_cms.clock import FrozenClock
from sonic_cms.content import collections, items
from sonic_cms.content.includes import media_usage
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Media
from sonic_cms.errors import Forbidden
from sonic_cms.ids import new_id
from sonic_cms.storage import build_storage
from tests.admin.test_pages import csrf_of, sign_in
from tests.conftest import make_settings
from tests.media.helpers import image_bytes
from tests.media.test_import import origin  # noqa: F401 - the real HTTP server fixture
from tests.utils.auth import create_random_user, system_context
from tests.utils.query_count import counting_statements

HTMX = {"HX-Request": "true"}
#: The multiplication sign the page writes between width and height.
TIMES = "\u00d7"
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@contextmanager
def app_client(
    db_url: str, db: Database, clock: FrozenClock, tmp_path: Path, **overrides: object
) -> Iterator[TestClient]:
    """The admin's client, with media stored under the test's own folder."""
    settings = make_settings(
        db_url,
        auth_cookie_secure=False,
        media_local_dir=tmp_path / "media",
        plugin_status_ttl_ms=3_600_000,  # no plugin re-read inside a counted request
        **overrides,
    )
    app = create_app(settings, db=db, clock=clock, storage=build_storage(settings, clock))
    with TestClient(app, headers={"Origin": "http://testserver"}) as test_client:
        yield test_client


@pytest.fixture
def client(db_url: str, db: Database, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    with app_client(db_url, db, clock, tmp_path) as test_client:
        yield test_client


def signed_in(client: TestClient, db: Database, clock: FrozenClock, role: str) -> str:
    """Sign a new user with ``role`` in; their id."""
    user = create_random_user(db, clock, role)
    assert sign_in(client, user.email).status_code == 303
    return user.id


def upload(client: TestClient, name: str, data: bytes, **fields: str) -> dict[str, Any]:
    """Upload through the API with the cookie session, as media.js does."""
    answer = client.post("/api/media/upload", files={"file": (name, data)}, data=fields)
    assert answer.status_code == 200, answer.text
    item: dict[str, Any] = answer.json()["file"]
    return item


def token(client: TestClient) -> str:
    return csrf_of(client.get("/admin/media").text)


def insert_rows(db: Database, clock: FrozenClock, count: int, uploader: str) -> None:
    """``count`` media rows straight into the table (no objects): for paging and query counts."""
    now = clock.now_ms()
    rows = [
        {
            "id": new_id(), "filename": f"row-{i}.png", "original_name": f"row-{i}.png",
            "mime_type": "image/png", "size": 100 + i, "width": 10, "height": 10,
            "folder": "uploads", "r2_key": f"uploads/row-{i}.png",
            "public_url": f"/files/uploads/row-{i}.png", "thumbnail_url": None, "alt": None,
            "caption": None, "tags": [], "uploaded_by": uploader,
            "uploaded_at": now - i, "updated_at": now - i,
        }
        for i in range(count)
    ]  # fmt: skip
    with db.write() as conn:
        conn.execute(insert(Media), rows)


def tile_names(html: str) -> list[str]:
    return re.findall(r'<span class="media-tile__name">([^<]*)</span>', html)


def test_grid_and_list_views_keep_the_view_in_the_url(
    client: TestClient, db: Database, clock: FrozenClock
):
    signed_in(client, db, clock, "editor")
    upload(client, "sunrise.png", image_bytes(64, 48))
    upload(client, "report.pdf", PDF)
    grid = client.get("/admin/media")
    assert grid.status_code == 200
    assert 'class="media-grid"' in grid.text and "media-table" not in grid.text
    assert sorted(tile_names(grid.text)) == ["report.pdf", "sunrise.png"]
    assert 'href="/admin/media?view=list"' in grid.text
    listed = client.get("/admin/media?view=list")
    assert 'class="table media-table"' in listed.text and 'class="media-grid"' not in listed.text
    assert "sunrise.png" in listed.text and f"64 {TIMES} 48" in listed.text
    assert "application/pdf" in listed.text
    # the view stays when a file is opened or a filter applied
    assert 'name="view" value="list"' in listed.text
    assert "/admin/media?view=list&amp;selected=" in listed.text


def test_search_type_and_folder_filters(client: TestClient, db: Database, clock: FrozenClock):
    signed_in(client, db, clock, "editor")
    upload(client, "sunrise.png", image_bytes(), alt="A red sky")
    upload(client, "harbour.png", image_bytes(), folder="press")
    upload(client, "report.pdf", PDF, folder="press")
    assert tile_names(client.get("/admin/media?q=sunrise").text) == ["sunrise.png"]
    assert tile_names(client.get("/admin/media?q=red+sky").text) == ["sunrise.png"]
    assert tile_names(client.get("/admin/media?type=documents").text) == ["report.pdf"]
    images = client.get("/admin/media?type=images").text
    assert sorted(tile_names(images)) == ["harbour.png", "sunrise.png"]
    press = client.get("/admin/media?folder=press").text
    assert sorted(tile_names(press)) == ["harbour.png", "report.pdf"]
    assert 'data-folder="press"' in press  # uploads go into the open folder
    assert '<span>press</span><span class="nav__count" aria-label="2 files">2</span>' in press
    both = client.get("/admin/media?folder=press&type=images").text
    assert tile_names(both) == ["harbour.png"]
    none = client.get("/admin/media?q=nothing-like-this").text
    assert tile_names(none) == [] and "No files match these filters." in none


def test_empty_library_says_drop_files_here(client: TestClient, db: Database, clock: FrozenClock):
    signed_in(client, db, clock, "author")
    html = client.get("/admin/media").text
    text = re.sub(r"<[^>]+>", "", html)
    assert "No files yet. Drop files here or choose files." in " ".join(text.split())
    assert 'type="file" id="media-files" multiple' in html


def test_details_show_dimensions_size_type_and_variants(
    client: TestClient, db: Database, clock: FrozenClock
):
    signed_in(client, db, clock, "editor")
    item = upload(client, "sunrise.png", image_bytes(800, 600))
    page = client.get(f"/admin/media?selected={item['id']}").text
    assert '<h2 class="media-details__title" id="h-details">sunrise.png</h2>' in page
    assert f"800 {TIMES} 600 px" in page and "image/png" in page
    assert item["thumbnailUrl"] in page and f"{item['publicUrl']}?w=640" in page
    assert f"{item['publicUrl']}?w=1280" not in page  # wider than the image: not offered
    partial = client.get(f"/admin/media/{item['id']}/details", headers=HTMX)
    assert partial.status_code == 200 and "<html" not in partial.text
    assert f"800 {TIMES} 600 px" in partial.text and 'name="alt"' in partial.text


def test_alt_text_and_caption_are_saved_through_the_media_service(
    client: TestClient, db: Database, clock: FrozenClock
):
    signed_in(client, db, clock, "editor")
    item = upload(client, "sunrise.png", image_bytes())
    form = {"csrf_token": token(client), "alt": "Sun over the bay", "caption": "Dawn, May"}
    answer = client.post(f"/admin/media/{item['id']}", data=form, headers=HTMX)
    assert answer.status_code == 200
    assert 'value="Sun over the bay"' in answer.text and "Dawn, May</textarea>" in answer.text
    assert (
        "Alt text and caption saved." in answer.text
        and 'hx-swap-oob="beforeend:#toasts"' in answer.text
    )
    stored = client.get(f"/api/media/{item['id']}").json()["data"]
    assert stored["alt"] == "Sun over the bay" and stored["caption"] == "Dawn, May"
    # a plain form post (no htmx) lands back on the library with the file open
    form["alt"] = "Sun"
    plain = client.post(f"/admin/media/{item['id']}?view=list", data=form, follow_redirects=False)
    assert plain.status_code == 303
    assert plain.headers["location"] == f"/admin/media?view=list&selected={item['id']}"
    # the service's validation shows inline
    form["alt"] = "x" * 5000
    bad = client.post(f"/admin/media/{item['id']}", data=form, headers=HTMX)
    assert bad.status_code == 200 and 'class="form-error" role="alert"' in bad.text
    assert client.get(f"/api/media/{item['id']}").json()["data"]["alt"] == "Sun"


def seed_usage(db: Database, clock: FrozenClock, media_id: str) -> dict[str, str]:
    """Items using ``media_id``: a published featured image, an editor's draft with the id deep
    in its data, an author's own draft, and one item that does not use it."""
    system = system_context(db, clock)
    editor = create_random_user(db, clock, "editor")
    as_editor = system.acting_as(actor_for_user(system, editor.id))
    schema = {
        "type": "object",
        "properties": {"hero": {"type": "media"}, "gallery": {"type": "array"}},
    }
    posts = collections.create_collection(
        system, {"name": "posts", "display_name": "Posts", "schema": schema}
    )

    def make(ctx: Context, title: str, data: dict[str, Any], status: str) -> str:
        body = {"collectionId": posts["id"], "title": title, "data": data, "status": status}
        made: dict[str, Any] = items.create_item(ctx, body)
        return str(made["id"])

    author = create_random_user(db, clock, "author")
    as_author = system.acting_as(actor_for_user(system, author.id))
    return {
        "featured": make(as_editor, "Launch", {"hero": media_id}, "published"),
        "nested": make(as_editor, "Gallery draft", {"gallery": [{"m": media_id}]}, "draft"),
        "own": make(as_author, "My draft", {"gallery": [media_id]}, "draft"),
        "other": make(as_editor, "Unrelated", {"gallery": [f"x{media_id}x"]}, "published"),
        "author": author.id,
    }


def test_usage_lists_items_that_use_the_file_as_the_reader_may_see_them(
    client: TestClient, db: Database, clock: FrozenClock
):
    signed_in(client, db, clock, "editor")
    item = upload(client, "hero.png", image_bytes())
    seeded = seed_usage(db, clock, item["id"])
    system = system_context(db, clock)
    as_author = system.acting_as(actor_for_user(system, seeded["author"]))
    editor_view = {u["title"]: u for u in media_usage(_editor_ctx(db, clock), item["id"])}
    assert set(editor_view) == {"Launch", "Gallery draft", "My draft"}
    assert editor_view["Launch"]["featured"] is True
    assert editor_view["Gallery draft"]["featured"] is False
    assert editor_view["Launch"]["collectionName"] == "Posts"
    author_view = {u["title"] for u in media_usage(as_author, item["id"])}
    assert author_view == {"Launch", "My draft"}  # not someone else's draft
    viewer = system.acting_as(actor_for_user(system, create_random_user(db, clock, "viewer").id))
    assert {u["title"] for u in media_usage(viewer, item["id"])} == {"Launch"}
    page = client.get(f"/admin/media?selected={item['id']}").text
    assert f'href="/admin/content/{seeded["featured"]}/edit">Launch</a>' in page
    assert "Posts · featured image" in page
    assert f"/admin/content/{seeded['other']}/edit" not in page
    api = client.get(f"/api/media/{item['id']}/usage")
    assert api.status_code == 200
    assert {u["id"] for u in api.json()["data"]} == {
        seeded["featured"], seeded["nested"], seeded["own"],
    }  # fmt: skip
    assert api.json()["meta"]["count"] == 3
    assert client.get("/api/media/missing/usage").status_code == 404


def _editor_ctx(db: Database, clock: FrozenClock) -> Context:
    system = system_context(db, clock)
    return system.acting_as(actor_for_user(system, create_random_user(db, clock, "editor").id))


def test_unused_file_says_so(client: TestClient, db: Database, clock: FrozenClock):
    signed_in(client, db, clock, "editor")
    item = upload(client, "lonely.png", image_bytes())
    page = client.get(f"/admin/media?selected={item['id']}").text
    assert "Not used in any content you can see." in page


def test_delete_asks_naming_the_file_then_soft_deletes(
    client: TestClient, db: Database, clock: FrozenClock
):
    signed_in(client, db, clock, "editor")
    item = upload(client, "sunrise.png", image_bytes())
    page = client.get(f"/admin/media?selected={item['id']}").text
    assert '<dialog class="dialog" id="media-delete-dialog"' in page
    assert "Delete “sunrise.png”?" in page
    answer = client.post(
        f"/admin/media/{item['id']}/delete", data={"csrf_token": token(client)},
        follow_redirects=False,
    )  # fmt: skip
    assert answer.status_code == 303 and answer.headers["location"] == "/admin/media?done=deleted"
    assert client.get(f"/api/media/{item['id']}").status_code == 404
    trash = client.get("/api/media?deleted=true").json()["data"]
    assert [t["id"] for t in trash] == [item["id"]]  # soft: restorable from the trash
    after = client.get(answer.headers["location"]).text
    assert "The file was moved to the trash." in after and tile_names(after) == []


def test_bulk_delete(client: TestClient, db: Database, clock: FrozenClock):
    signed_in(client, db, clock, "editor")
    first = upload(client, "one.png", image_bytes())
    second = upload(client, "two.png", image_bytes())
    keep = upload(client, "three.png", image_bytes())
    page = client.get("/admin/media").text
    assert 'data-name="one.png"' in page and "data-media-bulk-delete" in page
    form = {"csrf_token": csrf_of(page), "ids": [first["id"], second["id"]]}
    answer = client.post("/admin/media/bulk-delete", data=form, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/admin/media?done=bulk&n=2"
    after = client.get(answer.headers["location"]).text
    assert "2 files moved to the trash." in after
    assert tile_names(after) == ["three.png"]
    live = [m["id"] for m in client.get("/api/media").json()["data"]]
    assert live == [keep["id"]]
    empty = client.post("/admin/media/bulk-delete", data={"csrf_token": csrf_of(page)})
    assert empty.status_code == 400 and "No file IDs provided" in empty.text


def test_url_import_of_a_loopback_address_is_refused_with_the_message(
    client: TestClient, db: Database, clock: FrozenClock
):
    signed_in(client, db, clock, "editor")
    form = {"csrf_token": token(client), "url": "http://127.0.0.1:9/secret.png"}
    answer = client.post("/admin/media/import", data=form, headers=HTMX)
    assert answer.status_code == 200
    assert 'id="import-error" role="alert">The URL points to an address imports may not reach' in (
        answer.text
    )
    assert 'value="http://127.0.0.1:9/secret.png"' in answer.text
    plain = client.post("/admin/media/import", data=form)
    assert plain.status_code == 400
    assert "The URL points to an address imports may not reach" in plain.text
    assert client.get("/api/media").json()["data"] == []


def test_url_import_stores_the_file_and_opens_it(
    db_url: str,
    db: Database,
    clock: FrozenClock,
    tmp_path: Path,
    origin: str,  # noqa: F811
):
    with app_client(db_url, db, clock, tmp_path, media_import_allow_loopback=True) as client:
        signed_in(client, db, clock, "author")
        form = {"csrf_token": token(client), "url": f"{origin}/img.png", "folder": "press"}
        answer = client.post("/admin/media/import?folder=press", data=form, headers=HTMX)
        assert answer.status_code == 200 and answer.text == ""
        imported = client.get("/api/media").json()["data"]
        assert [(m["folder"], m["mimeType"]) for m in imported] == [("press", "image/png")]
        target = answer.headers["hx-redirect"]
        assert target == f"/admin/media?folder=press&selected={imported[0]['id']}&done=imported"
        page = client.get(target).text
        assert "The file was imported." in page and 'id="h-details"' in page


def test_a_viewer_sees_no_upload_or_edit_and_a_crafted_post_is_refused(
    client: TestClient, db: Database, clock: FrozenClock
):
    signed_in(client, db, clock, "editor")
    item = upload(client, "sunrise.png", image_bytes(), alt="Sky")
    client.cookies.clear()
    signed_in(client, db, clock, "viewer")
    page = client.get(f"/admin/media?selected={item['id']}")
    assert page.status_code == 200 and "sunrise.png" in page.text
    hidden = ("data-media-dropzone", "Upload files", 'name="alt"', "Delete file…",
              "media-bulk-dialog", 'name="ids"', "Import from URL", "New folder")  # fmt: skip
    for absent in hidden:
        assert absent not in page.text, absent
    assert "<dt>Alt text</dt><dd>Sky</dd>" in page.text
    form = {"csrf_token": csrf_of(page.text), "alt": "Hacked"}
    crafted = client.post(f"/admin/media/{item['id']}", data=form)
    assert crafted.status_code == 403 and crafted.json()["code"] == "not_media_owner"
    gone = client.post(f"/admin/media/{item['id']}/delete", data=form)
    assert gone.status_code == 403
    imported = client.post("/admin/media/import", data={**form, "url": "https://example.com/a"})
    assert imported.status_code == 403 and imported.json()["code"] == "missing_permission"
    raw = client.post("/api/media/upload", files={"file": ("x.png", image_bytes())})
    assert raw.status_code == 403
    assert client.get(f"/api/media/{item['id']}").json()["data"]["alt"] == "Sky"


def test_an_author_may_change_only_their_own_files(
    client: TestClient, db: Database, clock: FrozenClock
):
    signed_in(client, db, clock, "editor")
    theirs = upload(client, "editors.png", image_bytes())
    client.cookies.clear()
    signed_in(client, db, clock, "author")
    mine = upload(client, "mine.png", image_bytes())
    page = client.get("/admin/media").text
    assert f'value="{mine["id"]}"' in page and f'value="{theirs["id"]}"' not in page
    assert "data-media-dropzone" in page and "data-media-bulk-delete" in page
    other = client.get(f"/admin/media?selected={theirs['id']}").text
    assert 'name="alt"' not in other and "Delete file…" not in other
    own = client.get(f"/admin/media?selected={mine['id']}").text
    assert 'name="alt"' in own and "Delete file…" in own
    form = {"csrf_token": csrf_of(page), "ids": [mine["id"], theirs["id"]]}
    answer = client.post("/admin/media/bulk-delete", data=form)
    assert answer.status_code == 200  # one done, one refused: the page says which
    assert "1 file moved to the trash." in answer.text
    assert f"Not deleted: {theirs['id']}: Permission denied: not your file" in answer.text


def test_writes_without_the_csrf_token_are_refused(
    client: TestClient, db: Database, clock: FrozenClock
):
    signed_in(client, db, clock, "editor")
    item = upload(client, "sunrise.png", image_bytes())
    for path, form in (
        (f"/admin/media/{item['id']}", {"alt": "No token"}),
        (f"/admin/media/{item['id']}/delete", {}),
        ("/admin/media/bulk-delete", {"ids": item["id"]}),
        ("/admin/media/import", {"url": "https://example.com/a.png"}),
        ("/admin/media/folders", {"folder_name": "sneaky"}),
    ):
        answer = client.post(path, data=form)
        assert answer.status_code == 403, path
        assert answer.json()["code"] == "csrf_failed"
    forged = client.post(f"/admin/media/{item['id']}", data={"alt": "x", "csrf_token": "0" * 64})
    assert forged.status_code == 403
    stored = client.get(f"/api/media/{item['id']}").json()["data"]
    assert stored["alt"] is None and stored["deleted_at"] is None


def test_create_folder_then_it_is_listed_and_open(
    client: TestClient, db: Database, clock: FrozenClock
):
    signed_in(client, db, clock, "author")
    form = {"csrf_token": token(client), "folder_name": "events"}
    answer = client.post("/admin/media/folders", data=form, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/admin/media?folder=events&done=folder"
    page = client.get(answer.headers["location"]).text
    assert "The folder was created." in page and 'data-folder="events"' in page
    assert '<span>events</span><span class="nav__count" aria-label="0 files">0</span>' in page
    again = client.post("/admin/media/folders", data=form)
    assert again.status_code == 409 and "already exists" in again.text


def test_cursor_paging(client: TestClient, db: Database, clock: FrozenClock):
    user_id = signed_in(client, db, clock, "editor")
    insert_rows(db, clock, PAGE_SIZE + 2, user_id)
    first = client.get("/admin/media?view=list").text
    assert first.count('data-media-item="') == PAGE_SIZE
    found = re.search(r'href="(/admin/media\?view=list&amp;cursor=[^"]+)" rel="next"', first)
    assert found, "no next page link"
    second = client.get(found.group(1).replace("&amp;", "&")).text
    assert second.count('data-media-item="') == 2
    assert "row-0.png" in first and f"row-{PAGE_SIZE + 1}.png" in second
    assert 'rel="next"' not in second and "First page" in second
    bad = client.get("/admin/media?cursor=not-a-cursor")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_cursor"


#: Statements that are not the page's own reads: the request log written in the background
#: after an earlier answer, and the log and plugin settings re-read on a wall-clock TTL.
_BACKGROUND = ("system_logs", "log_config", "FROM plugins")


def page_reads(sql: list[str]) -> list[str]:
    """The SELECTs a page ran, without transaction control and background work."""
    return [s for s in sql if s.startswith("SELECT") and not any(b in s for b in _BACKGROUND)]


def test_the_grid_runs_the_same_queries_for_3_and_30_files(
    client: TestClient, db: Database, clock: FrozenClock
):
    user_id = signed_in(client, db, clock, "editor")
    insert_rows(db, clock, 3, user_id)
    client.get("/admin/media")  # warm caches (settings, permissions) alike for both runs
    with counting_statements(db.engine) as few:
        assert len(tile_names(client.get("/admin/media").text)) == 3
    insert_rows(db, clock, 27, user_id)
    with counting_statements(db.engine) as many:
        assert len(tile_names(client.get("/admin/media").text)) == 30
    assert len(page_reads(few.sql)) == len(page_reads(many.sql)), "\n".join(page_reads(many.sql))
    assert len(page_reads(many.sql)) <= 10


def test_the_service_refuses_usage_without_media_read(db: Database, clock: FrozenClock):
    from dataclasses import replace

    ctx = _editor_ctx(db, clock)
    stripped = ctx.acting_as(replace(ctx.actor, permissions=frozenset({"content.read"})))
    with pytest.raises(Forbidden):
        media_usage(stripped, "any")
