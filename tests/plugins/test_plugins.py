"""Plugin lifecycle, validation, per-plugin migrations, routes, settings, built-ins, CLI."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select, text
from typer.testing import CliRunner

from sonic_cms.actors import SYSTEM
from sonic_cms.api.app import create_app
from sonic_cms.cli.main import app as cli
from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import (
    Permission,
    Plugin,
    PluginActivity,
    PluginAsset,
    PluginHook,
    PluginRoute,
)
from sonic_cms.errors import Conflict, Forbidden, NotFound, ValidationFailed
from sonic_cms.extensions import lifecycle
from sonic_cms.plugins import migrations as plugin_migrations
from sonic_cms.plugins.registry import PluginRegistry, discover
from sonic_cms.plugins.spec import HookSpec, PluginSpec
from sonic_cms.plugins.validation import validate_spec
from tests.conftest import make_settings
from tests.utils import plugins as test_plugins
from tests.utils.auth import actor_with_role, bearer_headers

EXTRA = [test_plugins.SPY, test_plugins.JUDGE]


def as_system(ctx: Context, *extra: PluginSpec) -> tuple[Context, PluginRegistry]:
    """What the lifecycle calls take: the system's context and a registry with ``extra``."""
    return ctx.acting_as(SYSTEM), discover(autoload=False, extra=extra or EXTRA)


def plugin_row(db: Database, name: str) -> Any:
    with db.read() as conn:
        return conn.execute(select(Plugin).where(Plugin.name == name)).mappings().first()


# -- validation ----------------------------------------------------------------------------

BASE = PluginSpec(name="ok", display_name="OK", version="1.0.0", author="a", category="c")


def noop(payload: Any, context: Any) -> None:
    return None


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"name": "Bad_Name"}, "must match"),
        ({"name": "has space"}, "must match"),
        ({"name": "admin"}, "reserved"),
        ({"name": "content"}, "reserved"),
        ({"name": "core"}, "reserved"),
        ({"version": "1.0"}, "semver"),
        ({"version": "v1.0.0"}, "semver"),
        ({"version": "01.0.0"}, "semver"),
        ({"display_name": " "}, "display_name"),
        ({"tables": ("users",), "migrations": test_plugins.SPY.migrations}, "core table"),
        ({"tables": ("content",), "migrations": test_plugins.SPY.migrations}, "core table"),
        ({"tables": ("alembic_version_x",), "migrations": test_plugins.SPY.migrations}, "core"),
        ({"tables": ("Bad-Table",), "migrations": test_plugins.SPY.migrations}, "must match"),
        ({"tables": ("things",)}, "no migrations"),
        ({"hooks": (HookSpec("content:explode", noop),)}, "not a standard hook"),
        ({"hooks": (HookSpec("content:create", noop, required=True),)}, "only filter"),
        ({"permissions": (("content.create", "x"),)}, "core area"),
        ({"permissions": (("nodot", "x"),)}, "area.action"),
        ({"dependencies": ("ok",)}, "itself"),
        ({"route_prefix": "auth/otp"}, "route_prefix"),
        ({"route_prefix": "/auth/../admin"}, "route_prefix"),
        ({"route_prefix": "/auth/otp/"}, "route_prefix"),
        ({"route_prefix": "/Auth"}, "route_prefix"),
    ],
)
def test_invalid_manifests_are_refused_with_the_reason(changes: dict[str, Any], problem: str):
    problems = validate_spec(replace(BASE, **changes))
    assert any(problem in p for p in problems), problems


def test_valid_manifests_pass():
    assert validate_spec(BASE) == []
    assert validate_spec(replace(BASE, version="2.10.3-beta.1+build.5")) == []
    assert validate_spec(test_plugins.SPY) == []
    assert validate_spec(replace(test_plugins.SPY, route_prefix="/auth/spy")) == []


def test_an_invalid_plugin_is_listed_with_its_problems_and_cannot_be_installed(
    db: Database, ctx: Context
):
    bad = replace(BASE, name="auth")
    system, reg = as_system(ctx, bad)
    listed = {p["name"]: p for p in lifecycle.list_plugins(system, reg)}
    assert listed["auth"]["status"] == "invalid"
    with pytest.raises(ValidationFailed) as caught:
        lifecycle.install(system, reg, "auth")
    assert caught.value.code == "invalid_plugin"
    assert plugin_row(db, "auth") is None


def test_dependency_cycles_are_refused(ctx: Context):
    a = replace(BASE, name="cyc-a", dependencies=("cyc-b",))
    b = replace(BASE, name="cyc-b", dependencies=("cyc-a",))
    system, reg = as_system(ctx, a, b)
    with pytest.raises(Conflict) as caught:
        lifecycle.install(system, reg, "cyc-a")
    assert caught.value.code == "dependency_cycle"
    assert "cyc-a -> cyc-b -> cyc-a" in caught.value.message


