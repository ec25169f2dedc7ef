"""The core fires SonicJS's hooks on every path: REST routes, services, the scheduler, bulk
import and the CLI (content, auth and db hooks; media hooks are in tests/media)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select
from typer.testing import CliRunner

from sonic_cms import runtime as composition_root
from sonic_cms.actors import SYSTEM
from sonic_cms.api.app import build_context, create_app
from sonic_cms.cli.main import app as cli
from sonic_cms.clock import FrozenClock, SystemClock, utc_datetime
from sonic_cms.config import Settings
from sonic_cms.content.bulk import bulk_create_items
from sonic_cms.content.history import get_item
from sonic_cms.context import Context
from sonic_cms.db import migrate
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import (
    AuthSession,
    Content,
    ContentVersion,
    ScheduledContent,
    User,
    WorkflowHistory,
)
from sonic_cms.extensions import lifecycle
from sonic_cms.plugins import hookspecs
from sonic_cms.plugins.hooks import Cancel, HookBus, HookContext, HookHandler
from sonic_cms.plugins.registry import discover
from sonic_cms.plugins.spec import HookSpec, PluginSpec
from sonic_cms.runtime import command_runtime
from sonic_cms.workflow.executor import run_due
from tests.conftest import make_settings
from tests.content.helpers import counts, sync_examples
from tests.utils.auth import TEST_PASSWORD, bearer_headers, create_random_user
from tests.utils.hook_recorder import Recorder, refuse, register_filter
from tests.workflow.test_workflow import People, move

CONTENT_HOOKS = ("content:create", "content:update", "content:delete", "content:publish")
ALL_CONTENT = (*CONTENT_HOOKS, "content:save")


def _bus(client: TestClient) -> HookBus:
    bus: HookBus = client.app.state.ctx.hooks  # type: ignore[attr-defined]
    return bus


def _post(n: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "collectionId": "blog-posts",
        "title": f"Post {n}",
        "data": {"content": f"<p>body {n}</p>", "category": "news"},
        **extra,
    }


@pytest.fixture
def admin(client: TestClient, db: Database, settings: Settings, clock: FrozenClock) -> Any:
    sync_examples(db, clock)
    return bearer_headers(db, settings, clock, "admin")


def _create(client: TestClient, headers: dict[str, str], **body: Any) -> Any:
    return client.post("/api/content", headers=headers, json=_post(**body))


def _stored(db: Database, item_id: str) -> Any:
    with db.read() as conn:
        return conn.execute(select(Content).where(Content.id == item_id)).first()


def _versions(db: Database, item_id: str) -> list[Any]:
    with db.read() as conn:
        query = select(ContentVersion).where(ContentVersion.content_id == item_id)
        return conn.execute(query.order_by(ContentVersion.version)).all()


# -- content through the REST API ------------------------------------------------------------


def test_create_fires_create_and_save_once_each_filters_before_actions(client, admin, db):
    seen = Recorder(_bus(client), *ALL_CONTENT)
    response = _create(client, admin)
    assert response.status_code == 201, response.text
    item = response.json()["data"]
    assert seen.sequence() == [
        ("content:create", "filter"),
        ("content:save", "filter"),
        ("content:create", "action"),
        ("content:save", "action"),
    ]
    payload = seen.one("content:create", "filter").payload
    assert payload == {
        "id": None,
        "collection_id": item["collectionId"],
        "collection": "blog-posts",
        "author_id": item["author_id"],
        "title": "Post 1",
        "slug": None,
        "status": "draft",
        "data": {"content": "<p>body 1</p>", "category": "news"},
    }
    assert seen.one("content:create", "filter").had_connection
    assert seen.one("content:save", "filter").extra == {"operation": "create"}
    for hook in ("content:create", "content:save"):
        action = seen.one(hook, "action")
        assert action.payload == item  # the API answers with the hooks' serializer
        assert action.actor is not None and action.actor.user_id == item["author_id"]
        assert not action.had_connection


def test_a_filter_that_changes_title_and_data_changes_what_is_stored(client, admin, db):
    def tidy(payload: dict[str, Any], context: HookContext) -> dict[str, Any]:
        payload["data"]["excerpt"] = "added by a plugin"
        return {**payload, "title": payload["title"].upper()}

    register_filter(_bus(client), "content:create", tidy)
    response = _create(client, admin)
    assert response.status_code == 201, response.text
    item = response.json()["data"]
    assert item["title"] == "POST 1" and item["slug"] == "post-1"
    row = _stored(db, item["id"])
    assert row.title == "POST 1"
    assert row.data["excerpt"] == "added by a plugin"
    assert row.data["title"] == "POST 1"  # mirrored into data like a client's title
    assert _versions(db, item["id"])[0].data["title"] == "POST 1"


def test_filters_run_before_validation_so_a_plugin_cannot_store_invalid_data(client, admin, db):
    def spoil(payload: dict[str, Any], context: HookContext) -> dict[str, Any]:
        return {**payload, "data": {**payload["data"], "category": "gossip"}}

    register_filter(_bus(client), "content:save", spoil)
    before = counts(db)
    response = _create(client, admin)
    assert response.status_code == 422
    assert [d["path"] for d in response.json()["details"]] == ["data.category"]
    assert counts(db) == before


def test_a_filter_cannot_publish_for_an_author_without_the_permission(
    client, admin, db, settings, clock
):
    author = bearer_headers(db, settings, clock, "author")
    register_filter(_bus(client), "content:create", lambda p, c: {**p, "status": "published"})
    before = counts(db)
    response = _create(client, author)
    assert response.status_code == 403
    assert counts(db) == before


def test_a_cancelling_create_filter_is_a_4xx_naming_the_plugin_and_leaves_nothing(
    client, admin, db
):
    bus = _bus(client)
    seen = Recorder(bus, *ALL_CONTENT)
    register_filter(bus, "content:save", refuse("no posts on Sundays", status=409), "sabbath")
    before = counts(db)
    response = _create(client, admin)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "cancelled_by_plugin"
    assert "sabbath" in body["error"]
    assert body["details"] == [
        {"plugin": "sabbath", "hook": "content:save", "reason": "no posts on Sundays"}
    ]
    assert counts(db) == before
    assert [c for c in seen.calls if c.phase == "action"] == []


def test_the_action_runs_after_commit(client, admin, db):
    found: list[Any] = []

    def read_back(payload: dict[str, Any], context: HookContext) -> None:
        found.append(_stored(db, payload["id"]))  # a new connection sees committed rows only

    _bus(client).register(HookHandler("reader", "content:create", read_back, "action"))
    item = _create(client, admin).json()["data"]
    assert len(found) == 1 and found[0] is not None and found[0].title == item["title"]


def test_update_fires_update_and_save_with_the_previous_item(client, admin, db):
    item = _create(client, admin).json()["data"]
    bus = _bus(client)
    seen = Recorder(bus, *ALL_CONTENT)
    register_filter(bus, "content:update", lambda p, c: {**p, "title": p["title"] + " (edited)"})
    response = client.put(
        f"/api/content/{item['id']}",
        headers=admin,
        json={"data": {"content": "<p>new</p>", "category": "tutorial"}},
    )
    assert response.status_code == 200, response.text
    assert seen.sequence() == [
        ("content:update", "filter"),
        ("content:save", "filter"),
        ("content:update", "action"),
        ("content:save", "action"),
    ]
    payload = seen.one("content:update", "filter").payload
    assert payload["id"] == item["id"] and payload["title"] == "Post 1"
    assert payload["data"]["category"] == "tutorial"
    assert payload["previous"]["data"]["category"] == "news"
    assert seen.one("content:save", "filter").extra == {"operation": "update"}
    assert seen.one("content:update", "action").payload["title"] == "Post 1 (edited)"
    row = _stored(db, item["id"])
    assert row.title == "Post 1 (edited)" and row.data["category"] == "tutorial"


def test_a_cancelled_update_changes_nothing_and_writes_no_version(client, admin, db):
    item = _create(client, admin).json()["data"]
    register_filter(_bus(client), "content:update", refuse("frozen"), "freezer")
    response = client.put(f"/api/content/{item['id']}", headers=admin, json={"title": "Changed"})
    assert response.status_code == 403 and "freezer" in response.json()["error"]
    assert _stored(db, item["id"]).title == "Post 1"
    assert len(_versions(db, item["id"])) == 1


def test_rollback_is_an_update(client, admin, db):
    item = _create(client, admin).json()["data"]
    client.put(f"/api/content/{item['id']}", headers=admin, json={"title": "Second"})
    seen = Recorder(_bus(client), *ALL_CONTENT)
    response = client.post(
        f"/api/content/{item['id']}/rollback", headers=admin, json={"version": 1}
    )
    assert response.status_code == 200, response.text
    assert seen.one("content:update", "action").payload["title"] == "Post 1"
    assert len(seen.of("content:save", "action")) == 1


def test_delete_fires_delete_and_a_cancel_keeps_the_item_and_its_versions(client, admin, db):
    item = _create(client, admin).json()["data"]
    bus = _bus(client)
    register_filter(bus, "content:delete", refuse("keep it"), "keeper")
    refused = client.delete(f"/api/content/{item['id']}", headers=admin)
    assert refused.status_code == 403 and "keeper" in refused.json()["error"]
    assert _stored(db, item["id"]) is not None and len(_versions(db, item["id"])) == 1
    bus.unregister_plugin("keeper")
    seen = Recorder(bus, *ALL_CONTENT)
    assert client.delete(f"/api/content/{item['id']}", headers=admin).status_code == 200
    assert seen.sequence() == [("content:delete", "filter"), ("content:delete", "action")]
    assert seen.one("content:delete", "filter").payload["id"] == item["id"]
    assert seen.one("content:delete", "action").payload["title"] == "Post 1"
    assert _stored(db, item["id"]) is None


# -- publishing, on every path --------------------------------------------------------------


def test_publish_and_unpublish_routes_fire_content_publish(client, admin, db):
    item = _create(client, admin).json()["data"]
    seen = Recorder(_bus(client), *ALL_CONTENT)
    assert client.post(f"/api/content/{item['id']}/publish", headers=admin).status_code == 200
    assert client.post(f"/api/content/{item['id']}/unpublish", headers=admin).status_code == 200
    filters = [c.payload for c in seen.of("content:publish", "filter")]
    assert filters == [
        {
            "id": item["id"],
            "collection_id": item["collectionId"],
            "from_status": "draft",
            "status": "published",
            "workflow_state_id": "published",
        },
        {
            "id": item["id"],
            "collection_id": item["collectionId"],
            "from_status": "published",
            "status": "draft",
            "workflow_state_id": "draft",
        },
    ]
    actions = [c.payload["status"] for c in seen.of("content:publish", "action")]
    assert actions == ["published", "draft"]
    assert seen.of("content:update") == []  # a status change is not an edit


def test_creating_published_and_publishing_by_update_fire_content_publish(client, admin, db):
    seen = Recorder(_bus(client), *ALL_CONTENT)
    born = _create(client, admin, status="published").json()["data"]
    assert seen.one("content:publish", "filter").payload["from_status"] is None
    assert seen.one("content:publish", "action").payload == born
    item = _create(client, admin, n=2).json()["data"]
    seen.calls.clear()
    response = client.put(f"/api/content/{item['id']}", headers=admin, json={"status": "published"})
    assert response.status_code == 200, response.text
    assert seen.sequence() == [
        ("content:update", "filter"),
        ("content:save", "filter"),
        ("content:publish", "filter"),
        ("content:publish", "action"),
        ("content:update", "action"),
        ("content:save", "action"),
    ]
    published = seen.one("content:publish", "action").payload
    assert published["status"] == "published" and published["version_number"] == 2


def test_a_cancelled_publish_leaves_the_item_a_draft_without_history(client, admin, db):
    item = _create(client, admin).json()["data"]
    register_filter(_bus(client), "content:publish", refuse("embargoed", status=423), "legal")
    response = client.post(f"/api/content/{item['id']}/publish", headers=admin)
    assert response.status_code == 423
    assert response.json()["details"][0]["plugin"] == "legal"
    assert _stored(db, item["id"]).status == "draft"
    with db.read() as conn:
        query = select(func.count()).where(WorkflowHistory.content_id == item["id"])
        assert conn.execute(query).scalar_one() == 0
    edit = client.put(f"/api/content/{item['id']}", headers=admin, json={"status": "published"})
    assert edit.status_code == 423
    assert _stored(db, item["id"]).status == "draft" and len(_versions(db, item["id"])) == 1


@pytest.fixture
def people(db: Database, settings: Settings, clock: FrozenClock) -> People:
    return People(db, settings, clock)


def test_workflow_transitions_fire_content_publish_only_when_the_status_changes(
    client, admin, db, people
):
    item = _create(client, admin).json()["data"]["id"]
    seen = Recorder(_bus(client), *ALL_CONTENT)
    assert move(client, people, "editor", item, "pending-review").status_code == 200
    assert move(client, people, "editor2", item, "approved").status_code == 200
    assert seen.calls == []  # review states are drafts: nothing published yet
    assert move(client, people, "editor", item, "published").status_code == 200
    action = seen.one("content:publish", "action")
    assert action.payload["id"] == item and action.payload["status"] == "published"
    assert action.actor is not None and action.actor.user_id == people.ids["editor"]
    assert move(client, people, "editor", item, "archived").status_code == 200
    last = seen.of("content:publish", "filter")[-1].payload
    assert (last["from_status"], last["status"]) == ("published", "archived")


def _schedule(client, people, item: str, at: int, action: str = "publish") -> None:
    response = client.post(
        f"/api/content/{item}/schedule",
        json={"action": action, "scheduled_at": at},
        headers=people.headers["editor"],
    )
    assert response.status_code == 201, response.text


def test_the_scheduler_fires_content_publish_as_the_job_user(client, admin, ctx, clock, people):
    item = _create(client, admin).json()["data"]["id"]
    _schedule(client, people, item, clock.now_ms() + 60_000)
    seen = Recorder(ctx.hooks, *ALL_CONTENT)
    clock.advance(60_000)
    assert len(run_due(ctx).completed) == 1
    assert seen.sequence() == [("content:publish", "filter"), ("content:publish", "action")]
    action = seen.one("content:publish", "action")
    assert action.payload["status"] == "published" and action.payload["id"] == item
    assert action.actor is not None and action.actor.is_system
    assert action.actor.user_id == people.ids["editor"]


def test_a_refused_scheduled_publish_fails_its_job_and_publishes_nothing(
    client, admin, db, ctx, clock, people
):
    item = _create(client, admin).json()["data"]["id"]
    _schedule(client, people, item, clock.now_ms() + 60_000)
    seen = Recorder(ctx.hooks, "content:publish")
    register_filter(ctx.hooks, "content:publish", refuse("not yet"), "legal")
    clock.advance(60_000)
    report = run_due(ctx)
    assert report.failed and not report.completed
    assert _stored(db, item).status == "draft"
    with db.read() as conn:
        job = conn.execute(select(ScheduledContent)).one()
    assert job.status == "failed" and "legal" in job.error_message
    assert seen.of("content:publish", "action") == []


# -- bulk import -----------------------------------------------------------------------------


def _bulk_item(n: int, **extra: Any) -> dict[str, Any]:
    body = _post(n, **extra)
    del body["collectionId"]
    return body


def _import(ctx: Context, items: list[Any], author: str) -> Any:
    system = ctx.acting_as(SYSTEM)
    return bulk_create_items(system, "blog-posts", items, batch_size=2, author_id=author)


def test_bulk_import_fires_per_item_and_filters_change_what_is_stored(
    client, admin, db, ctx, clock
):
    author = create_random_user(db, clock, "editor").id
    seen = Recorder(ctx.hooks, *ALL_CONTENT)
    register_filter(ctx.hooks, "content:create", lambda p, c: {**p, "title": p["title"] + "!"})
    items = [_bulk_item(n, status="published" if n == 2 else "draft") for n in range(3)]
    report = _import(ctx, items, author)
    assert report.created == 3 and not report.rejected
    assert len(seen.of("content:create", "filter")) == 3
    assert len(seen.of("content:save", "filter")) == 3
    created = seen.of("content:create", "action")
    assert sorted(c.payload["title"] for c in created) == ["Post 0!", "Post 1!", "Post 2!"]
    assert len(seen.of("content:save", "action")) == 3
    assert [c.payload["title"] for c in seen.of("content:publish", "action")] == ["Post 2!"]
    with db.read() as conn:
        titles = sorted(conn.execute(select(Content.title)).scalars())
    assert titles == ["Post 0!", "Post 1!", "Post 2!"]


def test_a_refused_bulk_item_fails_its_batch_only(client, admin, db, ctx, clock):
    author = create_random_user(db, clock, "editor").id

    def no_threes(payload: dict[str, Any], context: HookContext) -> None:
        if payload["title"].endswith("3"):
            raise Cancel("three is unlucky")

    register_filter(ctx.hooks, "content:create", no_threes, "superstition")
    seen = Recorder(ctx.hooks, "content:create")
    items = [_bulk_item(n) for n in range(1, 5)]
    report = _import(ctx, items, author)
    assert report.created == 2
    [rejected] = report.rejected
    assert (rejected.first_line, rejected.last_line) == (3, 4)
    assert [(p.line, p.path) for p in rejected.problems] == [(3, "plugin")]
    assert "superstition" in rejected.problems[0].message
    assert sorted(c.payload["title"] for c in seen.of("content:create", "action")) == [
        "Post 1",
        "Post 2",
    ]
    assert counts(db)[1:] == (2, 2)


# -- auth ------------------------------------------------------------------------------------

AUTH_HOOKS = ("auth:login", "auth:logout", "auth:register")


def _login(client: TestClient, email: str) -> Any:
    return client.post("/auth/login", json={"email": email, "password": TEST_PASSWORD})


def test_login_fires_auth_login_and_a_refusal_opens_no_session(client, db, clock):
    user = create_random_user(db, clock, "editor")
    bus = _bus(client)
    seen = Recorder(bus, *AUTH_HOOKS)
    response = _login(client, user.email)
    assert response.status_code == 200, response.text
    event = {
        "user_id": user.id,
        "email": user.email,
        "username": user.username,
        "role": "editor",
        "method": "password",
        "ip_address": "testclient",
        "user_agent": "testclient",
    }
    assert seen.one("auth:login", "filter").payload == event
    action = seen.one("auth:login", "action").payload
    with db.read() as conn:
        sessions = conn.execute(select(AuthSession.id).where(AuthSession.user_id == user.id))
        assert [action["session_id"]] == list(sessions.scalars())
    assert action == {**event, "session_id": action["session_id"]}
    register_filter(bus, "auth:login", refuse("office hours only"), "curfew")
    refused = _login(client, user.email)
    assert refused.status_code == 403 and "curfew" in refused.json()["error"]
    with db.read() as conn:
        query = select(func.count()).where(AuthSession.user_id == user.id)
        assert conn.execute(query).scalar_one() == 1


def test_logout_and_logout_all_fire_auth_logout(client, db, clock):
    user = create_random_user(db, clock, "viewer")
    token = _login(client, user.email).json()["token"]
    seen = Recorder(_bus(client), *AUTH_HOOKS)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/auth/logout", headers=headers).status_code == 200
    event = seen.one("auth:logout", "action").payload
    with db.read() as conn:
        session = conn.execute(select(AuthSession).where(AuthSession.user_id == user.id)).one()
    assert event == {"user_id": user.id, "session_id": session.id, "all_sessions": False}
    assert session.revoked_at is not None
    again = _login(client, user.email).json()["token"]
    seen.calls.clear()
    out = client.post("/auth/logout-all", headers={"Authorization": f"Bearer {again}"})
    assert out.status_code == 200
    assert seen.one("auth:logout", "filter").payload == {
        "user_id": user.id,
        "session_id": None,
        "all_sessions": True,
    }


def test_a_refused_logout_keeps_the_session(client, db, clock):
    user = create_random_user(db, clock, "viewer")
    token = _login(client, user.email).json()["token"]
    register_filter(_bus(client), "auth:logout", refuse("stay a while"), "host")
    response = client.post("/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    with db.read() as conn:
        session = conn.execute(select(AuthSession).where(AuthSession.user_id == user.id)).one()
    assert session.revoked_at is None


@pytest.fixture
def open_client(db_url: str, db: Database, clock: FrozenClock) -> Iterator[TestClient]:
    settings = make_settings(db_url, registration_enabled=True)
    with TestClient(create_app(settings, db=db, clock=clock)) as client:
        yield client


def _register(client: TestClient, username: str = "alice") -> Any:
    return client.post(
        "/auth/register",
        json={
            "email": f"{username}@example.com",
            "password": "long enough pw",
            "username": username,
            "firstName": "Alice",
            "lastName": "Liddell",
        },
    )


def test_registration_fires_auth_register_and_a_filter_changes_the_profile(open_client, db):
    bus = _bus(open_client)
    seen = Recorder(bus, *AUTH_HOOKS)
    register_filter(bus, "auth:register", lambda p, c: {**p, "first_name": "Al", "role": "admin"})
    response = _register(open_client)
    assert response.status_code == 201, response.text
    filtered = seen.one("auth:register", "filter")
    assert filtered.payload == {
        "email": "alice@example.com",
        "username": "alice",
        "first_name": "Alice",
        "last_name": "Liddell",
        "role": "viewer",
    }
    assert filtered.extra == {"method": "registration"}
    action = seen.one("auth:register", "action")
    assert action.extra == {"method": "registration"}
    assert action.payload["firstName"] == "Al" and action.payload["role"] == "viewer"
    assert "password_hash" not in action.payload
    with db.read() as conn:
        row = conn.execute(select(User).where(User.email == "alice@example.com")).one()
    assert (row.first_name, row.role) == ("Al", "viewer")  # the role is not a filter's to give


def test_a_refused_or_invalidated_registration_creates_no_user(open_client, db):
    bus = _bus(open_client)
    register_filter(bus, "auth:register", lambda p, c: {**p, "email": "not an email"}, "mangler")
    invalid = _register(open_client)
    assert invalid.status_code == 400  # the register route's answer to invalid fields
    assert [d["path"] for d in invalid.json()["details"]] == ["email"]
    bus.unregister_plugin("mangler")
    register_filter(bus, "auth:register", refuse("invitation only"), "doorman")
    response = _register(open_client, "bob")
    assert response.status_code == 403 and "doorman" in response.json()["error"]
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(User)).scalar_one() == 0


def test_admin_created_and_invited_users_are_registrations_too(client, db, settings, clock):
    admin = bearer_headers(db, settings, clock, "admin")
    seen = Recorder(_bus(client), "auth:register")
    created = client.post(
        "/admin/api/users",
        headers=admin,
        json={
            "email": "carol@example.com",
            "username": "carol",
            "password": "long enough pw",
            "role": "editor",
        },
    )
    assert created.status_code == 201, created.text
    invited = client.post(
        "/admin/api/users/invite",
        headers=admin,
        json={"email": "dave@example.com", "role": "author"},
    )
    assert invited.status_code == 201, invited.text
    actions = seen.of("auth:register", "action")
    assert [(c.payload["email"], c.extra["method"]) for c in actions] == [
        ("carol@example.com", "admin"),
        ("dave@example.com", "invitation"),
    ]


# -- the CLI loads the active plugins' handlers ----------------------------------------------

PROBED: list[tuple[str, Any]] = []


def _probe(payload: Any, context: HookContext) -> None:
    PROBED.append((context.hook, payload))


PROBE = PluginSpec(
    name="probe",
    display_name="Probe",
    version="1.0.0",
    author="tests",
    category="testing",
    hooks=tuple(
        HookSpec(hook, _probe, phase="action")
        for hook in ("db:migrate", "content:create", "content:publish", "auth:register")
    ),
)


@pytest.fixture
def probe(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The probe plugin installed and active, and known to the CLI's plugin discovery."""

    def with_probe(autoload: bool = True, extra: Any = ()) -> Any:
        return discover(False, extra=[PROBE, *extra])

    monkeypatch.setattr(composition_root, "discover", with_probe)
    system, registry = ctx.acting_as(SYSTEM), with_probe()
    lifecycle.install(system, registry, "probe")
    lifecycle.activate(system, registry, "probe")
    PROBED.clear()
    return PROBED


