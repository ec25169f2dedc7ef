"""Changing media through the API: who may, what changes, and what a refusal leaves alone."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Media
from sonic_cms.storage import Storage
from tests.media.helpers import image_bytes, media_count, stored_keys, upload
from tests.utils.auth import bearer_headers


def _row(db: Database, media_id: str) -> dict[str, Any] | None:
    with db.read() as conn:
        row = conn.execute(select(Media.__table__).where(Media.id == media_id)).mappings().first()
    return dict(row) if row else None


@pytest.fixture
def people(
    media_db: Database, media_settings: Settings, clock: FrozenClock
) -> dict[str, dict[str, str]]:
    return {
        role: bearer_headers(media_db, media_settings, clock, role)
        for role in ("author", "editor", "viewer")
    } | {"other_author": bearer_headers(media_db, media_settings, clock, "author")}


@pytest.fixture
def own_file(media_client: TestClient, people: dict[str, dict[str, str]]) -> dict[str, Any]:
    """A file the first author uploaded."""
    response = upload(media_client, people["author"], "mine.png", image_bytes())
    assert response.status_code == 200
    return dict(response.json()["file"])


def test_uploader_may_update_their_own_file(
    media_client: TestClient, media_db: Database, people: dict[str, dict[str, str]],
    own_file: dict[str, Any], clock: FrozenClock,
):  # fmt: skip
    clock.advance(60_000)
    response = media_client.patch(
        f"/api/media/{own_file['id']}", headers=people["author"],
        json={"alt": "New alt", "caption": None, "tags": ["a", "b"], "folder": "gallery"},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True and body["message"] == "File updated successfully"
    assert (body["file"]["alt"], body["file"]["tags"]) == ("New alt", ["a", "b"])
    row = _row(media_db, own_file["id"])
    assert row is not None
    assert (row["alt"], row["folder"], row["tags"]) == ("New alt", "gallery", ["a", "b"])
    assert row["updated_at"] == row["uploaded_at"] + 60_000
    assert row["r2_key"] == own_file["r2_key"]  # moving keeps published URLs working


def test_editor_may_update_anyones_file(
    media_client: TestClient, people: dict[str, dict[str, str]], own_file: dict[str, Any]
):
    response = media_client.patch(
        f"/api/media/{own_file['id']}", headers=people["editor"], json={"alt": "Edited"}
    )
    assert response.status_code == 200


BAD_PATCHES = [
    ("other_author", {"alt": "x"}, 403, "not_media_owner"),
    ("viewer", {"alt": "x"}, 403, "not_media_owner"),
    (None, {"alt": "x"}, 401, "unauthorized"),
    ("author", {}, 400, "no_changes"),
    ("author", {"filename": "x.png"}, 422, "validation_failed"),
    ("author", {"folder": "../x"}, 422, "invalid_folder"),
    ("author", {"tags": "notalist"}, 422, "validation_failed"),
    ("author", {"alt": "x" * 2001}, 422, "validation_failed"),
]


@pytest.mark.parametrize(("who", "payload", "status", "code"), BAD_PATCHES)
def test_bad_patches_change_nothing(
    media_client: TestClient, media_db: Database, people: dict[str, dict[str, str]],
    own_file: dict[str, Any], who: str | None, payload: dict[str, Any], status: int, code: str,
):  # fmt: skip
    before = _row(media_db, own_file["id"])
    headers = people[who] if who else {}
    response = media_client.patch(f"/api/media/{own_file['id']}", headers=headers, json=payload)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert _row(media_db, own_file["id"]) == before


def test_patch_unknown_id_is_404(media_client: TestClient, people: dict[str, dict[str, str]]):
    response = media_client.patch("/api/media/nope", headers=people["editor"], json={"alt": "x"})
    assert response.status_code == 404


def test_delete_restore_purge(
    media_client: TestClient, media_db: Database, media_storage: Storage,
    people: dict[str, dict[str, str]], own_file: dict[str, Any],
):  # fmt: skip
    media_id, author = own_file["id"], people["author"]
    refused = media_client.delete(f"/api/media/{media_id}", headers=people["other_author"])
    assert refused.status_code == 403
    deleted = media_client.delete(f"/api/media/{media_id}", headers=author)
    assert deleted.json() == {"success": True, "message": "File deleted successfully"}
    assert _row(media_db, media_id)["deleted_at"] is not None  # type: ignore[index]
    assert media_client.get(f"/api/media/{media_id}", headers=author).status_code == 404
    assert media_client.delete(f"/api/media/{media_id}", headers=author).status_code == 404
    trash = media_client.get("/api/media?deleted=true", headers=author).json()["data"]
    assert [item["id"] for item in trash] == [media_id]
    assert media_storage.exists(own_file["r2_key"])  # soft delete keeps the object
    restored = media_client.post(f"/api/media/{media_id}/restore", headers=author)
    assert restored.status_code == 200 and restored.json()["file"]["deleted_at"] is None
    again = media_client.post(f"/api/media/{media_id}/restore", headers=author)
    assert again.status_code == 409
    assert media_client.get(own_file["publicUrl"]).status_code == 200
    purge = media_client.post(f"/api/media/{media_id}/purge", headers=author)
    assert purge.status_code == 200
    assert _row(media_db, media_id) is None
    assert stored_keys(media_storage) == []


def test_purge_of_a_missing_object_succeeds(
    media_client: TestClient, media_db: Database, media_storage: Storage,
    people: dict[str, dict[str, str]], own_file: dict[str, Any],
):  # fmt: skip
    media_storage.delete(own_file["r2_key"])
    media_storage.delete_prefix(f"_derived/{own_file['id']}/")
    response = media_client.post(f"/api/media/{own_file['id']}/purge", headers=people["editor"])
    assert response.status_code == 200
    assert media_count(media_db) == 0


def test_bulk_delete_and_move_results(
    media_client: TestClient, media_db: Database, people: dict[str, dict[str, str]],
    own_file: dict[str, Any],
):  # fmt: skip
    theirs = upload(media_client, people["other_author"], "t.png", image_bytes()).json()["file"]
    moved = media_client.post(
        "/api/media/bulk-move", headers=people["author"],
        json={"fileIds": [own_file["id"], theirs["id"], "missing"], "folder": "archive"},
    ).json()  # fmt: skip
    assert moved["summary"] == {"total": 3, "successful": 1, "failed": 2}
    assert [e["code"] for e in moved["errors"]] == ["not_media_owner", "media_not_found"]
    assert _row(media_db, own_file["id"])["folder"] == "archive"  # type: ignore[index]
    assert _row(media_db, theirs["id"])["folder"] == "uploads"  # type: ignore[index]
    deleted = media_client.post(
        "/api/media/bulk-delete", headers=people["editor"],
        json={"fileIds": [own_file["id"], theirs["id"]]},
    ).json()  # fmt: skip
    assert deleted["summary"] == {"total": 2, "successful": 2, "failed": 0}
    again = media_client.post(
        "/api/media/bulk-delete", headers=people["editor"], json={"fileIds": [own_file["id"]]}
    ).json()
    assert again["deleted"][0]["alreadyDeleted"] is True


BAD_BULK = [
    ("/api/media/bulk-delete", {"fileIds": []}, 400, "no_ids"),
    ("/api/media/bulk-delete", {"fileIds": [f"id{i}" for i in range(51)]}, 400, "too_many_ids"),
    ("/api/media/bulk-delete", {"ids": ["x"]}, 422, "validation_failed"),
    ("/api/media/bulk-move", {"fileIds": [f"id{i}" for i in range(51)], "folder": "a"}, 400,
     "too_many_ids"),
    ("/api/media/bulk-move", {"fileIds": ["x"], "folder": "Bad Folder"}, 422, "invalid_folder"),
    ("/api/media/bulk-move", {"fileIds": ["x"]}, 422, "validation_failed"),
    ("/api/media/create-folder", {"folderName": "Has Spaces"}, 422, "invalid_folder"),
    ("/api/media/create-folder", {"folderName": ""}, 400, "no_folder_name"),
    ("/api/media/create-folder", {}, 422, "validation_failed"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "payload", "status", "code"), BAD_BULK)
def test_bad_bulk_requests_change_nothing(
    media_client: TestClient, media_db: Database, media_storage: Storage,
    people: dict[str, dict[str, str]], own_file: dict[str, Any],
    path: str, payload: dict[str, Any], status: int, code: str,
):  # fmt: skip
    before, keys = _row(media_db, own_file["id"]), stored_keys(media_storage)
    response = media_client.post(path, headers=people["editor"], json=payload)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert _row(media_db, own_file["id"]) == before
    assert stored_keys(media_storage) == keys


def test_create_folder_then_list_folders(
    media_client: TestClient, people: dict[str, dict[str, str]], own_file: dict[str, Any]
):
    created = media_client.post(
        "/api/media/create-folder", headers=people["author"], json={"folderName": "press-kit"}
    )
    assert created.status_code == 200
    assert created.json()["folder"] == "press-kit"
    duplicate = media_client.post(
        "/api/media/create-folder", headers=people["author"], json={"folderName": "uploads"}
    )
    assert duplicate.status_code == 409
    folders = media_client.get("/api/media/folders", headers=people["viewer"]).json()["data"]
    assert folders == [
        {"folder": "press-kit", "count": 0, "totalSize": 0},
        {"folder": "uploads", "count": 1, "totalSize": own_file["size"]},
    ]
    viewer = media_client.post(
        "/api/media/create-folder", headers=people["viewer"], json={"folderName": "x"}
    )
    assert viewer.status_code == 403
