"""Content refers to live media only: the check content uses, and purge clearing references."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import insert, select

from sonic_cms.clock import FrozenClock
from sonic_cms.content.items import create_item
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Collection, Content
from sonic_cms.errors import ValidationFailed
from sonic_cms.media.manage import purge_media, soft_delete
from sonic_cms.media.upload import MediaMeta, upload_media
from sonic_cms.storage import Storage
from tests.content.helpers import context_on
from tests.media.helpers import image_bytes, media_count, stored_keys
from tests.utils.auth import actor_with_role


def test_content_refers_to_live_media_and_purge_clears_featured_image(
    ctx: Context, media_db: Database, media_storage: Storage, clock: FrozenClock
):
    editor = actor_with_role(media_db, clock, "editor")
    as_editor = ctx.acting_as(editor)
    item = upload_media(as_editor, io.BytesIO(image_bytes()), "hero.png", MediaMeta())
    now = clock.now_ms()
    with media_db.write() as conn:
        conn.execute(
            insert(Collection).values(
                id="posts", name="posts", display_name="Posts", created_at=now, updated_at=now,
                schema={"type": "object", "properties": {"featuredImage": {"type": "media"}}},
            )
        )  # fmt: skip
        conn.execute(
            insert(Content).values(
                id="c1", collection_id="posts", slug="hello", title="Hello", data={},
                author_id=editor.user_id, created_at=now, updated_at=now,
                featured_image_id=item["id"],
            )
        )  # fmt: skip
    body = {"collectionId": "posts", "title": "With image", "data": {"featuredImage": item["id"]}}
    live = create_item(context_on(media_db, clock, editor), body)
    assert live["featured_image_id"] == item["id"]
    soft_delete(as_editor, item["id"])
    with pytest.raises(ValidationFailed) as refused:
        create_item(context_on(media_db, clock, editor), {**body, "title": "Deleted image"})
    assert refused.value.details == [{"path": "data.featuredImage", "message": "no such media"}]
    purge_media(as_editor, item["id"])
    with media_db.read() as conn:
        featured = conn.execute(select(Content.featured_image_id)).scalars().all()
    assert featured == [None, None]
    assert media_count(media_db) == 0
    assert stored_keys(media_storage) == []
