"""Content writes over HTTP: validation, slugs, concurrency, auto-save, visibility, ETags."""

from __future__ import annotations

import pytest

from tests.content.helpers import PRODUCT_SCHEMA, counts, sync_examples
from tests.utils.auth import bearer_headers


@pytest.fixture
def admin(client, db, settings, clock):
    headers = bearer_headers(db, settings, clock, "admin")
    response = client.post(
        "/admin/api/collections",
        headers=headers,
        json={"name": "products", "display_name": "Products", "schema": PRODUCT_SCHEMA},
    )
    assert response.status_code == 201
    return headers


def _create(client, headers, **body):
    payload = {"collectionId": "products", "title": "Thing", **body}
    return client.post("/api/content", headers=headers, json=payload)


def test_invalid_data_gets_422_with_one_entry_per_field(client, admin, db):
    before = counts(db)
    response = _create(client, admin, data={"price": -5, "category": "food"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed"
    assert [d["path"] for d in body["details"]] == ["data.category", "data.price"]
    assert counts(db) == before


def test_slug_is_generated_unicode_aware_and_numbered_when_taken(client, admin):
    first = _create(client, admin, title="Crème Brûlée!").json()["data"]
    second = _create(client, admin, title="Crème Brûlée!").json()["data"]
    assert (first["slug"], second["slug"]) == ("crème-brûlée", "crème-brûlée-2")


def test_explicit_duplicate_slug_is_409(client, admin):
    assert _create(client, admin, slug="same").status_code == 201
    response = _create(client, admin, slug="same")
    assert response.status_code == 409 and response.json()["code"] == "slug_taken"


def test_check_slug(client, admin):
    item = _create(client, admin, slug="taken").json()["data"]
    url = "/api/content/check-slug?collectionId=products&slug=taken"
    assert client.get(url, headers=admin).json() == {"available": False}
    assert client.get(url + f"&excludeId={item['id']}", headers=admin).json() == {"available": True}


def test_stale_if_match_is_412_and_stale_version_is_409(client, admin, clock):
    item = _create(client, admin).json()["data"]
    url = f"/api/content/{item['id']}"
    etag = client.get(url, headers=admin).headers["ETag"]
    clock.advance(5)
    assert (
        client.put(url, headers={**admin, "If-Match": etag}, json={"title": "A"}).status_code == 200
    )
    stale = client.put(url, headers={**admin, "If-Match": etag}, json={"title": "B"})
    assert stale.status_code == 412
    conflict = client.put(url, headers=admin, json={"title": "C", "version": 1})
    assert conflict.status_code == 409 and conflict.json()["code"] == "version_conflict"
    assert client.get(url, headers=admin).json()["data"]["title"] == "A"


def test_if_none_match_gives_304(client, admin):
    item = _create(client, admin, status="published").json()["data"]
    url = f"/api/content/{item['id']}"
    etag = client.get(url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


def test_auto_saves_write_no_version_and_the_save_one(client, admin, clock):
    """Auto-saves keep the caller's working copy (issue 15); the Save that ends them writes
    the item and one version, and clears the copy."""
    item = _create(client, admin).json()["data"]
    url = f"/api/content/{item['id']}"
    for price in (1, 2, 3):
        clock.advance(1)
        saved = client.put(
            url, headers=admin, json={"data": {"price": price}, "is_auto_saved": True}
        )
        assert saved.json()["data"]["version_number"] == 1
        assert saved.json()["data"]["data"] == item["data"]
    assert client.get(f"{url}/autosave", headers=admin).json()["data"]["data"] == {"price": 3}
    clock.advance(1)
    final = client.put(url, headers=admin, json={"data": {"price": 4}})
    assert final.json()["data"]["version_number"] == 2
    versions = client.get(f"{url}/versions", headers=admin).json()["data"]
    assert [(v["version"], v["data"].get("price")) for v in versions] == [(2, 4), (1, None)]
    assert client.get(f"{url}/autosave", headers=admin).status_code == 404


def test_anonymous_never_sees_drafts_or_archived(client, admin):
    draft = _create(client, admin, title="Draft").json()["data"]
    archived = _create(client, admin, title="Old", status="archived").json()["data"]
    _create(client, admin, title="Live", status="published")
    titles = [i["title"] for i in client.get("/api/content").json()["data"]]
    assert titles == ["Live"]
    for item in (draft, archived):
        assert client.get(f"/api/content/{item['id']}").status_code == 404
        assert client.get(f"/api/content/{item['id']}/versions").status_code == 404


def test_author_edits_own_but_not_others_and_cannot_publish(client, admin, db, settings, clock):
    author = bearer_headers(db, settings, clock, "author")
    other = _create(client, admin, status="published").json()["data"]
    hidden = _create(client, admin, title="Hidden draft").json()["data"]
    mine = _create(client, author, title="Mine")
    assert mine.status_code == 201
    mine_id = mine.json()["data"]["id"]
    assert (
        client.put(f"/api/content/{mine_id}", headers=author, json={"title": "M2"}).status_code
        == 200
    )
    assert (
        client.put(f"/api/content/{other['id']}", headers=author, json={"title": "X"}).status_code
        == 403
    )
    assert (
        client.put(f"/api/content/{hidden['id']}", headers=author, json={"title": "X"}).status_code
        == 404
    )
    assert client.post(f"/api/content/{mine_id}/publish", headers=author).status_code == 403
    assert _create(client, author, status="published").status_code == 403


def test_references_and_media_must_exist(client, db, settings, clock):
    sync_examples(db, clock)
    admin = bearer_headers(db, settings, clock, "admin")
    bad = client.post(
        "/api/content",
        headers=admin,
        json={
            "collectionId": "faq",
            "title": "Q",
            "data": {"question": "Why though?", "answer": "a", "relatedPage": "missing"},
        },
    )
    assert bad.status_code == 422
    assert bad.json()["details"][0]["path"] == "data.relatedPage"
    page = client.post(
        "/api/content", headers=admin, json={"collectionId": "pages", "title": "About", "data": {}}
    ).json()["data"]
    good = client.post(
        "/api/content",
        headers=admin,
        json={
            "collectionId": "faq",
            "title": "Q",
            "data": {"question": "Why though?", "answer": "a", "relatedPage": page["id"]},
        },
    )
    assert good.status_code == 201, good.text
    post = client.post(
        "/api/content",
        headers=admin,
        json={
            "collectionId": "blog-posts",
            "title": "P",
            "data": {"content": "x", "featuredImage": "nope"},
        },
    )
    assert post.status_code == 422 and post.json()["details"][0]["path"] == "data.featuredImage"


def test_delete_collection_with_content_is_400(client, admin, db):
    _create(client, admin)
    before = counts(db)
    response = client.delete("/admin/api/collections/products", headers=admin)
    assert response.status_code == 400 and response.json()["code"] == "collection_not_empty"
    assert counts(db) == before


def test_delete_item(client, admin, db):
    item = _create(client, admin).json()["data"]
    assert client.delete(f"/api/content/{item['id']}", headers=admin).json() == {"success": True}
    assert counts(db)[1:] == (0, 0)


def test_unknown_collection_is_404_with_sonicjs_message(client):
    response = client.get("/api/collections/nope/content")
    assert response.status_code == 404 and response.json()["error"] == "Collection not found"


def test_stats(client, admin):
    _create(client, admin, status="published")
    _create(client, admin, title="Other")
    stats = client.get("/admin/api/stats", headers=admin).json()["data"]
    assert stats["by_status"] == {"draft": 1, "published": 1}
    assert stats["by_collection"][0]["total"] == 2
    assert client.get("/admin/api/stats").status_code == 401
