"""Every integer a client sends is range-checked: a 400 (parameter) or 422 (body field) naming it.

The parameter walk reads the app's own OpenAPI document, plugin routes included, so a route
added later with a bare ``int`` parameter (no ``int_query``/``int_path`` bounds) fails here
without anyone listing it.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from tests.content.helpers import sync_examples
from tests.utils.auth import bearer_headers

HOSTILE = [2**63, -(2**63) - 1, 10**20, "1.5", "x", "²"]
#: Operations known to take integer parameters: the walk must find at least these.
KNOWN = {
    ("get", "/api/content/{item_id}/versions/{number}", "number"),
    ("get", "/api/content/{item_id}/versions/diff", "to"),
    ("get", "/api/schedules", "offset"),
    ("get", "/api/content", "offset"),
    ("get", "/api/collections/{name}/content", "page"),
    ("get", "/api/media", "page"),
    ("get", "/admin/api/logs", "limit"),
    ("get", "/api/plugins/faq/", "limit"),
}


@pytest.fixture
def admin(db: Database, settings: Settings, clock: FrozenClock) -> dict[str, str]:
    return bearer_headers(db, settings, clock, "admin")


@pytest.fixture
def item_id(client: TestClient, db: Database, clock: FrozenClock, admin: dict[str, str]) -> str:
    sync_examples(db, clock)
    created = client.post(
        "/api/content",
        headers=admin,
        json={"collectionId": "blog-posts", "title": "T", "data": {"content": "body"}},
    )
    assert created.status_code == 201, created.text
    for plugin_step in ("install", "activate"):
        step = client.post(f"/admin/api/plugins/faq/{plugin_step}", headers=admin)
        assert step.status_code in (200, 201), step.text
    return str(created.json()["data"]["id"])


def _is_integer(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "integer" or any(_is_integer(s) for s in schema.get("anyOf", []))


def integer_parameters(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], list]]:
    """(method, path, parameter, all parameters) for every integer parameter in the document."""
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            parameters = operation.get("parameters", [])
            for parameter in parameters:
                if _is_integer(parameter.get("schema", {})):
                    found.append((method, path, parameter, parameters))
    return found


def _request(
    path: str, target: dict[str, Any], parameters: list[dict[str, Any]], value: Any, ids: dict
) -> tuple[str, dict[str, str]]:
    """The URL and query with ``value`` in ``target`` and valid values everywhere else."""
    query: dict[str, str] = {}
    for parameter in parameters:
        given = str(value) if parameter is target else None
        if parameter["in"] == "path":
            filler = ids.get(parameter["name"], "1" if _is_integer(parameter["schema"]) else "x")
            path = path.replace(f"{{{parameter['name']}}}", given or filler)
        elif parameter["in"] == "query" and (given is not None or parameter.get("required")):
            query[parameter["name"]] = given or "1"
    return path, query


def test_every_integer_parameter_is_range_checked(
    client: TestClient, admin: dict[str, str], item_id: str
):
    document = client.get("/openapi.json").json()
    found = integer_parameters(document)
    assert {(m, p, param["name"]) for m, p, param, _ in found} >= KNOWN
    ids = {"item_id": item_id, "content_id": item_id, "name": "blog-posts", "key": "x.png"}
    failures = []
    for method, path, parameter, parameters in found:
        for value in HOSTILE:
            url, query = _request(path, parameter, parameters, value, ids)
            response = client.request(method.upper(), url, params=query, headers=admin)
            named = [d.get("path") for d in response.json().get("details", [])]
            if response.status_code != 400 or parameter["name"] not in named:
                failures.append(
                    f"{method} {path} {parameter['name']}={value}: "
                    f"{response.status_code} {response.text[:160]}"
                )
    assert not failures, "\n".join(failures)


def _cursor(value: int) -> str:
    raw = json.dumps(["created_at:desc", value, "x"]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    ("url", "params", "name"),
    [
        ("/admin/api/logs", {"end_date": str(2**63)}, "end_date"),
        ("/admin/api/logs/export", {"start_date": str(2**63)}, "start_date"),
        ("/admin/api/logs", {"status": "²00"}, "status"),
        ("/api/content", {"limit": "²"}, "limit"),
        ("/api/content", {"cursor": _cursor(2**63)}, "cursor"),
    ],
)
def test_integers_parsed_from_query_text_are_range_checked(
    client: TestClient, admin: dict[str, str], url: str, params: dict[str, str], name: str
):
    response = client.get(url, params=params, headers=admin)
    assert response.status_code == 400, response.text
    assert name in [d["path"] for d in response.json()["details"]]


def test_as_of_with_non_ascii_digits_is_a_400(
    client: TestClient, admin: dict[str, str], item_id: str
):
    response = client.get(f"/api/content/{item_id}", params={"as_of": "²"}, headers=admin)
    assert response.status_code == 400, response.text


@pytest.mark.parametrize(
    ("method", "suffix", "body", "field"),
    [
        ("POST", "rollback", {"version": 2**63}, "version"),
        ("POST", "schedule", {"action": "publish", "scheduled_at": 2**63}, "scheduled_at"),
        ("POST", "schedule", {"action": "publish", "scheduled_at": 10**17}, "scheduled_at"),
        ("PUT", "embargo", {"embargo_until": 2**64 - 1}, "embargo_until"),
    ],
)
def test_huge_integers_in_bodies_are_a_422_naming_the_field(
    client: TestClient,
    admin: dict[str, str],
    item_id: str,
    method: str,
    suffix: str,
    body: dict[str, Any],
    field: str,
):
    response = client.request(method, f"/api/content/{item_id}/{suffix}", headers=admin, json=body)
    assert response.status_code == 422, response.text
    assert [d["path"] for d in response.json()["details"]] == [field]


def test_huge_integers_in_content_data_are_stored_or_refused_never_a_500(
    client: TestClient, admin: dict[str, str], item_id: str
):
    for number in (2**63, 2**64 - 1, -(2**63)):
        response = client.put(
            f"/api/content/{item_id}",
            headers=admin,
            json={"data": {"content": "body", "views": number}},
        )
        assert response.status_code in (200, 422), response.text
        listed = client.get(
            "/api/collections/blog-posts/content",
            params={"filter[data.views][gt]": str(number)},
            headers=admin,
        )
        assert listed.status_code in (200, 400), listed.text
