"""``GET /files/{r2_key}``: types, ETag, Range, caching, variants, and what is never served."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from sonic_cms.storage import Storage
from tests.media.helpers import image_bytes, upload
from tests.utils.auth import bearer_headers

TEXT = b"0123456789" * 100


@pytest.fixture
def uploaded(
    media_client: TestClient, media_db: Database, media_settings: Settings, clock: FrozenClock
) -> dict[str, Any]:
    """A text file and an image, uploaded by an editor."""
    headers = bearer_headers(media_db, media_settings, clock, "editor")
    text = upload(media_client, headers, "notes.txt", TEXT).json()["file"]
    image = upload(media_client, headers, "pic.png", image_bytes(400, 200)).json()["file"]
    return {"text": text, "image": image, "headers": headers}


def test_serves_bytes_with_type_etag_and_cache_headers(
    media_client: TestClient, uploaded: dict[str, Any], media_settings: Settings
):
    response = media_client.get(uploaded["text"]["publicUrl"])
    assert response.status_code == 200
    assert response.content == TEXT
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-length"] == str(len(TEXT))
    assert response.headers["etag"]
    assert response.headers["last-modified"].endswith("GMT")
    max_age = media_settings.media_cache_max_age_seconds
    assert response.headers["cache-control"] == f"public, max-age={max_age}"
    assert response.headers["content-disposition"].startswith("inline;")


def test_etag_match_is_304(media_client: TestClient, uploaded: dict[str, Any]):
    url = uploaded["image"]["publicUrl"]
    etag = media_client.get(url).headers["etag"]
    response = media_client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert media_client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


@pytest.mark.parametrize(
    ("header", "status", "body", "content_range"),
    [
        ("bytes=0-9", 206, TEXT[:10], "bytes 0-9/1000"),
        ("bytes=990-", 206, TEXT[990:], "bytes 990-999/1000"),
        ("bytes=-5", 206, TEXT[-5:], "bytes 995-999/1000"),
        ("bytes=995-5000", 206, TEXT[995:], "bytes 995-999/1000"),
        ("bytes=1000-", 416, b"", "bytes */1000"),
        ("bytes=5-2", 416, b"", "bytes */1000"),
        ("bytes=0-1,5-6", 200, TEXT, None),
        ("items=0-1", 200, TEXT, None),
    ],
)
def test_ranges(
    media_client: TestClient, uploaded: dict[str, Any],
    header: str, status: int, body: bytes, content_range: str | None,
):  # fmt: skip
    response = media_client.get(uploaded["text"]["publicUrl"], headers={"Range": header})
    assert response.status_code == status
    assert response.content == body
    assert response.headers.get("content-range") == content_range


def test_head_has_headers_and_no_body(media_client: TestClient, uploaded: dict[str, Any]):
    response = media_client.head(uploaded["text"]["publicUrl"])
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(TEXT))
    assert response.content == b""


@pytest.mark.parametrize(
    "path",
    [
        "/files/uploads/2026/01/nothing-here.txt",
        "/files/uploads/%2e%2e/%2e%2e/etc/passwd",
        "/files/_folders/x/.keep",
        "/files/_derived/unknown-id/thumbnail.webp",
    ],
)
def test_unknown_or_unsafe_keys_are_404(media_client: TestClient, path: str):
    response = media_client.get(path)
    assert response.status_code == 404
    assert response.json()["code"] == "file_not_found"


def test_unknown_query_parameter_is_400(media_client: TestClient, uploaded: dict[str, Any]):
    response = media_client.get(uploaded["text"]["publicUrl"] + "?download=1")
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_parameter"


def test_soft_deleted_media_is_not_served(media_client: TestClient, uploaded: dict[str, Any]):
    item = uploaded["image"]
    assert media_client.delete(f"/api/media/{item['id']}", headers=uploaded["headers"]).is_success
    assert media_client.get(item["publicUrl"]).status_code == 404
    assert media_client.get(item["thumbnailUrl"]).status_code == 404


@pytest.mark.parametrize(
    ("query", "size"),
    [("w=100", (100, 50)), ("h=20", (40, 20)), ("w=50&h=50&fit=cover", (50, 50)),
     ("w=50&h=50&fit=fill", (50, 50)), ("w=50&h=50", (50, 25)), ("w=2000", (400, 200))],
)  # fmt: skip
def test_resized_variants_are_made_once_and_cached(
    media_client: TestClient, uploaded: dict[str, Any], media_storage: Storage,
    query: str, size: tuple[int, int],
):  # fmt: skip
    item = uploaded["image"]
    before = set(media_storage.iter_keys(f"_derived/{item['id']}/"))
    response = media_client.get(f"{item['publicUrl']}?{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/webp"
    assert Image.open(io.BytesIO(response.content)).size == size
    made = set(media_storage.iter_keys(f"_derived/{item['id']}/")) - before
    assert len(made) == 1
    again = media_client.get(f"{item['publicUrl']}?{query}")
    assert again.content == response.content
    assert set(media_storage.iter_keys(f"_derived/{item['id']}/")) - before == made


@pytest.mark.parametrize(
    "query", ["w=0", "w=99999", "h=-1", "w=10&fit=stretch", "fit=cover", "w=abc"]
)
def test_bad_variant_requests_are_400(
    media_client: TestClient, uploaded: dict[str, Any], media_storage: Storage, query: str
):
    keys = sorted(media_storage.iter_keys())
    response = media_client.get(f"{uploaded['image']['publicUrl']}?{query}")
    assert response.status_code == 400
    assert sorted(media_storage.iter_keys()) == keys


def test_only_images_resize(media_client: TestClient, uploaded: dict[str, Any]):
    response = media_client.get(uploaded["text"]["publicUrl"] + "?w=10")
    assert response.status_code == 400
    assert response.json()["code"] == "not_resizable"


def test_presigned_url_route(
    media_client: TestClient, uploaded: dict[str, Any], media_settings: Settings
):
    item = uploaded["text"]
    response = media_client.get(
        f"/api/media/{item['id']}/presigned-url", headers=uploaded["headers"]
    )
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["expiresIn"] == media_settings.media_presign_ttl_seconds
    if media_settings.media_storage == "local":
        signed = media_client.get(data["url"])
        assert signed.status_code == 200 and signed.content == TEXT
        assert signed.headers["cache-control"] == "private, no-store"
        forged = media_client.get(data["url"][:-4] + "0000")
        assert forged.status_code == 403
    else:
        assert "X-Amz-Signature=" in data["url"]
