"""One rule for unknown query parameters (``sonic_cms.inputs.params.reject_unknown``): the
content list, which parses its query language in the service, and the routes that check their
parameters in the API answer alike, naming every unknown parameter and what is allowed. Before
issue 13 the content list named only the first one, with another message."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from sonic_cms.clock import Clock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from tests.utils.auth import bearer_headers

LISTS = ["/api/content", "/api/media", "/api/content/{missing}"]


@pytest.mark.parametrize("path", LISTS)
def test_every_unknown_parameter_is_named_with_what_is_allowed(
    client: TestClient, db: Database, settings: Settings, clock: Clock, path: str
) -> None:
    headers = bearer_headers(db, settings, clock, "admin")
    response = client.get(path, params={"zeta": "1", "alpha": "2"}, headers=headers)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "unknown_parameter"
    assert body["error"] == "Unknown query parameter(s): alpha, zeta"
    assert [detail["path"] for detail in body["details"]] == ["alpha", "zeta"]
    assert all("allowed: " in detail["message"] for detail in body["details"])


def test_a_huge_unknown_name_is_quoted_short(client: TestClient) -> None:
    response = client.get("/api/content", params={"x" * 5000: "1"})
    assert response.status_code == 400
    assert response.json()["details"][0]["path"] == "x" * 60


def test_the_content_list_still_takes_filter_families(client: TestClient) -> None:
    response = client.get("/api/content", params={"filter[title][eq]": "a"})
    assert response.status_code == 200, response.text