# -- lifecycle -----------------------------------------------------------------------------


def test_install_runs_migrations_and_records_hooks_routes_assets_permissions(
    db: Database, ctx: Context, clock: FrozenClock
):
    system, reg = as_system(ctx)
    row = lifecycle.install(system, reg, "spy")
    assert row["status"] == "inactive" and row["installed_at"] == clock.now_ms()
    with db.read() as conn:
        assert inspect(conn).has_table("spy_things")
        hooks = conn.execute(select(PluginHook.hook_name, PluginHook.handler_name)).all()
        routes = {(r.method, r.path) for r in conn.execute(select(PluginRoute))}
        assets = conn.execute(select(PluginAsset.asset_path)).scalars().all()
        permission = conn.execute(select(Permission.name).where(Permission.name == "spy.write"))
        recorded = (
            conn.execute(text("SELECT id FROM migrations WHERE id LIKE 'plugin:spy:%'"))
            .scalars()
            .all()
        )
        actions = conn.execute(select(PluginActivity.action)).scalars().all()
        assert permission.first() is not None
    assert hooks == [("content:create", "action:record_action")]
    assert ("POST", "/api/plugins/spy/things") in routes
    assert ("GET", "/api/plugins/spy/ping") in routes
    assert assets == ["/spy/spy.css"]
    assert recorded == ["plugin:spy:spy_0001"]
    assert actions == ["install"]
    assert plugin_migrations.current(db, "spy") == "spy_0001"


def test_install_twice_is_a_conflict(ctx: Context):
    system, reg = as_system(ctx)
    lifecycle.install(system, reg, "spy")
    with pytest.raises(Conflict) as caught:
        lifecycle.install(system, reg, "spy")
    assert caught.value.code == "already_installed"


def test_full_lifecycle_is_recorded_and_uninstall_drops_the_plugins_tables(
    db: Database, ctx: Context, clock: FrozenClock
):
    system, reg = as_system(ctx)
    lifecycle.install(system, reg, "spy")
    clock.advance(1000)
    active = lifecycle.activate(system, reg, "spy")
    assert active["status"] == "active" and active["activated_at"] == clock.now_ms()
    assert lifecycle.deactivate(system, reg, "spy")["status"] == "inactive"
    plugin_id = plugin_row(db, "spy")["id"]
    lifecycle.uninstall(system, reg, "spy")
    assert plugin_row(db, "spy") is None
    with db.read() as conn:
        assert not inspect(conn).has_table("spy_things")
        assert not inspect(conn).has_table("alembic_version_spy")
        left = conn.execute(select(PluginHook)).all() + conn.execute(select(PluginRoute)).all()
        actions = (
            conn.execute(
                select(PluginActivity.action)
                .where(PluginActivity.plugin_id == plugin_id)
                .order_by(PluginActivity.timestamp, PluginActivity.action)
            )
            .scalars()
            .all()
        )
        gone = conn.execute(select(Permission).where(Permission.name == "spy.write")).first()
    assert left == []
    assert sorted(actions) == sorted(["install", "activate", "deactivate", "uninstall"])
    assert gone is None


def test_uninstall_keep_data_keeps_the_table(db: Database, ctx: Context):
    system, reg = as_system(ctx)
    lifecycle.install(system, reg, "spy")
    lifecycle.uninstall(system, reg, "spy", keep_data=True)
    with db.read() as conn:
        assert inspect(conn).has_table("spy_things")


def test_dependencies_are_enforced(db: Database, ctx: Context):
    child = replace(BASE, name="child", dependencies=("judge",))
    system, reg = as_system(ctx, test_plugins.JUDGE, child)
    with pytest.raises(Conflict) as missing:
        lifecycle.install(system, reg, "child")
    assert missing.value.code == "missing_dependency"
    lifecycle.install(system, reg, "judge")
    lifecycle.install(system, reg, "child")
    with pytest.raises(Conflict) as inactive:
        lifecycle.activate(system, reg, "child")
    assert inactive.value.code == "dependency_inactive"
    assert plugin_row(db, "child")["status"] == "inactive"
    lifecycle.activate(system, reg, "judge")
    lifecycle.activate(system, reg, "child")
    with pytest.raises(Conflict) as needed:
        lifecycle.deactivate(system, reg, "judge")
    assert needed.value.code == "required_by_active_plugin"
    assert plugin_row(db, "judge")["status"] == "active"
    with pytest.raises(Conflict) as installed_dependent:
        lifecycle.uninstall(system, reg, "judge")
    assert installed_dependent.value.code == "required_by_installed_plugin"


