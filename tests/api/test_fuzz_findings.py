"""Regressions for the 500s the schemathesis run (tests/api/test_schemathesis.py) found, each pinned
by a plain example on both engines: NULs in URLs and in JSON bodies (PostgreSQL cannot store or
compare them), version numbers past PostgreSQL's 32-bit INTEGER, and FAQ fields set to null
(the last in tests/plugins/test_faq_plugin.py)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from tests.utils.auth import bearer_headers, create_random_user, headers_for


@pytest.fixture
def admin(db: Database, settings: Settings, clock: FrozenClock) -> dict[str, str]:
    return bearer_headers(db, settings, clock, "admin")


@pytest.fixture
def item(client: TestClient, admin: dict[str, str]) -> str:
    """A published item with two versions in a fresh collection."""
    schema = {"type": "object", "properties": {"body": {"type": "string"}}}
    created = client.post(
        "/admin/api/collections",
        json={"name": "notes", "display_name": "Notes", "schema": schema},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    posted = client.post(
        "/api/content",
        json={"collectionId": "notes", "title": "v1", "status": "published"},
        headers=admin,
    )
    assert posted.status_code == 201, posted.text
    item_id = str(posted.json()["data"]["id"])
    assert client.put(f"/api/content/{item_id}", json={"title": "v2"}, headers=admin).is_success
    return item_id


@pytest.mark.parametrize(
    "url",
    [
        "/api/content/{item}%00",
        "/api/collections/notes%00/content",
        "/api/content?collection=notes%00",
        "/api/content/{item}/versions?x=%00",
        "/api/media/a%00b",
        "/admin/api/users/a%00b",
    ],
)
def test_a_nul_anywhere_in_the_url_is_400(
    client: TestClient, admin: dict[str, str], item: str, url: str
) -> None:
    response = client.get(url.format(item=item), headers=admin)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "bad_request"
    assert "NUL" in response.json()["error"]


def test_a_url_without_nul_still_reaches_its_route(
    client: TestClient, admin: dict[str, str], item: str
) -> None:
    """%0 and %000-like neighbours and a literal "00" are not NULs."""
    assert client.get(f"/api/content/{item}", headers=admin).status_code == 200
    listed = client.get("/api/content?search=%2500", headers=admin)
    assert listed.status_code == 200, listed.text


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/content", {"collectionId": "notes\x00", "title": "x"}),
        ("post", "/api/media/bulk-delete", {"fileIds": ["a\x00b"]}),
        ("post", "/api/media/bulk-move", {"fileIds": ["a\x00b"], "folder": "x"}),
        (
            "post",
            "/admin/api/collections",
            {"name": "nul", "display_name": "Nul", "schema": {"x\x00": {}, "properties": {}}},
        ),
    ],
)
def test_a_nul_in_a_json_body_is_never_a_500(
    client: TestClient,
    admin: dict[str, str],
    item: str,
    engine_name: str,
    method: str,
    path: str,
    body: Any,
) -> None:
    response = getattr(client, method)(path, json=body, headers=admin)
    assert response.status_code < 500, response.text
    if engine_name == "postgres":  # the engine cannot hold it: refused as invalid data
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "validation_failed"


@pytest.mark.parametrize(
    "url",
    [
        "/api/content/{item}/versions/2147483648",
        "/api/content/{item}/versions/9223372036854775807",
        "/api/content/{item}/versions/diff?from=2147483648&to=1",
        "/api/content/{item}/versions/diff?from=1&to=10562976773",
    ],
)
def test_a_version_number_past_32_bits_is_not_found(
    client: TestClient, admin: dict[str, str], item: str, url: str
) -> None:
    response = client.get(url.format(item=item), headers=admin)
    assert response.status_code == 404, response.text
    assert response.json()["code"] == "version_not_found"


def test_versions_inside_the_range_are_still_found(
    client: TestClient, admin: dict[str, str], item: str
) -> None:
    assert client.get(f"/api/content/{item}/versions/2", headers=admin).status_code == 200
    diff = client.get(f"/api/content/{item}/versions/diff?from=1&to=2", headers=admin)
    assert diff.status_code == 200 and diff.json()["data"]["changes"], diff.text


def test_a_huge_number_stored_in_jsonb_reads_back_without_a_500(client, db, settings, clock):
    """PostgreSQL gives 1.16e20 back as the integer 116564091269385950000, past orjson's range."""
    admin = create_random_user(db, clock, "admin")
    headers = headers_for(db, settings, clock, admin)
    created = client.post(
        "/admin/api/collections",
        json={
            "name": "nums",
            "display_name": "Nums",
            "schema": {"type": "object", "properties": {}},
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    body = (
        b'{"schema": {"type": "object", "properties": {"n": {"type": "number", '
        b'"default": 116564091269385945088}}}}'
    )
    patched = client.patch(
        "/admin/api/collections/nums",
        content=body,
        headers={**headers, "content-type": "application/json"},
    )
    assert patched.status_code == 200, patched.text
    default = patched.json()["data"]["schema"]["properties"]["n"]["default"]
    assert default == pytest.approx(1.16564091269385945e20)
    listed = client.get("/api/collections/nums", headers=headers)
    assert listed.status_code == 200, listed.text
