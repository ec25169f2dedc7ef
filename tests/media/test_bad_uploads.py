"""Hostile and broken uploads: each a clear 4xx or a safe stored result, never an orphan.

After every refused upload both the media table and the store are checked to be empty.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from sonic_cms.api.app import create_app
from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.storage import Storage
from tests.media.helpers import image_bytes, media_count, stored_keys, upload
from tests.utils.auth import bearer_headers

LIMIT = 2_000_000  # media_settings' SONIC_MEDIA_MAX_BYTES
PIXELS = 1_000_000

ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 1000
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 1000
PNG = image_bytes(80, 60)
JPEG = image_bytes(400, 300, "JPEG")


@pytest.fixture
def bomb_client(
    media_settings: Settings, media_db: Database, clock: FrozenClock, media_storage: Storage
) -> Iterator[TestClient]:
    """The media app with a small pixel limit, so bombs stay small on disk."""
    settings = media_settings.model_copy(update={"media_max_image_pixels": PIXELS})
    app = create_app(settings, db=media_db, clock=clock, storage=media_storage)
    with TestClient(app) as client:
        yield client


BAD_UPLOADS = [
    ("zero-byte", "empty.png", b"", {}, 422, "empty_file"),
    ("one byte over the limit", "big.txt", b"a" * (LIMIT + 1), {}, 413, "file_too_large"),
    ("body past the request limit", "huge.txt", b"a" * (LIMIT + 200_000), {}, 413,
     "payload_too_large"),
    ("ELF renamed .jpg", "photo.jpg", ELF, {}, 415, "unsupported_file_type"),
    ("PE renamed .jpg", "photo.jpg", PE, {}, 415, "unsupported_file_type"),
    ("HTML renamed .png", "page.png", b"<!DOCTYPE html><script>alert(1)</script>", {}, 415,
     "unsupported_file_type"),
    ("GIF/JS polyglot", "x.gif", b"GIF89a/*\x00\x00*/=1;alert(document.domain)//", {}, 422,
     "invalid_image"),
    ("truncated PNG", "cut.png", PNG[: len(PNG) // 2], {}, 422, "invalid_image"),
    ("truncated JPEG", "cut.jpg", JPEG[: len(JPEG) // 2], {}, 422, "invalid_image"),
    ("bomb past twice the limit", "bomb.png", image_bytes(2000, 2000, "PNG", "1"), {}, 422,
     "image_too_large"),
    ("bomb past the limit", "bomb.png", image_bytes(1100, 1000, "PNG", "1"), {}, 422,
     "image_too_large"),
    ("folder with traversal", "a.png", PNG, {"folder": "../etc"}, 422, "invalid_folder"),
    ("folder with capitals", "a.png", PNG, {"folder": "Photos"}, 422, "invalid_folder"),
    ("tags not a list", "a.png", PNG, {"tags": '["ok", 3]'}, 422, "validation_failed"),
    ("too many tags", "a.png", PNG, {"tags": ",".join(f"t{i}" for i in range(51))}, 422,
     "validation_failed"),
    ("alt too long", "a.png", PNG, {"alt": "x" * 2001}, 422, "validation_failed"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "data", "fields", "status", "code"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD_UPLOADS],
)
def test_bad_upload_is_refused_and_leaves_nothing(
    bomb_client: TestClient, media_db: Database, media_settings: Settings,
    clock: FrozenClock, media_storage: Storage,
    name: str, data: bytes, fields: dict[str, str], status: int, code: str,
):  # fmt: skip
    headers = bearer_headers(media_db, media_settings, clock, "editor")
    response = upload(bomb_client, headers, name, data, **fields)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert isinstance(response.json()["error"], str)
    assert media_count(media_db) == 0
    assert stored_keys(media_storage) == []


def test_missing_file_field_is_400(
    media_client: TestClient, media_db: Database, media_settings: Settings, clock: FrozenClock
):
    headers = bearer_headers(media_db, media_settings, clock, "editor")
    response = media_client.post(
        "/api/media/upload", headers=headers, files={"folder": (None, "uploads")}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "no_file"
    assert media_count(media_db) == 0


SAFE_NAMES = [
    ("../../etc/passwd", b"root:x:0:0", "passwd.txt"),
    ("..\\..\\windows\\win.ini", b"[fonts]", "win.txt"),
    ("con.jpg", JPEG, "_con.jpg"),
    ("LPT1.txt", b"text", "_LPT1.txt"),
    ("\u202ebell\u200b.png", PNG, "bell.png"),
    ("фото отпуск.png", PNG, "фото отпуск.png"),
    ("....png", PNG, "png.png"),
]


@pytest.mark.parametrize(("name", "data", "stored"), SAFE_NAMES)
def test_hostile_names_are_stored_safely(
    media_client: TestClient, media_db: Database, media_settings: Settings,
    clock: FrozenClock, media_storage: Storage, name: str, data: bytes, stored: str,
):  # fmt: skip
    headers = bearer_headers(media_db, media_settings, clock, "editor")
    response = upload(media_client, headers, name, data)
    assert response.status_code == 200, response.text
    item = response.json()["file"]
    assert item["filename"] == stored
    assert item["r2_key"] == f"uploads/2026/01/{item['id']}-{stored}"
    assert ".." not in item["r2_key"].split("/")
    assert media_storage.exists(item["r2_key"])


def test_long_names_are_cut_to_the_byte_limit(
    media_client: TestClient, media_db: Database, media_settings: Settings, clock: FrozenClock
):
    headers = bearer_headers(media_db, media_settings, clock, "editor")
    response = upload(media_client, headers, "é" * 1500 + ".png", PNG)
    assert response.status_code == 200, response.text
    item = response.json()["file"]
    assert item["filename"].endswith(".png")
    assert len(item["filename"].encode()) <= media_settings.media_max_filename_bytes
    assert len(item["originalName"]) <= 1024
    assert media_client.get(item["publicUrl"]).status_code == 200


def test_ten_thousand_character_name_is_a_clear_400_over_http(
    media_client: TestClient, media_db: Database, media_settings: Settings,
    clock: FrozenClock, media_storage: Storage,
):  # fmt: skip
    """The multipart parser caps a part's header at 4 KiB: a 400, and nothing stored."""
    headers = bearer_headers(media_db, media_settings, clock, "editor")
    response = upload(media_client, headers, "a" * 10_000 + ".png", PNG)
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    assert media_count(media_db) == 0
    assert stored_keys(media_storage) == []