def test_lifecycle_needs_plugins_manage(db: Database, ctx: Context, clock: FrozenClock):
    _, reg = as_system(ctx)
    editor = actor_with_role(db, clock, "editor")
    with pytest.raises(Forbidden):
        lifecycle.install(ctx.acting_as(editor), reg, "spy")
    assert plugin_row(db, "spy") is None


def test_settings_are_validated_by_the_plugins_model(ctx: Context):
    system, reg = as_system(ctx, test_plugins.SPY)
    lifecycle.install(system, reg, "demo-login")
    assert lifecycle.get_settings(system, "demo-login")["email"] == "admin@example.com"
    with pytest.raises(ValidationFailed) as caught:
        lifecycle.update_settings(system, reg, "demo-login", {"password": ""})
    assert caught.value.details[0]["path"] == "password"
    assert lifecycle.get_settings(system, "demo-login")["password"] == "sonicjs!"
    lifecycle.update_settings(system, reg, "demo-login", {"email": "demo@example.org"})
    assert lifecycle.get_settings(system, "demo-login")["email"] == "demo@example.org"


def test_core_plugins_cannot_be_uninstalled(ctx: Context):
    system, reg = as_system(ctx)
    lifecycle.install(system, reg, "cache")
    with pytest.raises(Conflict) as caught:
        lifecycle.uninstall(system, reg, "cache")
    assert caught.value.code == "core_plugin"


def test_unknown_plugin_is_404(ctx: Context):
    system, reg = as_system(ctx)
    with pytest.raises(NotFound):
        lifecycle.install(system, reg, "no-such-plugin")
    with pytest.raises(NotFound):
        lifecycle.activate(system, reg, "spy")


# -- over HTTP -----------------------------------------------------------------------------


@pytest.fixture
def app_client(settings: Settings, db: Database, clock: FrozenClock) -> Iterator[TestClient]:
    app = create_app(settings, db=db, clock=clock, plugins=EXTRA)
    with TestClient(app) as client:
        yield client


def test_the_cache_plugin_is_installed_and_active_on_first_start(
    app_client: TestClient, db: Database
):
    assert plugin_row(db, "cache")["status"] == "active"
    assert plugin_row(db, "cache")["is_core"]


def test_plugin_routes_exist_only_while_active_and_use_declared_permissions(
    app_client: TestClient, db: Database, settings: Settings, clock: FrozenClock
):
    admin = bearer_headers(db, settings, clock, "admin")
    editor = bearer_headers(db, settings, clock, "editor")
    assert app_client.get("/api/plugins/spy/ping").status_code == 404
    assert app_client.post("/admin/api/plugins/spy/install", headers=admin).status_code == 201
    assert app_client.get("/api/plugins/spy/ping").json()["code"] == "plugin_inactive"
    assert app_client.post("/admin/api/plugins/spy/activate", headers=admin).status_code == 200
    assert app_client.get("/api/plugins/spy/ping").json() == {"data": "pong"}
    refused = app_client.post("/api/plugins/spy/things", json={"title": "x"}, headers=editor)
    assert refused.status_code == 403
    done = app_client.post("/api/plugins/spy/things", json={"title": "x"}, headers=admin)
    assert done.status_code == 201
    assert app_client.post("/admin/api/plugins/spy/deactivate", headers=admin).status_code == 200
    assert app_client.get("/api/plugins/spy/ping").status_code == 404


def test_activation_on_another_process_is_seen_within_the_status_ttl(
    db: Database, settings: Settings, clock: FrozenClock, ctx: Context
):
    fast = settings.model_copy(update={"plugin_status_ttl_ms": 0})
    app = create_app(fast, db=db, clock=clock, plugins=EXTRA)
    with TestClient(app) as client:
        assert client.get("/api/plugins/spy/ping").status_code == 404
        system, reg = as_system(ctx)  # "another process": its own context and registry
        lifecycle.install(system, reg, "spy")
        lifecycle.activate(system, reg, "spy")
        assert client.get("/api/plugins/spy/ping").status_code == 200


