"""``/admin/api/webhooks`` on both engines: the secret shown once, the SSRF rule, bad events and
URLs, non-admins refused; every refused write leaves the table as it was."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from sonic_cms.config import Settings
from sonic_cms.db.schema import WebhookEndpoint
from tests.conftest import make_settings
from tests.utils.auth import bearer_headers
from tests.webhooks.conftest import WEBHOOK_SETTINGS

BASE = "/admin/api/webhooks"
PUBLIC = "https://hooks.example.com/sonic"
NEW = {"url": PUBLIC, "events": ["content:create"]}


@pytest.fixture
def settings(db_url: str) -> Settings:
    """The production default: loopback refused too."""
    values = {**WEBHOOK_SETTINGS, "webhooks_allow_loopback": False, "webhooks_enabled": False}
    return make_settings(db_url, trusted_proxies="testclient", **values)


@pytest.fixture
def admin_headers(db, settings, clock) -> dict[str, str]:
    return bearer_headers(db, settings, clock, "admin")


def _count(db) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(WebhookEndpoint)).scalar_one())


def _stored_secret(db) -> str:
    with db.read() as conn:
        return str(conn.execute(select(WebhookEndpoint.secret)).scalar_one())


def test_create_shows_the_secret_once_and_never_again(client, admin_headers, db, monkeypatch):
    _public_dns(monkeypatch)
    body = {"url": PUBLIC, "events": ["content:create", "media:upload"], "description": "CI"}
    created = client.post(BASE, json=body, headers=admin_headers)
    assert created.status_code == 201, created.text
    data = created.json()["data"]
    assert data["secret"].startswith("whsec_") and len(data["secret"]) > 40
    assert data["events"] == ["content:create", "media:upload"] and data["is_active"] is True
    assert data["secret"] not in _stored_secret(db)  # encrypted at rest
    listed = client.get(BASE, headers=admin_headers).json()
    assert listed["meta"]["count"] == 1 and "secret" not in listed["data"][0]
    one = client.get(f"{BASE}/{data['id']}", headers=admin_headers).json()["data"]
    assert "secret" not in one and data["secret"] not in str(one)


def test_a_given_secret_is_kept_and_update_and_delete_work(client, admin_headers, monkeypatch):
    _public_dns(monkeypatch)
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    created = client.post(
        BASE,
        json={"url": PUBLIC, "events": ["auth:register"], "secret": secret},
        headers=admin_headers,
    ).json()["data"]
    assert created["secret"] == secret
    endpoint_id = created["id"]
    changed = client.put(
        f"{BASE}/{endpoint_id}",
        json={"is_active": False, "events": ["workflow:transition"], "description": "off"},
        headers=admin_headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["data"]["is_active"] is False
    assert changed.json()["data"]["events"] == ["workflow:transition"]
    test = client.post(f"{BASE}/{endpoint_id}/test", headers=admin_headers)
    assert test.status_code == 409 and test.json()["code"] == "webhook_disabled"
    deleted = client.delete(f"{BASE}/{endpoint_id}", headers=admin_headers)
    assert deleted.json()["data"] == {"id": endpoint_id, "deleted": True}
    missing = client.get(f"{BASE}/{endpoint_id}", headers=admin_headers)
    assert missing.status_code == 404 and missing.json()["code"] == "webhook_not_found"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8080/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://192.168.0.10/hook",
        "http://localhost:9000/hook",  # a name resolving to loopback
        "http://0.0.0.0/hook",
    ],
)
def test_private_loopback_and_metadata_addresses_are_refused(client, admin_headers, db, url):
    answer = client.post(
        BASE, json={"url": url, "events": ["content:create"]}, headers=admin_headers
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == "url_not_allowed"
    assert answer.json()["details"][0]["path"] == "url"
    assert _count(db) == 0


def test_an_update_to_a_private_address_is_refused(client, admin_headers, db, monkeypatch):
    _public_dns(monkeypatch)
    created = client.post(
        BASE, json={"url": PUBLIC, "events": ["content:create"]}, headers=admin_headers
    )
    endpoint_id = created.json()["data"]["id"]
    moved = client.put(
        f"{BASE}/{endpoint_id}", json={"url": "http://10.0.0.1/"}, headers=admin_headers
    )
    assert moved.status_code == 400 and moved.json()["code"] == "url_not_allowed"
    kept = client.get(f"{BASE}/{endpoint_id}", headers=admin_headers).json()["data"]
    assert kept["url"] == PUBLIC


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"url": PUBLIC, "events": ["content:explode"]}, "events"),
        ({"url": PUBLIC, "events": []}, "events"),
        ({"url": PUBLIC, "events": "content:create"}, "events"),
        ({"url": PUBLIC}, "events"),
        ({"events": ["content:create"]}, "url"),
        ({"url": "ftp://files.example.com/x", "events": ["content:create"]}, "url"),
        ({"url": "not a url", "events": ["content:create"]}, "url"),
        ({"url": "/relative/path", "events": ["content:create"]}, "url"),
        ({"url": "https://user:pw@hooks.example.com/", "events": ["content:create"]}, "url"),
        ({"url": "https://hooks.example.com/" + "a" * 3000, "events": ["content:create"]}, "url"),
        ({"url": PUBLIC, "events": ["content:create"], "secret": "hunter2"}, "secret"),
        ({"url": PUBLIC, "events": ["content:create"], "secret": "whsec_c2hvcnQ="}, "secret"),
        ({"url": PUBLIC, "events": ["content:create"], "collections": ["nope"]}, "collections"),
        ({"url": PUBLIC, "events": ["content:create"], "description": "a\x07b"}, "description"),
        ({"url": PUBLIC, "events": ["content:create"], "colour": "red"}, "colour"),
        ({"url": 42, "events": ["content:create"]}, "url"),
    ],
)
def test_bad_bodies_are_422_naming_the_field(client, admin_headers, db, monkeypatch, body, path):
    _public_dns(monkeypatch)
    answer = client.post(BASE, json=body, headers=admin_headers)
    assert answer.status_code == 422, answer.text
    error = answer.json()
    assert error["code"] == "validation_failed" and isinstance(error["error"], str)
    assert path in [d.get("path", "").split(".")[0] for d in error["details"]], error
    assert _count(db) == 0


@pytest.mark.parametrize("role", ["editor", "author", "viewer"])
def test_non_admins_are_refused(client, db, settings, clock, role, admin_headers, monkeypatch):
    _public_dns(monkeypatch)
    created = client.post(
        BASE, json={"url": PUBLIC, "events": ["content:create"]}, headers=admin_headers
    )
    endpoint_id = created.json()["data"]["id"]
    headers = bearer_headers(db, settings, clock, role)
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", BASE, None),
        ("POST", BASE, {"url": PUBLIC, "events": ["content:create"]}),
        ("GET", f"{BASE}/{endpoint_id}", None),
        ("PUT", f"{BASE}/{endpoint_id}", {"is_active": False}),
        ("DELETE", f"{BASE}/{endpoint_id}", None),
        ("GET", f"{BASE}/{endpoint_id}/deliveries", None),
        ("POST", f"{BASE}/{endpoint_id}/test", None),
    ]
    for method, url, body in calls:
        answer = client.request(method, url, json=body, headers=headers)
        assert answer.status_code == 403, (method, url, answer.text)
        assert answer.json()["code"] == "missing_permission"
    assert client.get(BASE).status_code == 401
    assert _count(db) == 1


def test_unknown_ids_are_404(client, admin_headers):
    assert client.get(f"{BASE}/nope/deliveries", headers=admin_headers).status_code == 404
    redo = client.post(f"{BASE}/events/msg_nope/redeliver", headers=admin_headers)
    assert redo.status_code == 404 and redo.json()["code"] == "webhook_event_not_found"


def _public_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let ``hooks.example.com`` resolve to a public address without a DNS server (the test
    machine has none): the lookup the SSRF rule makes is answered as a resolver would."""
    import socket

    real = socket.getaddrinfo

    def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "hooks.example.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port or 443))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
