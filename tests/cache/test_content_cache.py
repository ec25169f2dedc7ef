"""Public content reads are cached, and every write path (route, service, CLI, scheduler, a
passing embargo or expiry) makes the next anonymous read fresh, on both engines."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from sonic_cms.auth import roles
from sonic_cms.cache.generations import FileGenerations, generations_file
from sonic_cms.cache.invalidation import namespaces_for_tables
from sonic_cms.cache.tiered import TieredCache
from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.db import write_tracking
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Content
from sonic_cms.workflow import edits
from sonic_cms.workflow.executor import run_due
from sonic_cms.workflow.scheduling import schedule
from tests.content.helpers import sync_examples
from tests.utils.auth import actor_with_role, bearer_headers, system_context

SONIC = str(Path(sys.executable).parent / "sonic")
MINUTE = 60_000


@pytest.fixture
def editor(db: Database, settings: Settings, clock: FrozenClock) -> dict[str, str]:
    return bearer_headers(db, settings, clock, "editor")


@pytest.fixture
def post(client: TestClient, db: Database, clock: FrozenClock, editor: dict[str, str]) -> str:
    """A published blog post; returns its id."""
    sync_examples(db, clock)
    created = client.post(
        "/api/content",
        json={
            "collectionId": "blog-posts",
            "title": "First",
            "status": "published",
            "data": {"title": "First", "content": "hello", "excerpt": "Ann"},
        },
        headers=editor,
    )
    assert created.status_code == 201, created.text
    return str(created.json()["data"]["id"])


def anonymous(client: TestClient, url: str, **headers: str) -> Any:
    response = client.get(url, headers=headers)
    assert response.status_code in (200, 304, 404), response.text
    return response


def titles(client: TestClient) -> list[str]:
    listed = anonymous(client, "/api/collections/blog-posts/content")
    return [item["title"] for item in listed.json()["data"]]


def test_second_anonymous_read_is_a_hit_with_the_same_etag(client: TestClient, post: str):
    first = anonymous(client, f"/api/content/{post}")
    second = anonymous(client, f"/api/content/{post}")
    assert first.headers["X-Cache-Status"] == "MISS"
    assert second.headers["X-Cache-Status"] == "HIT"
    assert second.headers["X-Cache-Source"] == "memory"
    assert second.content == first.content
    assert second.headers["ETag"] == first.headers["ETag"]
    not_modified = anonymous(
        client, f"/api/content/{post}", **{"If-None-Match": first.headers["ETag"]}
    )
    assert not_modified.status_code == 304 and not_modified.content == b""
    for url in ("/api/collections", "/api/collections/blog-posts", "/api/content?limit=5"):
        anonymous(client, url)
        assert anonymous(client, url).headers["X-Cache-Status"] == "HIT", url


def test_credentials_bypass_the_cache_and_drafts_never_reach_it(
    client: TestClient, post: str, editor: dict[str, str]
):
    client.post(
        "/api/content",
        json={
            "collectionId": "blog-posts",
            "title": "Secret draft",
            "data": {"title": "S", "content": "x", "excerpt": "A"},
        },
        headers=editor,
    )
    for _ in range(2):
        seen = client.get("/api/collections/blog-posts/content", headers=editor)
        assert seen.headers["X-Cache-Status"] == "MISS"
        assert "Secret draft" in [i["title"] for i in seen.json()["data"]]
    anonymous(client, "/api/collections/blog-posts/content")  # cached for anonymous callers
    client.cookies.set("auth_token", "not-a-real-token")
    try:
        with_cookie = client.get("/api/collections/blog-posts/content")
        # a cookie means "maybe signed in": the route decides (here: a bad session, 401)
        assert with_cookie.status_code == 401
        assert with_cookie.headers.get("X-Cache-Status") is None
    finally:
        client.cookies.clear()
    assert titles(client) == ["First"]
    assert titles(client) == ["First"]  # the cached copy too


def test_a_write_through_the_api_is_seen_by_the_next_read(
    client: TestClient, post: str, editor: dict[str, str]
):
    for round_ in range(1, 6):
        assert anonymous(client, f"/api/content/{post}").status_code == 200
        titles(client)  # cached now
        done = client.put(f"/api/content/{post}", json={"title": f"Edit {round_}"}, headers=editor)
        assert done.status_code == 200, done.text
        assert anonymous(client, f"/api/content/{post}").json()["data"]["title"] == f"Edit {round_}"
        assert titles(client) == [f"Edit {round_}"]
    client.post(f"/api/content/{post}/unpublish", headers=editor)
    assert anonymous(client, f"/api/content/{post}").status_code == 404
    assert titles(client) == []


def test_a_service_call_outside_http_invalidates(
    client: TestClient, post: str, db: Database, clock: FrozenClock, ctx: Context
):
    anonymous(client, f"/api/content/{post}")
    admin = actor_with_role(db, clock, "admin")
    edits.update_item(ctx.acting_as(admin), post, {"title": "By service"})
    assert anonymous(client, f"/api/content/{post}").json()["data"]["title"] == "By service"


def test_raw_sql_through_the_database_invalidates_everything(
    client: TestClient, post: str, db: Database
):
    anonymous(client, f"/api/content/{post}")
    with db.write() as conn:
        conn.exec_driver_sql(
            f"UPDATE content SET title = 'Raw' WHERE id = '{post.replace(chr(39), '')}'"
        )
    assert anonymous(client, f"/api/content/{post}").json()["data"]["title"] == "Raw"


def test_the_scheduler_publishing_invalidates(
    client: TestClient,
    post: str,
    db: Database,
    clock: FrozenClock,
    ctx: Context,
    editor: dict[str, str],
):
    client.post(f"/api/content/{post}/unpublish", headers=editor)
    assert titles(client) == []
    admin = actor_with_role(db, clock, "admin")
    at = clock.now_ms() + MINUTE
    schedule(ctx.acting_as(admin), post, {"action": "publish", "scheduled_at": at})
    assert titles(client) == []  # cached again
    clock.advance(2 * MINUTE)
    report = run_due(ctx)
    assert len(report.completed) == 1
    assert titles(client) == ["First"]


def test_an_expiry_ends_the_cached_copy_without_any_write(
    client: TestClient, post: str, db: Database, clock: FrozenClock
):
    with db.write() as conn:
        conn.execute(
            update(Content)
            .where(Content.id == post)
            .values(expires_at=clock.now_ms() + 10 * MINUTE)
        )
    assert titles(client) == ["First"]
    assert anonymous(client, f"/api/content/{post}").status_code == 200
    clock.advance(9 * MINUTE)
    assert (
        anonymous(client, "/api/collections/blog-posts/content").headers["X-Cache-Status"] == "HIT"
    )
    clock.advance(MINUTE + 1)
    assert titles(client) == []
    assert anonymous(client, f"/api/content/{post}").status_code == 404


def test_an_embargo_end_shows_the_item_on_time(
    client: TestClient, post: str, db: Database, clock: FrozenClock
):
    with db.write() as conn:
        conn.execute(
            update(Content)
            .where(Content.id == post)
            .values(embargo_until=clock.now_ms() + 5 * MINUTE)
        )
    assert titles(client) == []
    assert titles(client) == []
    clock.advance(5 * MINUTE)
    assert titles(client) == ["First"]


# -- units -----------------------------------------------------------------------------------


def test_write_tracking_names_the_tables_a_transaction_touched(db: Database):
    seen: list[frozenset[str]] = []
    db.commit_listeners.append(seen.append)
    try:
        with db.write() as conn:
            conn.execute(update(Content).where(Content.id == "none").values(title="x"))
            conn.exec_driver_sql("SELECT 1")
        with db.write() as conn:
            conn.exec_driver_sql("DELETE FROM system_logs WHERE id = 'none'")
        with db.write():
            pass
        with pytest.raises(RuntimeError), db.write() as conn:
            conn.execute(update(Content).values(title="rolled back"))
            raise RuntimeError
    finally:
        db.commit_listeners.remove(seen.append)
    assert seen == [frozenset({"content"}), frozenset({"system_logs"})]


def test_table_map_invalidates_dependents_and_unknown_tables_coarsely():
    assert namespaces_for_tables({"content"}) == ("content",)
    assert set(namespaces_for_tables({"collections"})) == {"collection", "content"}
    assert namespaces_for_tables({"system_logs", "auth_throttle"}) == ()
    # No cached route reads sessions, but the remembered credentials must see a sign-out.
    assert namespaces_for_tables({"auth_sessions"}) == ("session",)
    assert len(namespaces_for_tables({"faq_entries"})) == 8  # nobody declared it
    assert namespaces_for_tables({"faqs"}, frozenset({"faqs"})) == ("plugin",)
    assert set(namespaces_for_tables({"faqs", "content"}, frozenset({"faqs"}))) == {
        "plugin",
        "content",
    }
    assert len(namespaces_for_tables({write_tracking.EVERYTHING})) == 8


def test_generations_file_is_shared_and_a_recreated_file_never_reuses_a_generation(tmp_path: Path):
    path = tmp_path / "gen"
    a, b = FileGenerations(path), FileGenerations(path)
    before = b.get("content")
    a.bump(["content"])
    assert b.get("content") != before
    assert b.get("user") == a.get("user")
    old = a.get("content")
    a.close()
    b.close()
    path.unlink()
    fresh = FileGenerations(path)
    try:
        assert fresh.get("content") != old  # a new epoch, even though the counter restarted
    finally:
        fresh.close()


def test_generations_file_location(tmp_path: Path):
    assert (
        generations_file(f"sqlite:///{tmp_path}/x.db", None) == tmp_path / "x.db.cache-generations"
    )
    assert generations_file("sqlite://", None) is None
    assert generations_file("sqlite:///x.db", "/tmp/elsewhere") == Path("/tmp/elsewhere")
    pg = generations_file("postgresql+psycopg://u:secret@h/db", None)
    assert pg is not None and "secret" not in str(pg)


def test_a_cli_write_in_another_process_invalidates_a_running_app(
    sqlite_db: Database, tmp_path: Path
):
    """The CLI shares the generations file with the server: a `sonic db execute` run by an
    operator reaches the server's cached copy."""
    settings = sqlite_db.settings
    clock = FrozenClock(1_770_000_000_000)
    from sonic_cms.api.app import create_app

    with TestClient(create_app(settings, db=sqlite_db, clock=clock)) as client:
        sync_examples(sqlite_db, clock)
        editor = bearer_headers(sqlite_db, settings, clock, "editor")
        made = client.post(
            "/api/content",
            json={
                "collectionId": "blog-posts",
                "title": "Before",
                "status": "published",
                "data": {"title": "B", "content": "c", "excerpt": "a"},
            },
            headers=editor,
        )
        item = made.json()["data"]["id"]
        assert anonymous(client, f"/api/content/{item}").json()["data"]["title"] == "Before"
        assert anonymous(client, f"/api/content/{item}").headers["X-Cache-Status"] == "HIT"
        result = subprocess.run(
            [
                SONIC,
                "db",
                "execute",
                "--command",
                f"UPDATE content SET title = 'After' WHERE id = '{item}'",
                "--database-url",
                settings.database_url,
            ],
            capture_output=True,
            text=True,
            env={
                "SONIC_ENV": "test",
                "SONIC_SECRET_KEY": settings.secret_key,
                "SONIC_CONFIG_FILE": str(tmp_path / "none.toml"),
                "PATH": str(Path(SONIC).parent),
            },
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert anonymous(client, f"/api/content/{item}").json()["data"]["title"] == "After"


def test_a_revoked_permission_is_seen_at_once_by_another_process_of_the_host(
    sqlite_db: Database, clock: FrozenClock
):
    """Two Database handles on one file, each with its own cache, as two server processes."""
    settings = sqlite_db.settings.model_copy(update={"permission_cache_ttl_seconds": 3600})
    a, b = Database(settings), Database(settings)
    caches = [TieredCache(settings, clock) for _ in range(2)]
    caches[0].attach(a)
    caches[1].attach(b)
    try:
        admin = system_context(a, clock).acting_as(actor_with_role(a, clock, "admin"))
        reader = replace(system_context(b, clock), generations=caches[1].local.get)
        assert "content.publish" in roles.role_permissions(reader, "editor")
        roles.revoke(admin, role="editor", permission="content.publish")
        assert "content.publish" not in roles.role_permissions(reader, "editor")
        roles.grant(admin, role="editor", permission="content.publish")
        assert "content.publish" in roles.role_permissions(reader, "editor")
    finally:
        for cache, db in zip(caches, (a, b), strict=True):
            cache.detach(db)
            cache.close_sync()
            db.dispose()


@pytest.mark.parametrize(
    ("sql", "tables"),
    [
        ("INSERT INTO content (id) VALUES (?)", {"content"}),
        ('insert or replace into "media"(id) values (1)', {"media"}),
        ("UPDATE users SET role = 'admin'", {"users"}),
        ("DELETE FROM collections WHERE id = 'x'", {"collections"}),
        ("SELECT * FROM content", set()),
        ("PRAGMA foreign_keys", set()),
        ("CREATE TRIGGER t AFTER INSERT ON content BEGIN SELECT 1; END", set()),
        ("WITH x AS (SELECT 1) SELECT * FROM x", set()),
        ("WITH gone AS (DELETE FROM content RETURNING id) SELECT count(*) FROM gone", {"*"}),
        ("DROP TABLE content", {"*"}),
        ("ALTER TABLE content ADD COLUMN x", {"*"}),
    ],
)
def test_textual_statements_name_their_target_or_count_as_everything(sql: str, tables: set[str]):
    assert write_tracking.textual_targets(sql) == tables


def test_a_plugin_table_write_moves_only_the_plugin_namespace(client: TestClient, db: Database):
    """The app learns the tables its plugins declare (the FAQ plugin's ``faqs``): writing one
    must not empty the cached content, only what the plugin's routes cached."""
    cache = client.app.state.ctx.cache
    assert "faqs" in cache.plugin_tables
    before = {ns: cache.local.get(ns) for ns in ("content", "plugin", "collection")}
    cache.invalidate_tables(frozenset({"faqs"}))
    after = {ns: cache.local.get(ns) for ns in ("content", "plugin", "collection")}
    assert after["plugin"] != before["plugin"]
    assert after["content"] == before["content"] and after["collection"] == before["collection"]


def test_a_hit_from_the_fast_path_is_identified_logged_and_steps_aside_for_request_hooks(
    client: TestClient, db: Database, post: str
):
    """The fast path answers in front of the middleware stack, so it does their part for a
    hit: the request id, the request log; with a request hook registered it takes the stack."""
    from sonic_cms.plugins.hooks import HookHandler

    url = f"/api/content/{post}"
    anonymous(client, url)
    hit = anonymous(client, url, **{"X-Request-ID": "hit-1"})
    assert hit.headers["X-Cache-Status"] == "HIT"
    assert hit.headers["X-Request-ID"] == "hit-1"
    fresh = anonymous(client, url)
    assert len(fresh.headers["X-Request-ID"]) == 32  # one of ours when none was sent
    app_context = client.app.state.ctx  # type: ignore[attr-defined]
    app_context.logs.flush()
    with db.read() as conn:
        logged = conn.exec_driver_sql(
            "SELECT status_code, url FROM system_logs WHERE request_id = 'hit-1'"
        ).all()
    assert [tuple(row) for row in logged] == [(200, url)]
    seen: list[str] = []
    app_context.hooks.register(
        HookHandler(
            "watcher", "request:end", lambda info, _ctx: seen.append(info["path"]), "action"
        )
    )
    after = anonymous(client, url)
    assert after.headers["X-Cache-Status"] == "HIT"  # the route's cache, through the stack
    assert seen == [url]
