"""Content refers to live media only: the check content uses, and purge clearing references."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import insert, select

from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Collection, Content
from sonic_cms.services.errors import ValidationFailed
from sonic_cms.services.media_manage import purge_media, soft_delete
from sonic_cms.services.media_queries import require_live_media
from sonic_cms.services.media_upload import MediaMeta, upload_media
from sonic_cms.storage import Storage
from tests.media.helpers import image_bytes, media_count, stored_keys
from tests.utils.auth import actor_with_role


def test_require_live_media_and_purge_clears_featured_image(
    media_db: Database, media_storage: Storage, media_settings: Settings, clock: FrozenClock
):
    editor = actor_with_role(media_db, clock, "editor")
    item = upload_media(
        media_db, media_storage, media_settings, clock, editor,
        io.BytesIO(image_bytes()), "hero.png", MediaMeta(),
    )  # fmt: skip
    now = clock.now_ms()
    with media_db.write() as conn:
        conn.execute(
            insert(Collection).values(
                id="posts", name="posts", display_name="Posts", schema={}, created_at=now,
                updated_at=now,
            )
        )  # fmt: skip
        conn.execute(
            insert(Content).values(
                id="c1", collection_id="posts", slug="hello", title="Hello", data={},
                author_id=editor.user_id, created_at=now, updated_at=now,
                featured_image_id=item["id"],
            )
        )  # fmt: skip
    with media_db.read() as conn:
        require_live_media(conn, [item["id"], ""])
    soft_delete(media_db, clock, editor, item["id"])
    with media_db.read() as conn, pytest.raises(ValidationFailed) as refused:
        require_live_media(conn, [item["id"], "missing"])
    assert refused.value.code == "media_not_found"
    assert [d["path"] for d in refused.value.details] == sorted([item["id"], "missing"])
    purge_media(media_db, media_storage, editor, item["id"])
    with media_db.read() as conn:
        featured = conn.execute(select(Content.featured_image_id)).scalar_one()
    assert featured is None
    assert media_count(media_db) == 0
    assert stored_keys(media_storage) == []