def test_ten_thousand_character_name_is_cut_by_the_service(
    ctx: Context,
    media_settings: Settings,
    media_db: Database,
    clock: FrozenClock,
    media_storage: Storage,
):
    """Imports and the CLI reach the service without the parser's cap; it cuts the name."""
    from sonic_cms.media.upload import MediaMeta, upload_media
    from tests.utils.auth import actor_with_role

    actor = actor_with_role(media_db, clock, "editor")
    name = "ж" * 10_000 + ".png"
    item = upload_media(ctx.acting_as(actor), io.BytesIO(PNG), name, MediaMeta())
    assert item["filename"].endswith(".png")
    assert len(item["filename"].encode()) <= media_settings.media_max_filename_bytes
    assert len(item["originalName"]) == 1024
    assert media_storage.exists(item["r2_key"])


def test_svg_with_script_is_stored_but_never_runs(
    media_client: TestClient, media_db: Database, media_settings: Settings, clock: FrozenClock
):
    headers = bearer_headers(media_db, media_settings, clock, "editor")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    response = upload(media_client, headers, "logo.svg", svg, "image/svg+xml")
    assert response.status_code == 200, response.text
    item = response.json()["file"]
    assert item["mimeType"] == "image/svg+xml"
    assert item["thumbnailUrl"] is None
    served = media_client.get(item["publicUrl"])
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/svg+xml"
    assert served.headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in served.headers["content-security-policy"]
    assert "default-src 'none'" in served.headers["content-security-policy"]
    assert served.headers["x-content-type-options"] == "nosniff"


def test_png_with_appended_script_is_served_as_an_image(
    media_client: TestClient, media_db: Database, media_settings: Settings, clock: FrozenClock
):
    headers = bearer_headers(media_db, media_settings, clock, "editor")
    polyglot = PNG + b"<html><script>alert(document.cookie)</script></html>"
    response = upload(media_client, headers, "poly.html", polyglot, "text/html")
    assert response.status_code == 200, response.text
    item = response.json()["file"]
    assert (item["mimeType"], item["filename"]) == ("image/png", "poly.png")
    served = media_client.get(item["publicUrl"])
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.content == polyglot


def test_pdf_is_an_attachment_in_a_sandbox(
    media_client: TestClient, media_db: Database, media_settings: Settings, clock: FrozenClock
):
    headers = bearer_headers(media_db, media_settings, clock, "editor")
    pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>>>endobj\n"
    response = upload(media_client, headers, "doc.pdf", pdf)
    assert response.status_code == 200, response.text
    served = media_client.get(response.json()["file"]["publicUrl"])
    assert served.headers["content-type"] == "application/pdf"
    assert served.headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in served.headers["content-security-policy"]


def test_disallowed_type_by_setting_is_415(
    media_settings: Settings, media_db: Database, clock: FrozenClock, media_storage: Storage
):
    settings = media_settings.model_copy(update={"media_allowed_types": ["image/png"]})
    app = create_app(settings, db=media_db, clock=clock, storage=media_storage)
    headers = bearer_headers(media_db, settings, clock, "editor")
    with TestClient(app) as client:
        assert upload(client, headers, "a.jpg", JPEG).status_code == 415
        assert upload(client, headers, "a.png", PNG).status_code == 200
    assert media_count(media_db) == 1


def test_a_failed_row_insert_removes_the_objects(
    ctx: Context, media_db: Database, media_storage: Storage
):
    """An uploader id that breaks the foreign key makes the insert fail after the put."""
    from sonic_cms.actors import Actor
    from sonic_cms.media.upload import MediaMeta, upload_media

    ghost = Actor(kind="user", user_id="no-such-user", permissions=frozenset({"media.upload"}))
    with pytest.raises(Exception, match=r"(?i)foreign key|violates"):
        upload_media(ctx.acting_as(ghost), io.BytesIO(PNG), "a.png", MediaMeta())
    assert media_count(media_db) == 0
    assert stored_keys(media_storage) == []