def _cli(db_url: str, *args: str, stdin: str | None = None) -> Any:
    env = {"SONIC_CONFIG_FILE": "/nonexistent", "SONIC_ENV": "development"}
    result = CliRunner().invoke(cli, [*args, "--database-url", db_url], input=stdin, env=env)
    assert result.exit_code == 0, result.output
    return result


def test_sonic_db_migrate_fires_db_migrate_with_the_applied_revisions(db, db_url, probe):
    head = migrate.head_revision()
    assert head is not None
    migrate.downgrade(db, "-1")
    _cli(db_url, "db", "migrate")
    assert probe == [("db:migrate", {"applied": [head]})]
    probe.clear()
    _cli(db_url, "db", "migrate")
    assert probe == [("db:migrate", {"applied": []})]


def test_cli_import_scheduler_and_user_creation_fire_hooks(db, db_url, ctx, clock, probe, tmp_path):
    sync_examples(db, clock)
    author = create_random_user(db, clock, "editor")
    probe.clear()
    lines = [orjson.dumps(_bulk_item(n)) for n in range(2)]
    (tmp_path / "posts.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    _cli(
        db_url,
        "content",
        "import",
        str(tmp_path / "posts.jsonl"),
        "--collection",
        "blog-posts",
        "--author",
        author.email,
    )
    assert [h for h, _ in probe] == ["content:create", "content:create"]
    item_id = probe[0][1]["id"]
    with db.write() as conn:
        conn.execute(
            insert(ScheduledContent).values(
                id="job-1",
                content_id=item_id,
                action="publish",
                scheduled_at=utc_datetime(SystemClock().now_ms() - 60_000),
                user_id=author.id,
                status="pending",
            )
        )
    probe.clear()
    _cli(db_url, "scheduler", "run", "--once")
    assert [(h, p["id"], p["status"]) for h, p in probe] == [
        ("content:publish", item_id, "published")
    ]
    probe.clear()
    _cli(
        db_url,
        "users",
        "create",
        "--email",
        "erin@example.com",
        "--username",
        "erin",
        "--password-stdin",
        stdin="long enough pw\n",
    )
    assert [(h, p["email"]) for h, p in probe] == [("auth:register", "erin@example.com")]
    assert get_item(ctx.acting_as(SYSTEM), item_id)["status"] == "published"


