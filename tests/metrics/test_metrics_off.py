"""With the default settings there is no /metrics and nothing is recorded."""

from __future__ import annotations

from fastapi.testclient import TestClient

from sonic_cms.db.engine import Database
from sonic_cms.metrics.definitions import REGISTRY


def test_metrics_are_off_by_default(client: TestClient) -> None:
    response = client.get("/metrics", headers={"Authorization": "Bearer anything-at-all-here"})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_without_metrics_nothing_is_recorded(client: TestClient, db: Database) -> None:
    name = "sonic_http_request_duration_seconds_count"
    labels = {"route": "/api/collections", "method": "GET", "status": "200"}
    requests = REGISTRY.get_sample_value(name, labels)
    queries = REGISTRY.get_sample_value("sonic_db_query_duration_seconds_count")
    assert client.get("/api/collections").status_code == 200
    with db.read() as conn:
        conn.exec_driver_sql("SELECT 1")
    assert REGISTRY.get_sample_value(name, labels) == requests
    assert REGISTRY.get_sample_value("sonic_db_query_duration_seconds_count") == queries
