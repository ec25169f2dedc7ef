"""demo-login runs only with SONIC_ENV=development: an allow-list, enforced at activation and
again whenever the plugins table says it is active (a database copied from development)."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from sonic_cms.actors import SYSTEM
from sonic_cms.api.app import create_app
from sonic_cms.cli.main import app as cli
from sonic_cms.clock import FrozenClock
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.errors import Conflict
from sonic_cms.extensions import lifecycle
from sonic_cms.plugins.registry import PluginRegistry, discover
from tests.conftest import make_settings
from tests.utils.auth import bearer_headers

CREDENTIALS = "/api/plugins/demo-login/credentials"


def as_system_in(ctx: Context, db_url: str, env: str) -> tuple[Context, PluginRegistry]:
    """The system's context with ``SONIC_ENV=env``, and the built-in plugins' registry."""
    settings = make_settings(db_url, env=env)
    return replace(ctx, settings=settings).acting_as(SYSTEM), discover(autoload=False)


def status(db: Database) -> str:
    with db.read() as conn:
        return str(
            conn.exec_driver_sql("SELECT status FROM plugins WHERE name = 'demo-login'").scalar()
        )


@pytest.mark.parametrize("env", ["test", "staging", "production", "Development", "dev", ""])
def test_activation_is_refused_outside_development(
    env: str, db_url: str, db: Database, ctx: Context
):
    system, registry = as_system_in(ctx, db_url, env)
    lifecycle.install(system, registry, "demo-login")
    with pytest.raises(Conflict) as caught:
        lifecycle.activate(system, registry, "demo-login")
    assert caught.value.code == "plugin_not_allowed_in_env"
    assert caught.value.status == 409
    assert status(db) == "inactive"


def test_activation_in_development_works(db_url: str, db: Database, ctx: Context):
    system, registry = as_system_in(ctx, db_url, "development")
    lifecycle.install(system, registry, "demo-login")
    lifecycle.activate(system, registry, "demo-login")
    assert status(db) == "active"


def test_activation_over_the_api_outside_development_is_409(
    client: TestClient, db: Database, settings, clock: FrozenClock
):
    assert settings.env == "test"
    admin = bearer_headers(db, settings, clock, "admin")
    assert client.post("/admin/api/plugins/demo-login/install", headers=admin).status_code == 201
    refused = client.post("/admin/api/plugins/demo-login/activate", headers=admin)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "plugin_not_allowed_in_env"
    assert "development" in refused.json()["error"]
    assert client.get(CREDENTIALS).status_code == 404
    assert status(db) == "inactive"


def test_activation_from_the_cli_in_production_fails(
    db_url: str, db: Database, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("SONIC_CONFIG_FILE", "/nonexistent.toml")
    monkeypatch.setenv("SONIC_ENV", "production")
    monkeypatch.setenv("SONIC_SECRET_KEY", "production-secret-key-0123456789abcdefghij")
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(cli, [*args, "--database-url", db_url])

    assert run("plugins", "install", "demo-login").exit_code == 0
    refused = run("plugins", "activate", "demo-login")
    assert refused.exit_code == 1
    assert "SONIC_ENV" in refused.output and "development" in refused.output
    assert status(db) == "inactive"


def test_a_row_left_active_does_nothing_outside_development(
    db_url: str, db: Database, clock: FrozenClock, caplog: pytest.LogCaptureFixture
):
    """A database copied from development to production: the plugin stays off, with a warning."""
    development = make_settings(db_url, env="development")
    with TestClient(create_app(development, db=db, clock=clock)) as dev:
        admin = bearer_headers(db, development, clock, "admin")
        dev.post("/admin/api/plugins/demo-login/install", headers=admin)
        assert dev.post("/admin/api/plugins/demo-login/activate", headers=admin).status_code == 200
        assert dev.get(CREDENTIALS).status_code == 200
    production = make_settings(db_url, env="production")
    prod_app = create_app(production, db=db, clock=clock)
    with caplog.at_level(logging.WARNING, logger="sonic_cms.plugins"), TestClient(prod_app) as prod:
        hidden = prod.get(CREDENTIALS)
        assert hidden.status_code == 404
        assert "sonicjs!" not in hidden.text and "admin@example.com" not in hidden.text
    assert status(db) == "active"  # the row is the operator's to change; it is only ignored
    warnings = [r.getMessage() for r in caplog.records if "demo-login" in r.getMessage()]
    assert len(warnings) == 1 and "SONIC_ENV=production" in warnings[0]
