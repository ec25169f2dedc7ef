from fastapi.testclient import TestClient

from sonic_cms.db import migrate


def test_health_reports_engine_and_migrations(client: TestClient, engine_name: str):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "running" and body["ready"] is True
    assert body["database"]["engine"] == engine_name.replace("postgres", "postgresql")
    assert body["migrations"]["current"] == migrate.head_revision()
    assert body["migrations"]["pending"] == []
    assert response.headers["x-request-id"]


def test_unknown_route_gets_json_envelope(client: TestClient):
    response = client.get("/no/such/route")
    assert response.status_code == 404
    assert response.json() == {"error": "Not Found", "code": "not_found", "details": []}


def test_request_id_is_echoed_when_safe_and_replaced_when_not(client: TestClient):
    assert (
        client.get("/health", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    replaced = client.get("/health", headers={"X-Request-ID": "bad id\r\n"}).headers["x-request-id"]
    assert replaced != "bad id" and len(replaced) == 32
