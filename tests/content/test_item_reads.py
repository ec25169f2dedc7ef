"""Reading one item: by id and by slug, with ``include=`` and ``as_of``, on both engines."""

from __future__ import annotations

import pytest
from sqlalchemy import insert

from sonic_cms.db.schema import Media
from tests.content.helpers import sync_examples
from tests.utils.auth import bearer_headers, create_random_user

MINUTE = 60_000


def add_media(db, clock, media_id: str = "img-1") -> str:
    """A media row (no file: includes and references read the row only)."""
    uploader = create_random_user(db, clock, "admin").id
    with db.write() as conn:
        conn.execute(
            insert(Media),
            {
                "id": media_id,
                "filename": f"{media_id}.png",
                "original_name": "cover.png",
                "mime_type": "image/png",
                "size": 12,
                "r2_key": f"uploads/{media_id}.png",
                "public_url": f"/files/uploads/{media_id}.png",
                "uploaded_by": uploader,
                "uploaded_at": clock.now_ms(),
            },
        )
    return media_id


@pytest.fixture
def story(client, db, settings, clock):
    """A published post with a featured image, edited once after publishing, and a draft."""
    sync_examples(db, clock)
    admin = bearer_headers(db, settings, clock, "admin")
    image = add_media(db, clock)
    body = {
        "collectionId": "blog-posts",
        "title": "Crème Brûlée",
        "slug": "creme",
        "status": "published",
        "data": {"content": "first", "featuredImage": image},
    }
    made = client.post("/api/content", headers=admin, json=body)
    assert made.status_code == 201, made.text
    first_moment = clock.now_ms()
    clock.advance(MINUTE)
    item_id = made.json()["data"]["id"]
    edited = client.put(
        f"/api/content/{item_id}",
        headers=admin,
        json={"data": {"content": "2nd", "featuredImage": image}},
    )
    assert edited.status_code == 200, edited.text
    draft = {
        "collectionId": "blog-posts",
        "title": "Secret",
        "slug": "secret",
        "data": {"content": "x"},
    }
    assert client.post("/api/content", headers=admin, json=draft).status_code == 201
    return {"admin": admin, "id": item_id, "first": first_moment, "image": image}


SLUG_URL = "/api/collections/blog-posts/content/creme"


def test_by_slug_is_the_item_by_id_with_the_same_etag(client, story):
    by_id = client.get(f"/api/content/{story['id']}")
    by_slug = client.get(SLUG_URL)
    assert by_slug.status_code == 200, by_slug.text
    assert by_slug.json() == by_id.json()
    assert by_slug.json()["data"]["data"]["content"] == "2nd"
    assert by_slug.headers["ETag"] == by_id.headers["ETag"]
    again = client.get(SLUG_URL, headers={"If-None-Match": by_slug.headers["ETag"]})
    assert again.status_code == 304
    # anonymous repeats come from the response cache, as the id route's do
    assert client.get(SLUG_URL).headers["X-Cache-Status"] == "HIT"


def test_by_slug_takes_the_collection_id_too(client, story):
    collection_id = client.get(SLUG_URL).json()["data"]["collectionId"]
    url = f"/api/collections/{collection_id}/content/creme"
    assert client.get(url).json()["data"]["id"] == story["id"]


def test_a_draft_by_slug_is_hidden_like_an_unknown_slug(client, story):
    hidden = client.get("/api/collections/blog-posts/content/secret")
    unknown = client.get("/api/collections/blog-posts/content/nothing-here")
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json()["code"] == unknown.json()["code"] == "content_not_found"
    assert hidden.json()["error"] == "No item with slug 'secret' in collection 'blog-posts'"
    assert "nothing-here" in unknown.json()["error"]
    seen = client.get("/api/collections/blog-posts/content/secret", headers=story["admin"])
    assert seen.status_code == 200 and seen.json()["data"]["status"] == "draft"


def test_an_unknown_collection_is_404_naming_it(client, story):
    response = client.get("/api/collections/nope/content/creme")
    assert response.status_code == 404
    body = response.json()
    assert (body["error"], body["code"]) == ("Collection 'nope' not found", "collection_not_found")


def test_as_of_by_slug(client, story):
    past = client.get(SLUG_URL, params={"as_of": story["first"]})
    assert past.status_code == 200, past.text
    assert past.json()["data"]["data"]["content"] == "first"
    assert past.json()["data"]["version"] == 1


@pytest.mark.parametrize("url", ["/api/content/{id}", SLUG_URL])
def test_include_on_one_item_is_the_list_include(client, story, url):
    url = url.format(id=story["id"])
    include = {"include": "author,collection,featured_image"}
    one = client.get(url, params=include)
    assert one.status_code == 200, one.text
    listed = client.get(
        "/api/collections/blog-posts/content", params={**include, "filter[slug]": "creme"}
    ).json()["data"][0]
    assert one.json()["data"] == listed
    assert one.json()["data"]["featured_image"]["id"] == story["image"]
    assert one.json()["data"]["collection"]["name"] == "blog-posts"
    assert "email" not in one.json()["data"]["author"]
    signed_in = client.get(url, params=include, headers=story["admin"]).json()["data"]
    assert "email" in signed_in["author"]
    # an included relation is not part of the item's own version: the ETag is the body's
    assert one.headers["ETag"] != client.get(url).headers["ETag"]


def test_include_with_as_of(client, story):
    url = f"/api/content/{story['id']}"
    past = client.get(url, params={"as_of": story["first"], "include": "collection"})
    assert past.status_code == 200, past.text
    assert past.json()["data"]["collection"]["name"] == "blog-posts"
    assert past.json()["data"]["data"]["content"] == "first"


@pytest.mark.parametrize("url", ["/api/content/{id}", SLUG_URL])
@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"include": "reviewer"}, "invalid_parameter"),
        ({"fields": "id"}, "unknown_parameter"),
        ({"as_of": "yesterday"}, "bad_as_of"),
    ],
)
def test_bad_parameters_are_400(client, story, url, params, code):
    response = client.get(url.format(id=story["id"]), params=params)
    assert response.status_code == 400 and response.json()["code"] == code, response.text


@pytest.mark.parametrize("url", ["/api/content/{id}", SLUG_URL, "/api/content"])
def test_an_unknown_include_is_named_as_an_include_not_a_filter(client, story, url):
    body = client.get(url.format(id=story["id"]), params={"include": "reviewer"}).json()
    assert body["error"] == "Invalid include parameter", body
    assert body["details"][0]["path"] == "include" and "reviewer" in body["details"][0]["message"]
