"""Uploading through the API: what is stored, where, and who may do it."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from PIL import Image

from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from sonic_cms.storage import Storage
from tests.conftest import START_MS
from tests.media.helpers import image_bytes, media_count, stored_keys, upload
from tests.utils.auth import bearer_headers


def test_upload_stores_object_thumbnail_and_row(
    media_client: TestClient, media_db: Database, media_settings: Settings,
    clock: FrozenClock, media_storage: Storage,
):  # fmt: skip
    headers = bearer_headers(media_db, media_settings, clock, "editor")
    data = image_bytes(640, 480)
    response = upload(media_client, headers, "Holiday Photo.png", data, "image/png")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True and body["errors"] == []
    item = body["file"]
    assert body["uploaded"] == [item]
    assert item["mimeType"] == "image/png"
    assert (item["width"], item["height"], item["size"]) == (640, 480, len(data))
    assert item["folder"] == "uploads"
    assert item["originalName"] == "Holiday Photo.png"
    assert re.fullmatch(rf"uploads/2026/01/{item['id']}-Holiday Photo\.png", item["r2_key"])
    assert item["publicUrl"] == "/files/" + item["r2_key"].replace(" ", "%20")
    assert item["thumbnailUrl"] == f"/files/_derived/{item['id']}/thumbnail.webp"
    assert item["uploadedAt"] == START_MS  # epoch ms, like every moment in an answer
    assert stored_keys(media_storage) == sorted(
        [item["r2_key"], f"_derived/{item['id']}/thumbnail.webp"]
    )
    assert media_storage.open(item["r2_key"]).read_all() == data
    assert media_count(media_db) == 1
    thumb = media_client.get(item["thumbnailUrl"])
    assert thumb.status_code == 200
    import io

    assert max(Image.open(io.BytesIO(thumb.content)).size) == media_settings.media_thumbnail_size


def test_type_comes_from_the_bytes_not_the_client(
    media_client: TestClient, media_db: Database, media_settings: Settings, clock: FrozenClock
):
    headers = bearer_headers(media_db, media_settings, clock, "author")
    response = upload(media_client, headers, "report.pdf", image_bytes(), "application/pdf")
    assert response.status_code == 200, response.text
    item = response.json()["file"]
    assert item["mimeType"] == "image/png"
    assert item["filename"] == "report.png"


def test_metadata_fields_are_kept(
    media_client: TestClient, media_db: Database, media_settings: Settings, clock: FrozenClock
):
    headers = bearer_headers(media_db, media_settings, clock, "author")
    response = upload(
        media_client, headers, "a.png", image_bytes(), folder="blog-images",
        alt="A red square", caption="Caption ü", tags='["red", "square", "red"]',
    )  # fmt: skip
    assert response.status_code == 200, response.text
    item = response.json()["file"]
    assert item["folder"] == "blog-images"
    assert item["r2_key"].startswith("blog-images/2026/01/")
    assert (item["alt"], item["caption"], item["tags"]) == (
        "A red square",
        "Caption ü",
        ["red", "square"],
    )
    comma = upload(media_client, headers, "b.png", image_bytes(), tags="x, y")
    assert comma.json()["file"]["tags"] == ["x", "y"]


def test_who_may_upload(
    media_client: TestClient, media_db: Database, media_settings: Settings,
    clock: FrozenClock, media_storage: Storage,
):  # fmt: skip
    anonymous = upload(media_client, {}, "a.png", image_bytes())
    assert anonymous.status_code == 401
    viewer = bearer_headers(media_db, media_settings, clock, "viewer")
    refused = upload(media_client, viewer, "a.png", image_bytes())
    assert refused.status_code == 403
    assert refused.json()["code"] == "missing_permission"
    assert media_count(media_db) == 0
    assert stored_keys(media_storage) == []
    for role in ("author", "editor", "admin"):
        headers = bearer_headers(media_db, media_settings, clock, role)
        assert upload(media_client, headers, "a.png", image_bytes()).status_code == 200
    assert media_count(media_db) == 3


def test_upload_multiple_keeps_good_files_and_reports_bad_ones(
    media_client: TestClient, media_db: Database, media_settings: Settings,
    clock: FrozenClock, media_storage: Storage,
):  # fmt: skip
    headers = bearer_headers(media_db, media_settings, clock, "editor")
    files = [
        ("files", ("one.png", image_bytes(), "image/png")),
        ("files", ("evil.jpg", b"\x7fELF\x02\x01\x01" + b"\0" * 500, "image/jpeg")),
        ("files", ("two.txt", b"plain text", "text/plain")),
    ]
    response = media_client.post(
        "/api/media/upload-multiple", headers=headers, files=files, data={"folder": "docs"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["summary"] == {"total": 3, "successful": 2, "failed": 1}
    assert [item["originalName"] for item in body["uploaded"]] == ["one.png", "two.txt"]
    assert body["errors"][0]["filename"] == "evil.jpg"
    assert body["errors"][0]["code"] == "unsupported_file_type"
    assert media_count(media_db) == 2
    assert len(stored_keys(media_storage)) == 3  # two objects and one thumbnail


def test_upload_multiple_without_files_is_400(
    media_client: TestClient, media_db: Database, media_settings: Settings, clock: FrozenClock
):
    headers = bearer_headers(media_db, media_settings, clock, "editor")
    response = media_client.post(
        "/api/media/upload-multiple", headers=headers, data={"folder": "docs"},
        files={"other": ("x.txt", b"x", "text/plain")},
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["code"] == "no_file"


def test_too_many_files_in_one_request(
    media_client: TestClient, media_db: Database, media_settings: Settings, clock: FrozenClock
):
    headers = bearer_headers(media_db, media_settings, clock, "editor")
    count = media_settings.media_max_files_per_request + 1
    files = [("files", (f"f{i}.txt", b"text", "text/plain")) for i in range(count)]
    response = media_client.post("/api/media/upload-multiple", headers=headers, files=files)
    assert response.status_code == 400
    assert media_count(media_db) == 0
