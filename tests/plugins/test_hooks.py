"""The hook bus: order, filter chain, cancel, failures, and the whole path through a plugin."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from sonic_cms.api.app import create_app
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Plugin, PluginActivity, SystemLog
from sonic_cms.plugins import hookspecs
from sonic_cms.plugins.hooks import (
    HOOKS,
    Cancel,
    HookBus,
    HookCancelled,
    HookContext,
    HookHandler,
    RequiredHookFailed,
)
from tests.utils import plugins as test_plugins
from tests.utils.auth import bearer_headers


def append(mark: str) -> Any:
    def handler(payload: list[str], context: HookContext) -> list[str]:
        return [*payload, mark]

    return handler


def test_filters_run_by_priority_then_plugin_name_each_seeing_the_previous_result():
    bus = HookBus()
    bus.register(HookHandler("zeta", "content:create", append("z10"), "filter", 10))
    bus.register(HookHandler("alpha", "content:create", append("a10"), "filter", 10))
    bus.register(HookHandler("mid", "content:create", append("m1"), "filter", 1))
    bus.register(HookHandler("late", "content:create", append("l20"), "filter", 20))
    assert bus.filter(hookspecs.CONTENT_CREATE, []) == ["m1", "a10", "z10", "l20"]


def test_a_filter_returning_none_keeps_the_payload():
    bus = HookBus()
    bus.register(HookHandler("quiet", "content:update", lambda p, c: None, "filter"))
    assert bus.filter(hookspecs.CONTENT_UPDATE, {"a": 1}) == {"a": 1}


def test_cancel_becomes_a_4xx_naming_the_plugin_and_stops_the_chain():
    bus = HookBus()
    seen: list[str] = []

    def refuse(payload: Any, context: HookContext) -> Any:
        raise Cancel("not today", status=409)

    bus.register(HookHandler("gate", "content:delete", refuse, "filter", 1))
    bus.register(HookHandler("after", "content:delete", lambda p, c: seen.append("x"), "filter"))
    with pytest.raises(HookCancelled) as caught:
        bus.filter(hookspecs.CONTENT_DELETE, {})
    assert caught.value.status == 409
    assert caught.value.plugin == "gate"
    assert "gate" in caught.value.message and "not today" in caught.value.message
    assert seen == []


def test_cancel_with_a_non_4xx_status_is_a_422():
    assert Cancel("x", status=200).status == 422
    assert Cancel("x", status=503).status == 422


def test_a_raising_filter_is_skipped_reported_and_unregistered(caplog: pytest.LogCaptureFixture):
    failures: list[tuple[str, str, str]] = []
    bus = HookBus(on_error=lambda plugin, hook, exc: failures.append((plugin, hook, str(exc))))

    def boom(payload: Any, context: HookContext) -> Any:
        raise ValueError("kaput")

    bus.register(HookHandler("bad", "content:save", boom, "filter", 1))
    bus.register(HookHandler("bad", "content:save", append("never"), "action"))
    bus.register(HookHandler("good", "content:save", append("ok"), "filter", 5))
    with caplog.at_level(logging.ERROR, logger="sonic_cms.plugins"):
        assert bus.filter(hookspecs.CONTENT_SAVE, []) == ["ok"]
    assert failures == [("bad", "content:save", "kaput")]
    assert "bad" in caplog.text and "kaput" in caplog.text
    assert bus.plugins() == {"good"}


def test_a_required_filter_that_raises_fails_the_call():
    bus = HookBus()

    def boom(payload: Any, context: HookContext) -> Any:
        raise ValueError("kaput")

    bus.register(HookHandler("strict", "auth:login", boom, "filter", required=True))
    with pytest.raises(RequiredHookFailed) as caught:
        bus.filter(hookspecs.AUTH_LOGIN, {})
    assert caught.value.status == 503


def test_actions_never_raise_and_later_handlers_still_run():
    bus = HookBus()
    seen: list[str] = []

    def boom(payload: Any, context: HookContext) -> None:
        raise RuntimeError("after commit")

    bus.register(HookHandler("a", "media:upload", boom, "action", 1))
    bus.register(HookHandler("b", "media:upload", lambda p, c: seen.append(c.plugin), "action", 2))
    bus.action(hookspecs.MEDIA_UPLOAD, {})
    assert seen == ["b"]


def test_handlers_receive_phase_actor_connection_and_resources():
    bus = HookBus()
    bus.resources["thing"] = 42
    got: list[HookContext] = []
    bus.register(HookHandler("p", "db:seed", lambda p, c: got.append(c), "filter"))
    bus.filter(hookspecs.DB_SEED, {}, conn=None, actor=None, source="test")
    assert got[0].phase == "filter" and got[0].resources["thing"] == 42
    assert got[0].extra == {"source": "test"}


def test_unknown_hook_names_are_refused():
    bus = HookBus()
    with pytest.raises(AttributeError):  # only a declared spec can be fired
        bus.filter("content:create", {})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown hook"):
        bus.register(HookHandler("p", "nope", lambda p, c: None))


def test_every_standard_sonicjs_hook_is_known():
    expected = {
        f"{area}:{event}"
        for area, events in {
            "app": "init ready shutdown",
            "request": "start end error",
            "auth": "login logout register",
            "content": "create update delete publish save",
            "media": "upload delete transform",
            "plugin": "install uninstall activate deactivate",
            "db": "migrate seed",
            "comment": "create approve delete",  # sonic-cms's own (issue 18)
        }.items()
        for event in events.split()
    }
    # ours beside SonicJS's (issue 18): workflow moves, which webhooks deliver too
    assert set(HOOKS) == expected | {"workflow:transition"}


# -- through a real app, plugins and database ------------------------------------------


@pytest.fixture
def app_client(settings: Settings, db: Database, clock: Any) -> Iterator[TestClient]:
    extra = [
        test_plugins.SPY,
        test_plugins.JUDGE,
        test_plugins.BREAKER,
        test_plugins.stamper("stamp-a", "-a", 3),
        test_plugins.stamper("stamp-b", "-b", 3),
        test_plugins.stamper("stamp-early", "-e", 0),
    ]
    app = create_app(settings, db=db, clock=clock, plugins=extra)
    with TestClient(app) as client:
        yield client


def enable(client: TestClient, headers: dict[str, str], *names: str) -> None:
    for name in names:
        assert client.post(f"/admin/api/plugins/{name}/install", headers=headers).status_code == 201
        response = client.post(f"/admin/api/plugins/{name}/activate", headers=headers)
        assert response.status_code == 200, response.text


def test_filters_change_the_payload_in_priority_order_and_actions_follow_commit(
    app_client: TestClient, db: Database, settings: Settings, clock: Any
):
    admin = bearer_headers(db, settings, clock, "admin")
    enable(app_client, admin, "spy", "stamp-b", "stamp-a", "stamp-early")
    test_plugins.ACTIONS.clear()
    response = app_client.post("/api/plugins/spy/things", json={"title": "t"}, headers=admin)
    assert response.status_code == 201, response.text
    assert response.json()["data"]["title"] == "t-e-a-b"
    assert [a[:2] for a in test_plugins.ACTIONS] == [("spy", "content:create")]
    assert test_plugins.ACTIONS[0][2]["title"] == "t-e-a-b"


def test_a_cancelling_filter_gives_a_4xx_naming_the_plugin_and_writes_nothing(
    app_client: TestClient, db: Database, settings: Settings, clock: Any
):
    admin = bearer_headers(db, settings, clock, "admin")
    enable(app_client, admin, "spy", "judge")
    test_plugins.ACTIONS.clear()
    response = app_client.post("/api/plugins/spy/things", json={"title": "spam!"}, headers=admin)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "cancelled_by_plugin"
    assert "judge" in body["error"]
    assert body["details"] == [
        {"plugin": "judge", "hook": "content:create", "reason": "spam is not welcome"}
    ]
    with db.read() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM spy_things")).scalar_one() == 0
    assert test_plugins.ACTIONS == []


def test_a_raising_handler_marks_its_plugin_error_is_logged_and_the_request_succeeds(
    app_client: TestClient, db: Database, settings: Settings, clock: Any
):
    admin = bearer_headers(db, settings, clock, "admin")
    enable(app_client, admin, "spy", "breaker")
    response = app_client.post("/api/plugins/spy/things", json={"title": "ok"}, headers=admin)
    assert response.status_code == 201
    context = app_client.app.state.ctx  # type: ignore[attr-defined]
    context.plugins.drain()
    context.logs.flush()
    with db.read() as conn:
        row = conn.execute(select(Plugin).where(Plugin.name == "breaker")).mappings().one()
        actions = (
            conn.execute(select(PluginActivity.action).where(PluginActivity.plugin_id == row["id"]))
            .scalars()
            .all()
        )
        logged = conn.execute(
            select(SystemLog.level, SystemLog.category, SystemLog.message).where(
                SystemLog.message.like("%breaker%")
            )
        ).all()
        things = conn.execute(text("SELECT title FROM spy_things")).scalars().all()
    assert row["status"] == "error"
    assert "breaker exploded on purpose" in row["error_message"]
    assert "error" in actions
    assert ("error", "plugin") in {(lv, cat) for lv, cat, _ in logged}
    assert things == ["ok"]
    # the failed plugin's handlers are gone: a second request does not call it again
    assert "breaker" not in context.hooks.plugins()
    again = app_client.post("/api/plugins/spy/things", json={"title": "ok2"}, headers=admin)
    assert again.status_code == 201


def test_lifecycle_fires_plugin_hooks(
    app_client: TestClient, db: Database, settings: Settings, clock: Any
):
    admin = bearer_headers(db, settings, clock, "admin")
    seen: list[str] = []
    bus: HookBus = app_client.app.state.ctx.hooks  # type: ignore[attr-defined]
    for hook in ("plugin:install", "plugin:activate", "plugin:deactivate", "plugin:uninstall"):
        bus.register(
            HookHandler("observer", hook, lambda p, c: seen.append(f"{c.hook} {p['name']}"))
        )
    enable(app_client, admin, "judge")
    app_client.post("/admin/api/plugins/judge/deactivate", headers=admin)
    app_client.delete("/admin/api/plugins/judge", headers=admin)
    assert seen == [
        "plugin:install judge",
        "plugin:activate judge",
        "plugin:deactivate judge",
        "plugin:uninstall judge",
    ]


def test_app_and_request_hooks_fire(settings: Settings, db: Database, clock: Any):
    app = create_app(settings, db=db, clock=clock)
    bus = app.state.ctx.hooks
    seen: list[str] = []
    for hook in (
        "app:init",
        "app:ready",
        "app:shutdown",
        "db:migrate",
        "request:start",
        "request:end",
    ):
        bus.register(HookHandler("observer", hook, lambda p, c: seen.append(c.hook)))
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
    assert seen == [
        "db:migrate",
        "app:init",
        "app:ready",
        "request:start",
        "request:end",
        "app:shutdown",
    ]


def test_a_request_start_filter_can_refuse_a_request(settings: Settings, db: Database, clock: Any):
    app = create_app(settings, db=db, clock=clock)

    def gate(payload: dict[str, Any], context: HookContext) -> None:
        if payload["path"] == "/health":
            raise Cancel("closed for maintenance", status=403)

    app.state.ctx.hooks.register(HookHandler("gatekeeper", "request:start", gate, "filter"))
    with TestClient(app) as client:
        response = client.get("/health")
    assert response.status_code == 403
    assert "gatekeeper" in response.json()["error"]


def test_request_error_fires_on_a_500(settings: Settings, db: Database, clock: Any):
    app = create_app(settings, db=db, clock=clock)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    seen: list[int] = []
    app.state.ctx.hooks.register(
        HookHandler("observer", "request:error", lambda p, c: seen.append(p["status_code"]))
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/boom").status_code == 500
    assert seen == [500]
