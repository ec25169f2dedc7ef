"""Keys of ``data`` the collection's schema does not declare: refused with 422 by default, kept
where a collection accepts them (``"additionalProperties": true``) and on rows that hold them."""

from __future__ import annotations

import orjson
import pytest
from sqlalchemy import update

from sonic_cms.actors import SYSTEM
from sonic_cms.content.bulk import bulk_create_items
from sonic_cms.content.collection_sync import sync_collections
from sonic_cms.db.schema.tables import COLLECTIONS, CONTENT
from tests.content.helpers import PRODUCT_SCHEMA, context_on, counts
from tests.utils.auth import bearer_headers, create_random_user

OPEN_SCHEMA = {**PRODUCT_SCHEMA, "additionalProperties": True}


@pytest.fixture
def admin(client, db, settings, clock):
    headers = bearer_headers(db, settings, clock, "admin")
    for name, schema in (("products", PRODUCT_SCHEMA), ("loose", OPEN_SCHEMA)):
        made = client.post(
            "/admin/api/collections",
            headers=headers,
            json={"name": name, "display_name": name.title(), "schema": schema},
        )
        assert made.status_code == 201, made.text
    return headers


def _create(client, headers, collection="products", status="draft", **data):
    return client.post(
        "/api/content",
        headers=headers,
        json={
            "collectionId": collection,
            "title": "Thing",
            "status": status,
            "data": {"price": 3, **data},
        },
    )


def test_an_undeclared_key_is_422_naming_it_and_nothing_is_stored(client, admin, db):
    before = counts(db)
    response = _create(client, admin, colour="red", size="L")
    # before issue 14 this was stored, and then filter[data.colour] was refused as unknown
    assert response.status_code == 422, response.text
    details = response.json()["details"]
    assert [d["path"] for d in details] == ["data.colour", "data.size"]
    assert "additionalProperties" in details[0]["message"]
    assert counts(db) == before


def test_an_update_adding_an_undeclared_key_is_422(client, admin):
    item = _create(client, admin).json()["data"]
    response = client.put(
        f"/api/content/{item['id']}", headers=admin, json={"data": {"price": 4, "colour": "red"}}
    )
    assert response.status_code == 422
    assert [d["path"] for d in response.json()["details"]] == ["data.colour"]


def test_a_collection_that_accepts_them_stores_returns_and_filters_them(client, admin):
    made = _create(client, admin, "loose", colour="red", status="published")
    assert made.status_code == 201, made.text
    item_id = made.json()["data"]["id"]
    assert client.get(f"/api/content/{item_id}", headers=admin).json()["data"]["data"] == {
        "title": "Thing",
        "price": 3,
        "colour": "red",
    }
    found = client.get(
        "/api/collections/loose/content", headers=admin, params={"filter[data.colour]": "red"}
    )
    assert found.status_code == 200, found.text
    assert [i["id"] for i in found.json()["data"]] == [item_id]
    refused = client.get("/api/collections/products/content", params={"filter[data.colour]": "x"})
    assert refused.status_code == 400 and refused.json()["code"] == "unknown_field"


def test_rows_that_already_hold_undeclared_keys_keep_them(client, admin, db):
    """Stored before the rule (or before a field left the schema): read as they are; an update
    may keep those keys, drop them, but not add new ones."""
    item_id = _create(client, admin).json()["data"]["id"]
    with db.write() as conn:
        conn.execute(
            update(CONTENT)
            .where(CONTENT.c.id == item_id)
            .values(data={"title": "Thing", "price": 3, "colour": "red"})
        )
    url = f"/api/content/{item_id}"
    assert client.get(url, headers=admin).json()["data"]["data"]["colour"] == "red"
    renamed = client.put(url, headers=admin, json={"title": "Renamed"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["data"]["data"]["colour"] == "red"
    kept = client.put(url, headers=admin, json={"data": {"price": 5, "colour": "blue"}})
    assert kept.status_code == 200, kept.text
    added = client.put(url, headers=admin, json={"data": {"colour": "blue", "size": "L"}})
    assert added.status_code == 422
    assert [d["path"] for d in added.json()["details"]] == ["data.size"]
    dropped = client.put(url, headers=admin, json={"data": {"price": 6}})
    assert dropped.status_code == 200 and "colour" not in dropped.json()["data"]["data"]


def test_a_field_removed_from_the_schema_stays_on_its_rows(client, admin, db):
    item_id = _create(client, admin, category="toys").json()["data"]["id"]
    narrower = {**PRODUCT_SCHEMA, "properties": dict(PRODUCT_SCHEMA["properties"])}
    del narrower["properties"]["category"]
    with db.write() as conn:
        conn.execute(
            update(COLLECTIONS).where(COLLECTIONS.c.name == "products").values(schema=narrower)
        )
    response = client.put(f"/api/content/{item_id}", headers=admin, json={"title": "Still"})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["data"]["category"] == "toys"


def test_additional_properties_must_be_a_boolean(client, admin):
    schema = {**PRODUCT_SCHEMA, "additionalProperties": {"type": "string"}}
    response = client.post(
        "/admin/api/collections",
        headers=admin,
        json={"name": "odd", "display_name": "Odd", "schema": schema},
    )
    assert response.status_code == 422
    assert [d["path"] for d in response.json()["details"]] == ["schema.additionalProperties"]


def test_bulk_import_follows_the_same_rule(ctx, db, clock, admin):
    author = create_random_user(db, clock, "editor").id
    items = [{"title": "A", "data": {"colour": "red"}}]
    report = bulk_create_items(
        ctx.acting_as(SYSTEM), "products", items, batch_size=10, author_id=author
    )
    assert report.created == 0
    assert [p.path for p in report.rejected[0].problems] == ["data.colour"]


@pytest.mark.parametrize(("accepts", "status"), [(True, 201), (False, 422)])
def test_config_managed_collections_follow_the_schema_rule(
    client, admin, db, clock, tmp_path, accepts, status
):
    schema = {"type": "object", "properties": {"body": {"type": "string"}}}
    if accepts:
        schema["additionalProperties"] = True
    config = {"name": "notes", "displayName": "Notes", "schema": schema}
    (tmp_path / "notes.json").write_bytes(orjson.dumps(config))
    results = sync_collections(context_on(db, clock), tmp_path)
    assert [r.status for r in results] == ["created"]
    response = client.post(
        "/api/content",
        headers=admin,
        json={"collectionId": "notes", "title": "N", "data": {"body": "b", "mood": "ok"}},
    )
    assert response.status_code == status, response.text
