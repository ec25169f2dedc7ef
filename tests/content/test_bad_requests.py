"""Every write route: bad input is a 4xx with a clear code and writes nothing."""

from __future__ import annotations

import pytest

from tests.content.helpers import PRODUCT_SCHEMA, counts
from tests.utils.auth import bearer_headers


@pytest.fixture
def env(client, db, settings, clock):
    admin = bearer_headers(db, settings, clock, "admin")
    client.post(
        "/admin/api/collections",
        headers=admin,
        json={"name": "products", "display_name": "Products", "schema": PRODUCT_SCHEMA},
    )
    item = client.post(
        "/api/content",
        headers=admin,
        json={"collectionId": "products", "title": "Existing", "slug": "existing"},
    ).json()["data"]
    return admin, item["id"]


DEEP = "[" * 2000 + "]" * 2000
BAD_REQUESTS = [
    # route, method, body (str = raw), content type, status, code
    ("/api/content", "POST", "{not json", "application/json", 400, "invalid_json"),
    ("/api/content", "POST", "[]", "application/json", 400, "invalid_json"),
    ("/api/content", "POST", '{"title": "x"}', "text/plain", 415, "unsupported_media_type"),
    ("/api/content", "POST", DEEP, "application/json", 400, "invalid_json"),
    (
        "/api/content",
        "POST",
        '{"collectionId": "products"}',
        "application/json",
        422,
        "validation_failed",
    ),
    (
        "/api/content",
        "POST",
        '{"collectionId": "nope", "title": "x"}',
        "application/json",
        404,
        "collection_not_found",
    ),
    (
        "/api/content",
        "POST",
        '{"collectionId": "products", "title": "x", "slug": "existing"}',
        "application/json",
        409,
        "slug_taken",
    ),
    (
        "/api/content",
        "POST",
        '{"collectionId": "products", "title": "x", "slug": "Bad Slug"}',
        "application/json",
        422,
        "validation_failed",
    ),
    (
        "/api/content",
        "POST",
        '{"collectionId": "products", "title": "x", "status": "live"}',
        "application/json",
        422,
        "validation_failed",
    ),
    (
        "/api/content",
        "POST",
        '{"collectionId": "products", "title": "x", "evil": 1}',
        "application/json",
        400,
        "unknown_field",
    ),
    (
        "/api/content",
        "POST",
        '{"collectionId": "products", "title": "x", "data": {"price": "cheap"}}',
        "application/json",
        422,
        "validation_failed",
    ),
    (
        "/api/content",
        "POST",
        '{"collectionId": "products", "title": "' + "x" * 2_000_000 + '"}',
        "application/json",
        413,
        "payload_too_large",
    ),
    ("/api/content/{id}", "PUT", '{"title": ""}', "application/json", 422, "validation_failed"),
    ("/api/content/{id}", "PUT", '{"data": []}', "application/json", 422, "validation_failed"),
    ("/api/content/{id}", "PUT", '{"version": 99}', "application/json", 409, "version_conflict"),
    ("/api/content/{id}", "PUT", "nope", "application/json", 400, "invalid_json"),
    ("/api/content/missing", "PUT", '{"title": "x"}', "application/json", 404, "content_not_found"),
    (
        "/api/content/{id}/rollback",
        "POST",
        '{"version": 9}',
        "application/json",
        404,
        "version_not_found",
    ),
    (
        "/api/content/{id}/rollback",
        "POST",
        '{"version": "1"}',
        "application/json",
        400,
        "invalid_version",
    ),
    ("/api/content/{id}/rollback", "POST", '{"v": 1}', "application/json", 400, "invalid_body"),
    (
        "/api/collections/products/content",
        "POST",
        '{"title": 5}',
        "application/json",
        422,
        "validation_failed",
    ),
    (
        "/api/collections/nope/content",
        "POST",
        '{"title": "x"}',
        "application/json",
        404,
        "collection_not_found",
    ),
    (
        "/admin/api/collections",
        "POST",
        '{"name": "Bad Name", "display_name": "x", "schema": {}}',
        "application/json",
        422,
        "validation_failed",
    ),
    (
        "/admin/api/collections",
        "POST",
        '{"name": "products", "display_name": "x", "schema": {}}',
        "application/json",
        409,
        "collection_exists",
    ),
    (
        "/admin/api/collections",
        "POST",
        '{"name": "x", "display_name": "x", "schema": {"properties": {"a": {"type": "nope"}}}}',
        "application/json",
        422,
        "validation_failed",
    ),
    (
        "/admin/api/collections/products",
        "PATCH",
        '{"name": "renamed"}',
        "application/json",
        422,
        "unknown_field",
    ),
    (
        "/admin/api/collections/products",
        "PATCH",
        '{"is_active": "yes"}',
        "application/json",
        422,
        "validation_failed",
    ),
    (
        "/admin/api/collections/nope",
        "PATCH",
        '{"display_name": "x"}',
        "application/json",
        404,
        "collection_not_found",
    ),
    ("/admin/api/collections/products", "DELETE", None, None, 400, "collection_not_empty"),
]


@pytest.mark.parametrize(
    ("route", "method", "body", "ctype", "status", "code"),
    BAD_REQUESTS,
    ids=[f"{m} {r} {c}" for r, m, _, _, _, c in BAD_REQUESTS],
)
def test_bad_write_changes_nothing(client, db, env, route, method, body, ctype, status, code):
    admin, item_id = env
    before = counts(db)
    headers = {**admin, **({"Content-Type": ctype} if ctype else {})}
    response = client.request(
        method,
        route.replace("{id}", item_id),
        headers=headers,
        content=body.encode() if body is not None else None,
    )
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert counts(db) == before


@pytest.mark.parametrize(
    ("method", "route"),
    [
        ("POST", "/api/content"),
        ("PUT", "/api/content/{id}"),
        ("DELETE", "/api/content/{id}"),
        ("POST", "/admin/api/collections"),
        ("POST", "/api/content/{id}/publish"),
    ],
)
def test_anonymous_writes_are_401(client, db, env, method, route):
    _, item_id = env
    before = counts(db)
    response = client.request(method, route.replace("{id}", item_id), json={"title": "x"})
    assert response.status_code == 401
    assert counts(db) == before