def test_admin_plugin_api_lists_and_needs_permissions(
    app_client: TestClient, db: Database, settings: Settings, clock: FrozenClock
):
    admin = bearer_headers(db, settings, clock, "admin")
    viewer = bearer_headers(db, settings, clock, "viewer")
    listed = app_client.get("/admin/api/plugins", headers=admin).json()["data"]
    names = {p["name"]: p for p in listed}
    assert {"cache", "faq", "demo-login", "spy", "judge"} <= set(names)
    assert names["cache"]["status"] == "active"
    assert names["faq"]["status"] == "not_installed"
    assert app_client.get("/admin/api/plugins", headers=viewer).status_code == 403
    assert app_client.get("/admin/api/plugins").status_code == 401
    assert app_client.get("/admin/api/plugins/cache", headers=admin).json()["data"]["is_core"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("post", "/admin/api/plugins/nope/install", None, 404, "plugin_not_found"),
        ("post", "/admin/api/plugins/spy/activate", None, 404, "plugin_not_installed"),
        ("post", "/admin/api/plugins/spy/deactivate", None, 404, "plugin_not_installed"),
        ("delete", "/admin/api/plugins/spy", None, 404, "plugin_not_installed"),
        ("delete", "/admin/api/plugins/cache", None, 409, "core_plugin"),
        ("post", "/admin/api/plugins/cache/install", None, 409, "already_installed"),
        ("put", "/admin/api/plugins/cache/settings", {"warm_on_start": "x"}, 422, None),
        ("put", "/admin/api/plugins/cache/settings", [1, 2], 400, "invalid_json"),
        ("get", "/admin/api/plugins?x=1", None, 400, "unknown_parameter"),
    ],
)
def test_bad_plugin_requests(
    app_client: TestClient,
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    method: str,
    path: str,
    body: Any,
    status: int,
    code: str | None,
):
    admin = bearer_headers(db, settings, clock, "admin")
    with db.read() as conn:
        before = conn.execute(text("SELECT name, status, settings FROM plugins")).all()
    kwargs: dict[str, Any] = {"headers": admin}
    if body is not None:
        kwargs["json"] = body
    response = getattr(app_client, method)(path, **kwargs)
    assert response.status_code == status, response.text
    if code:
        assert response.json()["code"] == code
    with db.read() as conn:
        assert conn.execute(text("SELECT name, status, settings FROM plugins")).all() == before


def test_settings_round_trip_over_http(db_url: str, db: Database, clock: FrozenClock):
    settings = make_settings(db_url, env="development")  # demo-login runs nowhere else
    admin = bearer_headers(db, settings, clock, "admin")
    with TestClient(create_app(settings, db=db, clock=clock, plugins=EXTRA)) as app_client:
        app_client.post("/admin/api/plugins/demo-login/install", headers=admin)
        app_client.post("/admin/api/plugins/demo-login/activate", headers=admin)
        changed = app_client.put(
            "/admin/api/plugins/demo-login/settings",
            json={"email": "try@example.com"},
            headers=admin,
        )
        assert changed.status_code == 200
        stored = app_client.get("/admin/api/plugins/demo-login/settings", headers=admin)
        assert stored.json()["data"]["email"] == "try@example.com"
        creds = app_client.get("/api/plugins/demo-login/credentials").json()["data"]
        assert creds["email"] == "try@example.com"


# -- CLI -----------------------------------------------------------------------------------


def test_cli_install_activate_list_deactivate_uninstall(
    db_url: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("SONIC_CONFIG_FILE", "/nonexistent.toml")
    monkeypatch.setenv("SONIC_ENV", "development")
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(cli, [*args, "--database-url", db_url])

    for step in ("install", "activate"):
        result = run("plugins", step, "faq")
        assert result.exit_code == 0, result.output
    listed = run("plugins", "list")
    assert "faq" in listed.output and "active" in listed.output
    got = run("plugins", "settings", "get", "faq")
    assert got.exit_code == 0 and got.output.strip() == "{}"
    bad = run("plugins", "settings", "update", "demo-login", "email=x@example.com")
    assert bad.exit_code == 1 and "not installed" in bad.output
    assert run("plugins", "install", "demo-login").exit_code == 0
    wrong = run("plugins", "settings", "update", "demo-login", "password=")
    assert wrong.exit_code == 1 and "Invalid plugin settings" in wrong.output
    assert run("plugins", "deactivate", "faq").exit_code == 0
    assert run("plugins", "uninstall", "faq").exit_code == 0
    missing = run("plugins", "activate", "faq")
    assert missing.exit_code == 1 and "not installed" in missing.output


def test_a_worker_that_loses_the_core_install_race_still_starts(
    db: Database, ctx: Context, monkeypatch: pytest.MonkeyPatch
):
    """Two workers of one server check "is the cache plugin installed?" together; the one that
    installs second must not fail its start-up (it did, in the benchmark's 2-worker server)."""
    from sonic_cms.extensions.runtime import PluginRuntime

    registry = discover(autoload=False)
    with db.write() as conn:
        conn.execute(text("DELETE FROM plugins WHERE name = 'cache'"))
    PluginRuntime(ctx, registry).ensure_core()  # the winner: installs and activates

    def not_yet(*_args: Any) -> Any:
        raise NotFound("Plugin 'cache' is not installed")

    monkeypatch.setattr(lifecycle, "get_plugin", not_yet)  # the loser checked before that
    loser = PluginRuntime(ctx, registry)
    loser.ensure_core()
    assert loser.is_active("cache")
    loser.close()
