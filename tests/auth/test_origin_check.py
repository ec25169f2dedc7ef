"""Cookie-authenticated writes must come from a configured origin, never from the request's Host.

An attacker who can make the server see ``Host: evil.example`` (a permissive proxy, DNS
rebinding) must not thereby make ``Origin: http://evil.example`` look like our own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from sonic_cms.api.app import create_app
from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings, origin_of
from sonic_cms.db.engine import Database
from tests.conftest import make_settings
from tests.utils.auth import TEST_PASSWORD, create_random_user

PUBLIC = "https://cms.example.com"


@contextmanager
def signed_in(
    db_url: str, db: Database, clock: FrozenClock, **overrides: object
) -> Iterator[tuple[TestClient, str, Settings]]:
    """A client of an app built with ``overrides``, and a fresh user's access token."""
    settings = make_settings(db_url, **overrides)
    user = create_random_user(db, clock)
    with TestClient(create_app(settings, db=db, clock=clock)) as client:
        login = client.post("/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
        assert login.status_code == 200, login.text
        yield client, login.json()["token"], settings


def cookie_write(client: TestClient, token: str, **headers: str):
    return client.patch(
        "/auth/me",
        json={"bio": "written"},
        headers={"Cookie": f"auth_token={token}", **headers},
    )


def test_an_origin_equal_to_a_spoofed_host_is_refused(
    db_url: str, db: Database, clock: FrozenClock
):
    with signed_in(db_url, db, clock, public_url=PUBLIC) as (client, token, _):
        spoofed = cookie_write(client, token, Host="evil.example", Origin="http://evil.example")
        assert spoofed.status_code == 403 and spoofed.json()["code"] == "csrf_failed"
        by_referer = cookie_write(
            client, token, Host="evil.example", Referer="http://evil.example/x"
        )
        assert by_referer.status_code == 403
        # TestClient's own origin is no longer trusted just because it is the Host.
        assert cookie_write(client, token, Origin="http://testserver").status_code == 403


def test_the_public_origin_is_allowed_in_its_spellings(
    db_url: str, db: Database, clock: FrozenClock
):
    with signed_in(db_url, db, clock, public_url=PUBLIC + "/cms/") as (client, token, _):
        for headers in (
            {"Origin": PUBLIC},
            {"Origin": "HTTPS://CMS.Example.com:443"},
            {"Referer": PUBLIC + "/admin/content?x=1"},
            {"Origin": "null", "Referer": PUBLIC + "/admin"},
            {"Origin": PUBLIC, "Host": "evil.example"},  # the Host plays no part either way
        ):
            response = cookie_write(client, token, **headers)
            assert response.status_code == 200, (headers, response.text)
        for origin in ("http://cms.example.com", "https://cms.example.com:8443", "https://x.com"):
            assert cookie_write(client, token, Origin=origin).status_code == 403, origin


def test_extra_trusted_origins_are_allowed(db_url: str, db: Database, clock: FrozenClock):
    extras = "https://admin.example.com, http://localhost:5173"
    with signed_in(db_url, db, clock, public_url=PUBLIC, csrf_trusted_origins=extras) as (
        client,
        token,
        _,
    ):
        assert cookie_write(client, token, Origin="https://admin.example.com").status_code == 200
        assert cookie_write(client, token, Origin="http://localhost:5173").status_code == 200
        assert cookie_write(client, token, Origin="http://localhost:5174").status_code == 403


def test_bearer_writes_need_no_origin(db_url: str, db: Database, clock: FrozenClock):
    with signed_in(db_url, db, clock, public_url=PUBLIC) as (client, token, _):
        response = client.patch(
            "/auth/me",
            json={"bio": "by bearer"},
            headers={
                "Authorization": f"Bearer {token}",
                "Origin": "http://evil.example",
                "Host": "evil.example",
            },
        )
        assert response.status_code == 200 and response.json()["user"]["bio"] == "by bearer"


def test_development_without_a_public_url_trusts_the_servers_own_addresses(
    db_url: str, db: Database, clock: FrozenClock
):
    with signed_in(db_url, db, clock, env="development", public_url="", port=8123) as (
        client,
        token,
        settings,
    ):
        assert settings.trusted_origins == {
            "http://127.0.0.1:8123",
            "http://localhost:8123",
            "http://[::1]:8123",
        }
        for origin in ("http://127.0.0.1:8123", "http://localhost:8123"):
            assert cookie_write(client, token, Origin=origin).status_code == 200, origin
        for origin in ("http://localhost:8000", "http://testserver", "https://localhost:8123"):
            assert cookie_write(client, token, Origin=origin).status_code == 403, origin
        spoof = cookie_write(client, token, Host="evil.example", Origin="http://evil.example")
        assert spoof.status_code == 403


def test_a_specific_bind_address_is_trusted_in_development(tmp_path):
    settings = make_settings("sqlite:///x.db", env="development", public_url="", host="10.0.0.5")
    assert "http://10.0.0.5:8000" in settings.trusted_origins
    wildcard = make_settings("sqlite:///x.db", env="development", public_url="", host="0.0.0.0")
    assert not any("0.0.0.0" in origin for origin in wildcard.trusted_origins)


def test_outside_development_without_a_public_url_nothing_is_trusted_and_a_warning_says_so(
    db_url: str, db: Database, clock: FrozenClock, caplog: pytest.LogCaptureFixture
):
    with (
        caplog.at_level(logging.WARNING, logger="sonic_cms"),
        signed_in(db_url, db, clock, public_url="") as (client, token, settings),
    ):
        assert settings.env == "test" and settings.trusted_origins == frozenset()
        for origin in ("http://127.0.0.1:8000", "http://testserver", "http://localhost:8000"):
            assert cookie_write(client, token, Origin=origin).status_code == 403, origin
    assert any("SONIC_PUBLIC_URL is not set" in r.getMessage() for r in caplog.records)


def test_mail_links_default_to_the_servers_port():
    assert make_settings("sqlite:///x.db", public_url="", port=9000).site_url == (
        "http://127.0.0.1:9000"
    )
    assert make_settings("sqlite:///x.db", public_url=PUBLIC + "/cms/").site_url == (
        PUBLIC + "/cms"
    )


@pytest.mark.parametrize(
    "value",
    ["cms.example.com", "javascript:alert(1)", "ftp://cms.example.com", "https://", "http://a:x"],
)
def test_a_public_url_that_is_no_http_origin_is_a_configuration_error(value: str):
    with pytest.raises(ValidationError, match="public_url"):
        make_settings("sqlite:///x.db", public_url=value)
    with pytest.raises(ValidationError, match="csrf_trusted_origins"):
        make_settings("sqlite:///x.db", csrf_trusted_origins=f"https://ok.example, {value}")


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://CMS.example.com/a/b?c", "https://cms.example.com"),
        ("http://localhost:80", "http://localhost"),
        ("https://x.example:443/", "https://x.example"),
        ("http://[::1]:8000", "http://[::1]:8000"),
        ("https://user@x.example", None),
        ("null", None),
        ("http://x.example:99999", None),
    ],
)
def test_origin_of(url: str, origin: str | None):
    assert origin_of(url) == origin
