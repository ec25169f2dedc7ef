"""Localised content through the API, on both engines: translations, reads in a locale with
fallback, per-locale slugs, non-translatable fields, and the default path unchanged."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from sonic_cms.db.schema.tables import CONTENT, VERSIONS
from tests.conftest import make_settings
from tests.utils.auth import bearer_headers

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "required": True, "maxLength": 200},
        "body": {"type": "markdown"},
        "sku": {"type": "string", "translatable": False},
        "price": {"type": "number", "min": 0, "translatable": False},
    },
    "required": ["title"],
}


@pytest.fixture
def settings(db_url: str):
    return make_settings(
        db_url, trusted_proxies="testclient", locales="en, fr, FR-ca, de", default_locale="en"
    )


@pytest.fixture
def site(client, db, settings, clock) -> dict[str, Any]:
    """A products collection and one published item in the default locale."""
    admin = bearer_headers(db, settings, clock, "admin")
    made = client.post(
        "/admin/api/collections",
        headers=admin,
        json={"name": "products", "display_name": "Products", "schema": SCHEMA},
    )
    assert made.status_code == 201, made.text
    item = client.post(
        "/api/content",
        headers=admin,
        json={
            "collectionId": "products",
            "title": "Hammer",
            "slug": "hammer",
            "status": "published",
            "data": {"body": "A hammer", "sku": "H-1", "price": 10},
        },
    )
    assert item.status_code == 201, item.text
    return {"admin": admin, "id": item.json()["data"]["id"]}


def translate(client, site, **body: Any) -> Any:
    return client.post(f"/api/content/{site['id']}/translations", headers=site["admin"], json=body)


def publish(client, site, item_id: str) -> None:
    answer = client.post(f"/api/content/{item_id}/publish", headers=site["admin"])
    assert answer.status_code == 200, answer.text


def rows_count(db) -> tuple[int, int]:
    with db.read() as conn:
        content = conn.execute(select(func.count()).select_from(CONTENT)).scalar_one()
        versions = conn.execute(select(func.count()).select_from(VERSIONS)).scalar_one()
    return content, versions


def test_a_translation_is_a_draft_row_with_its_own_slug_and_the_sources_data(client, site):
    made = translate(client, site, locale="fr", title="Marteau")
    assert made.status_code == 201, made.text
    item = made.json()["data"]
    assert item["locale"] == "fr"
    assert item["translationGroupId"] == site["id"]
    assert item["status"] == "draft"
    assert item["slug"] == "marteau"
    assert item["data"] == {"title": "Marteau", "body": "A hammer", "sku": "H-1", "price": 10}
    assert item["version_number"] == 1
    versions = client.get(f"/api/content/{item['id']}/versions", headers=site["admin"])
    assert [v["version"] for v in versions.json()["data"]] == [1]


def test_locale_tags_are_stored_in_canonical_case(client, site):
    made = translate(client, site, locale="fr-ca", title="Marteau QC")
    assert made.status_code == 201, made.text
    assert made.json()["data"]["locale"] == "fr-CA"


def test_the_same_slug_in_another_locale_is_allowed_and_refused_in_the_same(client, site):
    assert translate(client, site, locale="fr", title="Marteau", slug="hammer").status_code == 201
    again = translate(client, site, locale="de", title="Hammer", slug="hammer")
    assert again.status_code == 201, again.text
    other = client.post(
        "/api/content",
        headers=site["admin"],
        json={"collectionId": "products", "title": "Other", "slug": "other"},
    ).json()["data"]
    clash = client.post(
        f"/api/content/{other['id']}/translations",
        headers=site["admin"],
        json={"locale": "fr", "title": "Autre", "slug": "hammer"},
    )
    assert clash.status_code == 409
    assert clash.json()["code"] == "slug_taken"
    # the default locale keeps its rule: a new default item cannot take "hammer"
    default_clash = client.post(
        "/api/content",
        headers=site["admin"],
        json={"collectionId": "products", "title": "H", "slug": "hammer"},
    )
    assert default_clash.status_code == 409
    # and a default item may take a slug only a translation holds
    free = client.post(
        "/api/content",
        headers=site["admin"],
        json={"collectionId": "products", "title": "M", "slug": "marteau"},
    )
    assert free.status_code == 201, free.text


def test_editing_a_translation_slug_checks_its_own_locale_only(client, site):
    fr = translate(client, site, locale="fr", title="Marteau").json()["data"]
    moved = client.put(f"/api/content/{fr['id']}", headers=site["admin"], json={"slug": "hammer"})
    assert moved.status_code == 200, moved.text
    de = translate(client, site, locale="de", title="Hammer DE", slug="hammer-de").json()["data"]
    assert translate(client, site, locale="fr-CA", title="QC", slug="qc").status_code == 201
    taken = client.put(f"/api/content/{de['id']}", headers=site["admin"], json={"slug": "hammer"})
    assert taken.status_code == 200, "hammer is free in de"
    qc = client.get(f"/api/content/{site['id']}/translations", headers=site["admin"]).json()
    qc_id = next(t["id"] for t in qc["data"] if t["locale"] == "fr-CA")
    same = client.put(f"/api/content/{qc_id}", headers=site["admin"], json={"slug": "qc"})
    assert same.status_code == 200


def test_a_second_translation_in_one_locale_is_a_409(client, site, db):
    assert translate(client, site, locale="fr", title="Marteau").status_code == 201
    before = rows_count(db)
    again = translate(client, site, locale="FR", title="Marteau 2", slug="marteau-2")
    assert again.status_code == 409
    assert again.json()["code"] == "translation_exists"
    default = translate(client, site, locale="en", title="Hammer again", slug="hammer-2")
    assert default.status_code == 409
    assert rows_count(db) == before


@pytest.mark.parametrize(
    ("locale", "code"),
    [
        ("it", "locale_not_enabled"),
        ("../x", "invalid_locale"),
        ("fr_CA", "invalid_locale"),
        ("x" * 300, "invalid_locale"),
        ("frç", "invalid_locale"),
        ("", "invalid_locale"),
        (12, "invalid_locale"),
        (None, "invalid_locale"),
    ],
)
def test_bad_locales_are_a_400_naming_the_enabled_ones(client, site, db, locale, code):
    before = rows_count(db)
    answer = translate(client, site, locale=locale, title="T")
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["code"] == code
    assert body["details"][0]["enabled"] == ["en", "fr", "fr-CA", "de"]
    assert rows_count(db) == before
    if isinstance(locale, str):
        listed = client.get("/api/content", params={"locale": locale})
        assert listed.status_code == 400
        assert listed.json()["code"] == code
        read = client.get(f"/api/content/{site['id']}", params={"locale": locale})
        assert read.status_code == 400
        assert read.json()["code"] == code


@pytest.mark.parametrize(
    "body",
    [
        {"locale": "fr"},
        {"locale": "fr", "title": ""},
        {"locale": "fr", "title": "T", "slug": "Not A Slug"},
        {"locale": "fr", "title": "T", "data": {"body": 12}},
        {"locale": "fr", "title": "T", "data": {"unknown": 1}},
        {"locale": "fr", "title": "T", "data": []},
        {"locale": "fr", "title": "T", "status": "published"},
    ],
)
def test_bad_translation_bodies_are_a_422_and_write_nothing(client, site, db, body):
    before = rows_count(db)
    answer = client.post(
        f"/api/content/{site['id']}/translations", headers=site["admin"], json=body
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "validation_failed"
    assert rows_count(db) == before


def test_translating_needs_a_writer_and_a_readable_item(client, site, db, settings, clock):
    anonymous = client.post(
        f"/api/content/{site['id']}/translations", json={"locale": "fr", "title": "T"}
    )
    assert anonymous.status_code == 401
    viewer = bearer_headers(db, settings, clock, "viewer")
    denied = client.post(
        f"/api/content/{site['id']}/translations",
        headers=viewer,
        json={"locale": "fr", "title": "T"},
    )
    assert denied.status_code == 403
    missing = client.post(
        "/api/content/nope/translations", headers=site["admin"], json={"locale": "fr", "title": "T"}
    )
    assert missing.status_code == 404


def test_reads_without_locale_see_the_default_rows_only(client, site):
    fr = translate(client, site, locale="fr", title="Marteau", slug="hammer").json()["data"]
    publish(client, site, fr["id"])
    listed = client.get("/api/content", headers=site["admin"]).json()
    assert [i["id"] for i in listed["data"]] == [site["id"]]
    assert listed["meta"]["pagination"]["total"] == 1
    assert "locale" not in listed["data"][0] and "locale" not in listed["meta"]
    by_slug = client.get("/api/collections/products/content/hammer")
    assert by_slug.status_code == 200
    assert by_slug.json()["data"]["id"] == site["id"]
    assert "meta" not in by_slug.json()
    by_id = client.get(f"/api/content/{fr['id']}")
    assert by_id.json()["data"]["title"] == "Marteau", "an id names one row, whatever its locale"
    searched = client.get("/api/content", params={"search": "marteau"}).json()
    assert searched["data"] == []


def test_reads_in_a_locale_fall_back_along_the_chain(client, site):
    fr = translate(client, site, locale="fr", title="Marteau").json()["data"]
    publish(client, site, fr["id"])
    item = client.get(f"/api/content/{site['id']}", params={"locale": "fr-CA"})
    assert item.status_code == 200, item.text
    body = item.json()
    assert body["data"]["id"] == fr["id"]
    assert body["meta"] == {"locale": "fr", "requested": "fr-CA", "fallback": ["fr-CA", "fr", "en"]}
    german = client.get(f"/api/content/{fr['id']}", params={"locale": "de"}).json()
    assert german["data"]["id"] == site["id"]
    assert german["meta"]["locale"] == "en"
    listed = client.get("/api/content", params={"locale": "fr-ca"}).json()
    assert [(i["id"], i["locale"]) for i in listed["data"]] == [(fr["id"], "fr")]
    assert listed["meta"]["locale"] == "fr-CA"
    assert listed["meta"]["pagination"]["total"] == 1
    by_slug = client.get("/api/collections/products/content/marteau", params={"locale": "fr-CA"})
    assert by_slug.status_code == 200, by_slug.text
    assert by_slug.json()["data"]["id"] == fr["id"]
    not_in_de = client.get("/api/collections/products/content/marteau", params={"locale": "de"})
    assert not_in_de.status_code == 404
    english_slug = client.get("/api/collections/products/content/hammer", params={"locale": "fr"})
    assert english_slug.json()["data"]["id"] == fr["id"], "found by the default slug, read in fr"


def test_a_draft_translation_is_invisible_to_those_who_may_not_see_it(
    client, site, db, settings, clock
):
    fr = translate(client, site, locale="fr", title="Marteau secret").json()["data"]
    public = client.get(f"/api/content/{site['id']}", params={"locale": "fr"}).json()
    assert public["data"]["id"] == site["id"] and public["meta"]["locale"] == "en"
    listed = client.get("/api/content", params={"locale": "fr"}).json()
    assert [(i["id"], i["locale"]) for i in listed["data"]] == [(site["id"], "en")]
    assert client.get(f"/api/content/{fr['id']}").status_code == 404
    slug = client.get("/api/collections/products/content/marteau-secret", params={"locale": "fr"})
    assert slug.status_code == 404
    group = client.get(f"/api/content/{site['id']}/translations").json()
    assert [t["locale"] for t in group["data"]] == ["en"]
    assert group["meta"]["missing"] == ["fr", "fr-CA", "de"]
    editor = bearer_headers(db, settings, clock, "editor")
    seen = client.get(f"/api/content/{site['id']}", params={"locale": "fr"}, headers=editor)
    assert seen.json()["data"]["id"] == fr["id"]
    assert client.get("/api/content/search-nothing", params={"locale": "fr"}).status_code == 404
    full = client.get(f"/api/content/{site['id']}/translations", headers=editor).json()
    assert [(t["locale"], t["isSource"]) for t in full["data"]] == [("en", True), ("fr", False)]
    assert full["meta"]["missing"] == ["fr-CA", "de"]


def test_filters_and_search_apply_to_the_rows_of_the_locale(client, site):
    fr = translate(
        client, site, locale="fr", title="Marteau", data={"body": "Un marteau solide"}
    ).json()["data"]
    publish(client, site, fr["id"])
    found = client.get("/api/content", params={"locale": "fr", "search": "solide"}).json()
    assert [i["id"] for i in found["data"]] == [fr["id"]]
    english = client.get("/api/content", params={"locale": "fr", "search": "hammer"}).json()
    assert english["data"] == [], "the fr row answers for the item; the en text is not searched"
    filtered = client.get(
        "/api/collections/products/content", params={"locale": "fr", "filter[title][eq]": "Marteau"}
    ).json()
    assert [i["id"] for i in filtered["data"]] == [fr["id"]]


def test_non_translatable_fields_are_shared_by_the_group(client, site, db):
    fr = translate(
        client, site, locale="fr", title="Marteau", data={"body": "FR", "sku": "X", "price": 99}
    ).json()["data"]
    assert fr["data"]["sku"] == "H-1" and fr["data"]["price"] == 10, "the group's values win"
    edited = client.put(
        f"/api/content/{fr['id']}",
        headers=site["admin"],
        json={"data": {"body": "FR 2", "sku": "H-2", "price": 12}},
    )
    assert edited.status_code == 200, edited.text
    source = client.get(f"/api/content/{site['id']}", headers=site["admin"]).json()["data"]
    assert source["data"]["sku"] == "H-2" and source["data"]["price"] == 12
    assert source["data"]["body"] == "A hammer", "translatable fields stay per locale"
    assert source["version_number"] == 1, "the other rows get no version of their own"


def test_deleting_a_translation_keeps_the_source_and_deleting_the_source_the_group(
    client, site, db
):
    fr = translate(client, site, locale="fr", title="Marteau").json()["data"]
    de = translate(client, site, locale="de", title="Hammer DE").json()["data"]
    gone = client.delete(f"/api/content/{fr['id']}", headers=site["admin"])
    assert gone.status_code == 200
    group = client.get(f"/api/content/{site['id']}/translations", headers=site["admin"]).json()
    assert [t["locale"] for t in group["data"]] == ["en", "de"]
    assert client.delete(f"/api/content/{site['id']}", headers=site["admin"]).status_code == 200
    assert client.get(f"/api/content/{de['id']}", headers=site["admin"]).status_code == 404
    with db.read() as conn:
        left = conn.execute(select(func.count()).select_from(VERSIONS)).scalar_one()
    assert left == 0
    assert rows_count(db) == (0, 0)


def test_translating_a_translation_joins_the_same_group(client, site):
    fr = translate(client, site, locale="fr", title="Marteau").json()["data"]
    qc = client.post(
        f"/api/content/{fr['id']}/translations",
        headers=site["admin"],
        json={"locale": "fr-CA", "title": "Marteau QC"},
    )
    assert qc.status_code == 201, qc.text
    assert qc.json()["data"]["translationGroupId"] == site["id"]
    assert qc.json()["data"]["data"]["body"] == "A hammer"


def test_cached_reads_are_per_locale_and_a_translation_write_reaches_them(client, site):
    fr = translate(client, site, locale="fr", title="Marteau").json()["data"]
    publish(client, site, fr["id"])
    url = f"/api/content/{site['id']}"
    assert client.get(url, params={"locale": "fr"}).json()["data"]["title"] == "Marteau"
    assert client.get(url).json()["data"]["title"] == "Hammer"
    hit = client.get(url, params={"locale": "fr"})
    assert hit.headers["X-Cache-Status"] == "HIT"
    assert hit.json()["data"]["title"] == "Marteau"
    edited = client.put(
        f"/api/content/{fr['id']}", headers=site["admin"], json={"title": "Marteau neuf"}
    )
    assert edited.status_code == 200
    fresh = client.get(url, params={"locale": "fr"})
    assert fresh.json()["data"]["title"] == "Marteau neuf"
    assert client.get(url).json()["data"]["title"] == "Hammer"
    listed = client.get("/api/content", params={"locale": "fr"}).json()
    assert listed["data"][0]["title"] == "Marteau neuf"


def test_translatable_must_be_a_boolean(client, site):
    schema = {"type": "object", "properties": {"sku": {"type": "string", "translatable": "no"}}}
    answer = client.post(
        "/admin/api/collections",
        headers=site["admin"],
        json={"name": "bad", "display_name": "Bad", "schema": schema},
    )
    assert answer.status_code == 422
    paths = [d["path"] for d in answer.json()["details"]]
    assert any(p.endswith("sku.translatable") for p in paths), paths


def test_check_slug_answers_in_the_locale_of_the_item_being_edited(client, site):
    fr = translate(client, site, locale="fr", title="Marteau").json()["data"]
    other = client.post(
        "/api/content",
        headers=site["admin"],
        json={"collectionId": "products", "title": "Other", "slug": "other"},
    ).json()["data"]
    autre = client.post(
        f"/api/content/{other['id']}/translations",
        headers=site["admin"],
        json={"locale": "fr", "title": "Autre"},
    ).json()["data"]

    def free(slug: str, exclude: str | None = None) -> bool:
        params = {"collectionId": "products", "slug": slug}
        if exclude:
            params["excludeId"] = exclude
        answer = client.get("/api/content/check-slug", params=params, headers=site["admin"])
        assert answer.status_code == 200, answer.text
        return bool(answer.json()["available"])

    assert free("marteau"), "a new item is a default-locale row: fr slugs do not count"
    assert not free("hammer")
    assert not free("marteau", autre["id"]), "taken in fr, the locale of the item edited"
    assert free("hammer", autre["id"])
    assert free("marteau", fr["id"]), "its own slug"
