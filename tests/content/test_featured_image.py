"""``featured_image_id``: settable on create and PUT, checked against media, else following the
collection's image field in ``data`` (docs/content.md, "Featured image")."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from sonic_cms.db.schema.tables import MEDIA
from tests.content.helpers import counts, sync_examples
from tests.content.test_item_reads import add_media
from tests.utils.auth import bearer_headers


@pytest.fixture
def admin(client, db, settings, clock):
    sync_examples(db, clock)
    for media_id in ("img-a", "img-b", "img-c"):
        add_media(db, clock, media_id)
    return bearer_headers(db, settings, clock, "admin")


def _create(client, admin, **body):
    payload = {"collectionId": "blog-posts", "title": "Post", "data": {"content": "x"}, **body}
    response = client.post("/api/content", headers=admin, json=payload)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def _put(client, admin, item, **body):
    response = client.put(f"/api/content/{item['id']}", headers=admin, json=body)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def _stored(client, admin, item):
    return client.get(f"/api/content/{item['id']}", headers=admin).json()["data"]


def test_put_sets_it_explicitly(client, admin):
    item = _create(client, admin)
    assert item["featured_image_id"] is None
    # before issue 14 this PUT was a 400 "Unknown fields: featured_image_id"
    updated = _put(client, admin, item, featured_image_id="img-a")
    assert updated["featured_image_id"] == "img-a"
    assert _stored(client, admin, item)["featured_image_id"] == "img-a"


def test_explicit_value_wins_over_the_data_field_on_create(client, admin):
    data = {"content": "x", "featuredImage": "img-a"}
    item = _create(client, admin, data=data, featured_image_id="img-b")
    assert item["featured_image_id"] == "img-b"
    assert item["data"]["featuredImage"] == "img-a"


def test_without_it_the_data_field_fills_it_and_is_followed(client, admin):
    item = _create(client, admin, data={"content": "x", "featuredImage": "img-a"})
    assert item["featured_image_id"] == "img-a"
    moved = _put(client, admin, item, data={"content": "x", "featuredImage": "img-b"})
    assert moved["featured_image_id"] == "img-b"
    assert _put(client, admin, item, data={"content": "y"})["featured_image_id"] is None


def test_an_explicit_value_stays_through_data_edits(client, admin):
    item = _create(client, admin, data={"content": "x", "featuredImage": "img-a"})
    _put(client, admin, item, featured_image_id="img-c")
    edited = _put(client, admin, item, data={"content": "y", "featuredImage": "img-b"})
    assert edited["featured_image_id"] == "img-c"
    assert _put(client, admin, item, title="Renamed")["featured_image_id"] == "img-c"


def test_null_clears_it_and_it_stays_cleared(client, admin):
    item = _create(client, admin, data={"content": "x", "featuredImage": "img-a"})
    assert _put(client, admin, item, featured_image_id=None)["featured_image_id"] is None
    again = _put(client, admin, item, data={"content": "y", "featuredImage": "img-a"})
    assert again["featured_image_id"] is None


@pytest.mark.parametrize(
    ("value", "message"),
    [("no-such-media", "no such media"), (123, "must be a media id or null"), ("", "must be")],
)
def test_bad_values_are_422_and_write_nothing(client, admin, db, value, message):
    item = _create(client, admin)
    before = counts(db)
    for response in (
        client.post(
            "/api/content",
            headers=admin,
            json={
                "collectionId": "blog-posts",
                "title": "P",
                "data": {"content": "x"},
                "featured_image_id": value,
            },
        ),
        client.put(f"/api/content/{item['id']}", headers=admin, json={"featured_image_id": value}),
    ):
        assert response.status_code == 422, response.text
        details = response.json()["details"]
        assert [d["path"] for d in details] == ["featured_image_id"]
        assert details[0]["message"].startswith(message)
    assert counts(db) == before
    assert _stored(client, admin, item)["featured_image_id"] is None


def test_a_deleted_media_row_is_no_such_media(client, admin, db):
    with db.write() as conn:
        conn.execute(update(MEDIA).where(MEDIA.c.id == "img-c").values(deleted_at=1))
    item = _create(client, admin)
    response = client.put(
        f"/api/content/{item['id']}", headers=admin, json={"featured_image_id": "img-c"}
    )
    assert response.status_code == 422
