"""Media hooks: upload, delete (soft and purge) and transform, on each engine and backend."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Media
from sonic_cms.plugins.hooks import HookBus, HookContext
from sonic_cms.storage import Storage
from tests.media.helpers import image_bytes, media_count, stored_keys, upload
from tests.utils.auth import bearer_headers
from tests.utils.hook_recorder import Recorder, refuse, register_filter

MEDIA_HOOKS = ("media:upload", "media:delete", "media:transform")


@pytest.fixture
def editor(media_db: Database, media_settings: Settings, clock: FrozenClock) -> dict[str, str]:
    return bearer_headers(media_db, media_settings, clock, "editor")


@pytest.fixture
def bus(media_client: TestClient) -> HookBus:
    hooks: HookBus = media_client.app.state.ctx.hooks  # type: ignore[attr-defined]
    return hooks


def _row(db: Database, media_id: str) -> Any:
    with db.read() as conn:
        return conn.execute(select(Media).where(Media.id == media_id)).first()


def test_upload_fires_media_upload_and_a_filter_changes_what_is_stored(
    media_client: TestClient, media_db: Database, bus: HookBus, editor: dict[str, str]
):
    seen = Recorder(bus, *MEDIA_HOOKS)

    def label(payload: dict[str, Any], context: HookContext) -> dict[str, Any]:
        return {**payload, "alt": "labelled by a plugin", "tags": ["auto"], "size": 1}

    register_filter(bus, "media:upload", label)
    response = upload(media_client, editor, "pic.png", image_bytes(40, 30), alt="mine")
    assert response.status_code == 200, response.text
    item = response.json()["file"]
    filtered = seen.one("media:upload", "filter")
    assert filtered.had_connection
    assert filtered.payload["alt"] == "mine"
    assert (filtered.payload["mime_type"], filtered.payload["width"]) == ("image/png", 40)
    assert filtered.payload["r2_key"] == item["r2_key"]
    assert seen.one("media:upload", "action").payload == item
    row = _row(media_db, item["id"])
    assert (row.alt, row.tags) == ("labelled by a plugin", ["auto"])
    assert row.size != 1  # only alt, caption, tags and folder are a filter's to change
    assert seen.of("media:transform") == []  # the upload's thumbnail is part of the upload


def test_a_refused_upload_leaves_no_row_and_no_object(
    media_client: TestClient,
    media_db: Database,
    media_storage: Storage,
    bus: HookBus,
    editor: dict[str, str],
):
    seen = Recorder(bus, "media:upload")
    register_filter(bus, "media:upload", refuse("no cat pictures", status=415), "catblock")
    response = upload(media_client, editor, "cat.png", image_bytes())
    assert response.status_code == 415
    assert response.json()["details"] == [
        {"plugin": "catblock", "hook": "media:upload", "reason": "no cat pictures"}
    ]
    assert media_count(media_db) == 0
    assert stored_keys(media_storage) == []
    assert seen.of("media:upload", "action") == []


def test_a_filter_cannot_store_an_invalid_folder(
    media_client: TestClient, media_db: Database, bus: HookBus, editor: dict[str, str]
):
    register_filter(bus, "media:upload", lambda p, c: {**p, "folder": "../etc"})
    assert upload(media_client, editor, "pic.png", image_bytes()).status_code == 422
    assert media_count(media_db) == 0


def test_soft_delete_and_purge_fire_media_delete(
    media_client: TestClient,
    media_db: Database,
    media_storage: Storage,
    bus: HookBus,
    editor: dict[str, str],
):
    item = upload(media_client, editor, "pic.png", image_bytes()).json()["file"]
    seen = Recorder(bus, *MEDIA_HOOKS)
    assert media_client.delete(f"/api/media/{item['id']}", headers=editor).status_code == 200
    soft = seen.one("media:delete", "action")
    assert soft.extra == {"permanent": False}
    assert soft.payload["id"] == item["id"] and soft.payload["deleted_at"] is not None
    assert seen.one("media:delete", "filter").payload["deleted_at"] is None
    seen.calls.clear()
    purged = media_client.post(f"/api/media/{item['id']}/purge", headers=editor)
    assert purged.status_code == 200, purged.text
    assert seen.sequence() == [("media:delete", "filter"), ("media:delete", "action")]
    assert seen.one("media:delete", "action").extra == {"permanent": True}
    assert _row(media_db, item["id"]) is None
    assert stored_keys(media_storage) == []


def test_a_refused_delete_or_purge_changes_nothing(
    media_client: TestClient,
    media_db: Database,
    media_storage: Storage,
    bus: HookBus,
    editor: dict[str, str],
):
    item = upload(media_client, editor, "pic.png", image_bytes()).json()["file"]
    register_filter(bus, "media:delete", refuse("archive forever"), "archivist")
    refused = media_client.delete(f"/api/media/{item['id']}", headers=editor)
    assert refused.status_code == 403
    assert _row(media_db, item["id"]).deleted_at is None
    bulk = media_client.post(
        "/api/media/bulk-delete", headers=editor, json={"fileIds": [item["id"]]}
    )
    assert bulk.json()["errors"][0]["code"] == "cancelled_by_plugin"
    bus.unregister_plugin("archivist")
    assert media_client.delete(f"/api/media/{item['id']}", headers=editor).status_code == 200
    keys = stored_keys(media_storage)
    register_filter(bus, "media:delete", refuse("archive forever"), "archivist")
    assert media_client.post(f"/api/media/{item['id']}/purge", headers=editor).status_code == 403
    assert _row(media_db, item["id"]) is not None
    assert stored_keys(media_storage) == keys  # refused before any object was removed


def test_making_a_variant_fires_media_transform_once(
    media_client: TestClient, bus: HookBus, editor: dict[str, str]
):
    item = upload(media_client, editor, "pic.png", image_bytes(400, 200)).json()["file"]
    seen = Recorder(bus, *MEDIA_HOOKS)
    register_filter(bus, "media:transform", lambda p, c: {**p, "width": 50})
    response = media_client.get(f"{item['publicUrl']}?w=100")
    assert response.status_code == 200, response.text
    assert Image.open(io.BytesIO(response.content)).size == (50, 25)
    filtered = seen.one("media:transform", "filter")
    assert filtered.payload == {
        "media_id": item["id"],
        "source_key": item["r2_key"],
        "key": filtered.payload["key"],
        "mime_type": "image/webp",
        "width": 100,
        "height": None,
        "fit": "contain",
    }
    action = seen.one("media:transform", "action").payload
    assert (action["width"], action["size"]) == (50, len(response.content))
    assert media_client.get(f"{item['publicUrl']}?w=100").status_code == 200
    assert len(seen.of("media:transform")) == 2  # the stored variant is served, not remade


def test_a_refused_transform_is_a_4xx_and_stores_no_variant(
    media_client: TestClient, media_storage: Storage, bus: HookBus, editor: dict[str, str]
):
    item = upload(media_client, editor, "pic.png", image_bytes(400, 200)).json()["file"]
    keys = stored_keys(media_storage)
    register_filter(bus, "media:transform", refuse("originals only", status=403), "purist")
    response = media_client.get(f"{item['publicUrl']}?w=100")
    assert response.status_code == 403 and "purist" in response.json()["error"]
    assert stored_keys(media_storage) == keys
