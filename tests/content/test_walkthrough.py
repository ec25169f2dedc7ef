"""The README walkthrough, end to end over HTTP on both engines."""

from __future__ import annotations

from tests.content.helpers import PRODUCT_SCHEMA
from tests.utils.auth import bearer_headers


def test_readme_walkthrough(client, db, settings, clock):
    admin = bearer_headers(db, settings, clock, "admin")
    created = client.post(
        "/admin/api/collections",
        headers=admin,
        json={"name": "products", "display_name": "Products", "schema": PRODUCT_SCHEMA},
    )
    assert created.status_code == 201, created.text
    item = client.post(
        "/api/content",
        headers=admin,
        json={
            "collectionId": "products",
            "title": "Hammer",
            "data": {"price": 10, "category": "tools"},
        },
    )
    assert item.status_code == 201, item.text
    item_id = item.json()["data"]["id"]
    assert item.json()["data"]["slug"] == "hammer"
    assert client.get(f"/api/content/{item_id}").status_code == 404  # draft hidden
    published = client.post(f"/api/content/{item_id}/publish", headers=admin)
    assert published.json()["data"]["status"] == "published"
    anon = client.get(f"/api/content/{item_id}")
    assert anon.status_code == 200 and anon.json()["data"]["title"] == "Hammer"
    clock.advance(1000)
    first = client.put(f"/api/content/{item_id}", headers=admin, json={"data": {"price": 12}})
    assert first.status_code == 200, first.text
    clock.advance(1000)
    second = client.put(
        f"/api/content/{item_id}",
        headers=admin,
        json={"title": "Big hammer", "data": {"price": 15}},
    )
    assert second.json()["data"]["version_number"] == 3
    diff_url = f"/api/content/{item_id}/versions/diff?from=1&to=3"
    assert client.get(diff_url).status_code == 401  # history needs draft access
    diff = client.get(diff_url, headers=admin).json()["data"]
    changes = {c["field"]: (c["from"], c["to"]) for c in diff["changes"]}
    assert changes["title"] == ("Hammer", "Big hammer")
    assert changes["data.price"] == (10, 15)
    rolled = client.post(f"/api/content/{item_id}/rollback", headers=admin, json={"version": 1})
    assert rolled.status_code == 200, rolled.text
    assert rolled.json()["data"]["version_number"] == 4
    assert rolled.json()["data"]["title"] == "Hammer"
    versions = client.get(f"/api/content/{item_id}/versions", headers=admin).json()["data"]
    assert [v["version"] for v in versions] == [4, 3, 2, 1]
    fourth = client.get(f"/api/content/{item_id}/versions/4", headers=admin).json()["data"]
    assert fourth["data"]["price"] == 10
    listing = client.get("/api/collections/products/content").json()
    assert listing["meta"]["pagination"]["total"] == 1