def test_commands_on_an_unmigrated_database_load_no_plugins(empty_db_url: str):
    settings = make_settings(empty_db_url)
    with command_runtime(settings) as runtime:
        assert runtime.plugins.active == {}
        assert runtime.hooks.plugins() == set()


def test_a_command_s_plugins_get_the_same_resources_as_the_server_s(db_url: str):
    """One composition root: a handler finds the cache in a CLI command as in a request."""
    settings = make_settings(db_url)
    with command_runtime(settings) as runtime:
        assert set(runtime.hooks.resources) == {"cache", "settings", "db"}
        assert runtime.hooks.resources["cache"] is runtime.cache
    app_context = build_context(settings)
    try:
        assert set(app_context.hooks.resources) == {"cache", "settings", "db"}
    finally:
        app_context.db.dispose()


# -- HookScope: actions wait for the commit --------------------------------------------------


def test_scope_actions_wait_for_fire_and_discard_drops_them(ctx: Context):
    seen = Recorder(ctx.hooks, "content:save", "content:delete")
    with ctx.db.write() as conn:
        scope = ctx.acting_as(SYSTEM).hook_scope(conn)
        scope.after_commit(hookspecs.CONTENT_SAVE, {"n": 1})
        scope.discard()
        scope.after_commit(hookspecs.CONTENT_DELETE, {"n": 2})
        scope.after_commit(hookspecs.CONTENT_UPDATE, {"n": 3})  # nobody listens: not even queued
        assert seen.calls == []
    scope.fire()
    assert [(c.hook, c.payload) for c in seen.calls] == [("content:delete", {"n": 2})]
    scope.fire()  # fired once only
    assert len(seen.calls) == 1


def test_a_payload_that_cannot_be_read_skips_its_action_and_fire_never_raises(
    ctx: Context, caplog: pytest.LogCaptureFixture
):
    seen = Recorder(ctx.hooks, "content:publish", "content:save")

    def broken(conn: Any) -> Any:
        raise RuntimeError("gone")

    with ctx.db.write() as conn:
        scope = ctx.acting_as(SYSTEM).hook_scope(conn)
        scope.after_commit_read(hookspecs.CONTENT_PUBLISH, broken)
        scope.after_commit(hookspecs.CONTENT_SAVE, {"kept": True})
    scope.fire()
    assert [(c.hook, c.payload) for c in seen.calls] == [("content:save", {"kept": True})]
    assert "could not read the payload" in caplog.text
