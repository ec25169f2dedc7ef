"""Listing, filtering, paging and statistics of media."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Media
from tests.media.helpers import image_bytes, upload
from tests.utils.auth import bearer_headers


@pytest.fixture
def library(
    media_client: TestClient, media_db: Database, media_settings: Settings, clock: FrozenClock
) -> dict[str, Any]:
    """Four files from two uploaders, a day apart, in two folders."""
    editor = bearer_headers(media_db, media_settings, clock, "editor")
    author = bearer_headers(media_db, media_settings, clock, "author")
    files = [
        (editor, "Sunset.png", image_bytes(10, 10), {"folder": "photos", "tags": "nature,sky"}),
        (editor, "notes.txt", b"meeting notes 100%", {"caption": "Weekly_notes"}),
        (author, "beach.jpg", image_bytes(20, 10, "JPEG"), {"folder": "photos", "alt": "Sea"}),
        (author, "readme.txt", b"x" * 50, {"tags": '["docs"]'}),
    ]
    items = []
    for headers, name, data, fields in files:
        response = upload(media_client, headers, name, data, **fields)
        assert response.status_code == 200, response.text
        items.append(response.json()["file"])
    with media_db.write() as conn:  # a day apart; advancing the clock would expire the tokens
        for day, item in enumerate(items):
            at = clock.now_ms() + day * 86_400_000
            conn.execute(update(Media).where(Media.id == item["id"]).values(uploaded_at=at))
    return {"items": items, "editor": editor, "author": author}


def _names(client: TestClient, headers: dict[str, str], query: str) -> list[str]:
    response = client.get(f"/api/media?{query}", headers=headers)
    assert response.status_code == 200, response.text
    return [item["originalName"] for item in response.json()["data"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["readme.txt", "beach.jpg", "notes.txt", "Sunset.png"]),
        ("sort=uploaded_at", ["Sunset.png", "notes.txt", "beach.jpg", "readme.txt"]),
        ("sort=size", ["notes.txt", "readme.txt", "Sunset.png", "beach.jpg"]),
        ("folder=photos", ["beach.jpg", "Sunset.png"]),
        ("type=images", ["beach.jpg", "Sunset.png"]),
        ("type=documents", ["readme.txt", "notes.txt"]),
        ("type=image/jpeg", ["beach.jpg"]),
        ("type=text/*", ["readme.txt", "notes.txt"]),
        ("tag=sky", ["Sunset.png"]),
        ("tag=docs", ["readme.txt"]),
        ("search=SUNSET", ["Sunset.png"]),
        ("search=sea", ["beach.jpg"]),
        ("search=weekly_", ["notes.txt"]),
        ("search=%25", []),
        ("uploadedAfter=1767312000000", ["readme.txt", "beach.jpg", "notes.txt"]),
        ("uploadedBefore=1767312000000", ["Sunset.png"]),
    ],
)
def test_filters(
    media_client: TestClient, library: dict[str, Any], query: str, expected: list[str]
):
    assert _names(media_client, library["editor"], query) == expected


def test_filter_by_uploader_and_paging(media_client: TestClient, library: dict[str, Any]):
    uploader = library["items"][2]["uploaded_by"]
    assert _names(media_client, library["editor"], f"uploadedBy={uploader}") == [
        "readme.txt",
        "beach.jpg",
    ]
    response = media_client.get("/api/media?limit=3&page=2", headers=library["editor"])
    body = response.json()
    assert [item["originalName"] for item in body["data"]] == ["Sunset.png"]
    assert body["meta"]["pagination"] == {
        "page": 2, "limit": 3, "total": 4, "pages": 2, "hasNext": False, "hasPrev": True,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("query", "status"),
    [("colour=red", 400), ("limit=101", 400), ("limit=0", 400), ("page=0", 400),
     ("sort=password", 400), ("uploadedAfter=yesterday", 400)],
)  # fmt: skip
def test_bad_list_queries(
    media_client: TestClient, library: dict[str, Any], query: str, status: int
):
    response = media_client.get(f"/api/media?{query}", headers=library["editor"])
    assert response.status_code == status
    assert response.json()["code"] in {"bad_request", "unknown_parameter", "invalid_sort"}


def test_reading_needs_media_read(media_client: TestClient, library: dict[str, Any]):
    assert media_client.get("/api/media").status_code == 401
    item = library["items"][0]
    assert media_client.get(f"/api/media/{item['id']}").status_code == 401
    got = media_client.get(f"/api/media/{item['id']}", headers=library["author"])
    assert got.status_code == 200 and got.json()["data"] == item


def test_statistics(media_client: TestClient, library: dict[str, Any]):
    sizes = [item["size"] for item in library["items"]]
    media_client.delete(f"/api/media/{library['items'][3]['id']}", headers=library["editor"])
    data = media_client.get("/api/media/stats", headers=library["author"]).json()["data"]
    assert data["totalFiles"] == 3
    assert data["totalSize"] == sum(sizes[:3])
    assert data["avgSize"] == pytest.approx(sum(sizes[:3]) / 3)
    by_type = {row["mimeType"]: row for row in data["byType"]}
    assert set(by_type) == {"image/png", "image/jpeg", "text/plain"}
    assert by_type["text/plain"]["count"] == 1
    assert by_type["text/plain"]["totalSize"] == sizes[1]
