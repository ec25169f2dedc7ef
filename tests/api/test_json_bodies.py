"""One fault, one answer: a body that is not a JSON object gets 400 ``invalid_json`` naming
``body`` on every route, whether the route reads its body itself (``api.bodies``) or FastAPI
parses it into a model (issue 13 unified these: the model routes answered 422
``validation_failed``)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from sonic_cms.clock import Clock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from tests.utils.auth import bearer_headers

#: (method, path): model-body routes first, then routes that read the body themselves.
ROUTES = [
    ("POST", "/api/tokens"),
    ("POST", "/admin/api/users"),
    ("POST", "/api/media/bulk-delete"),
    ("POST", "/auth/login"),
    ("POST", "/api/content"),
]
BODIES = [
    (b"{not json", "Malformed JSON body"),
    (b'{"a": 1', "Malformed JSON body"),
    (b"", "Malformed JSON body"),
    (b"[]", "The body must be a JSON object"),
    (b'"text"', "The body must be a JSON object"),
    (b"42", "The body must be a JSON object"),
    (b"null", "The body must be a JSON object"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(("body", "message"), BODIES)
def test_a_body_that_is_not_a_json_object_is_one_error_everywhere(
    client: TestClient,
    db: Database,
    settings: Settings,
    clock: Clock,
    method: str,
    path: str,
    body: bytes,
    message: str,
) -> None:
    admin = bearer_headers(db, settings, clock, "admin")
    headers = {"content-type": "application/json", **admin}
    response = client.request(method, path, content=body, headers=headers)
    assert response.status_code == 400, response.text
    payload = response.json()
    assert payload["code"] == "invalid_json"
    assert payload["error"] == message
    assert [detail["path"] for detail in payload["details"]] == ["body"]
