"""The app factory: migrations at start, body limits, error envelope, no state shared."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.testclient import TestClient
from pydantic import BaseModel

from sonic_cms.api.app import create_app
from sonic_cms.db import migrate
from sonic_cms.db.engine import Database
from tests.conftest import make_settings


class Echo(BaseModel):
    name: str


def app_with_echo(settings):
    app = create_app(settings)
    router = APIRouter()

    @router.post("/echo")
    async def echo(body: Echo) -> dict[str, str]:
        return {"name": body.name}

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    app.include_router(router)
    return app


def test_server_start_applies_pending_migrations(empty_db_url: str):
    settings = make_settings(empty_db_url, auto_migrate=True)
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").json()["migrations"]["pending"] == []
    db = Database(settings)
    assert migrate.current_revision(db) == migrate.head_revision()
    db.dispose()


def test_health_is_503_while_migrations_are_pending(empty_db_url: str):
    with TestClient(create_app(make_settings(empty_db_url))) as client:
        response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["migrations"]["pending"]


def test_oversize_body_is_413_by_header_and_by_stream(db_url: str):
    settings = make_settings(db_url, max_body_bytes=1024)
    with TestClient(app_with_echo(settings)) as client:
        big = b'{"name": "' + b"x" * 2000 + b'"}'
        declared = client.post("/echo", content=big, headers={"content-type": "application/json"})
        assert declared.status_code == 413
        assert declared.json()["code"] == "payload_too_large"

        def chunks():
            yield big[:600]
            yield big[600:]

        streamed = client.post(
            "/echo", content=chunks(), headers={"content-type": "application/json"}
        )
        assert streamed.status_code == 413


def test_malformed_json_into_a_model_is_400_invalid_json_with_envelope(db_url: str):
    with TestClient(app_with_echo(make_settings(db_url))) as client:
        response = client.post(
            "/echo", content=b"{not json", headers={"content-type": "application/json"}
        )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Malformed JSON body" and body["code"] == "invalid_json"
    assert [detail["path"] for detail in body["details"]] == ["body"]


def test_unexpected_error_is_500_without_internals(db_url: str):
    with TestClient(app_with_echo(make_settings(db_url)), raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert "secret internals" not in response.text
    assert response.json()["code"] == "internal_error"


def test_openapi_is_served(client: TestClient):
    assert client.get("/openapi.json").json()["info"]["title"] == "sonic-cms"
    assert client.get("/docs").status_code == 200
