"""Comments below the API on both engines: the rate limit, counts under concurrent moderation,
the hooks, the CLI, and what item reads cost."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from sonic_cms.actors import Actor
from sonic_cms.cli.main import app as cli
from sonic_cms.clock import FrozenClock
from sonic_cms.comments import moderation, posting
from sonic_cms.comments.counts import approved_count
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Comment
from sonic_cms.errors import NotFound, TooManyRequests
from sonic_cms.plugins.hooks import Cancel, HookBus, HookCancelled
from tests.conftest import make_settings
from tests.content.helpers import context_on
from tests.utils.auth import actor_with_role
from tests.utils.content_rows import make_collection, make_content
from tests.utils.hook_recorder import Recorder, register_filter
from tests.utils.query_count import counting_statements

PER_WINDOW = 3


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_settings(
        db_url,
        trusted_proxies="testclient",
        comments_per_user_per_window=PER_WINDOW,
        comments_rate_window_seconds=60,
        comments_max_depth=3,
        cache_enabled=False,  # statements are counted: every read goes to the database
    )


@pytest.fixture
def item(db: Database, clock: FrozenClock) -> str:
    editor = actor_with_role(db, clock, "editor")
    assert editor.user_id is not None
    return make_content(db, clock, make_collection(db, clock), editor.user_id, status="published")


def _count_rows(db: Database, status: str | None = None) -> int:
    query = select(func.count()).select_from(Comment)
    if status is not None:
        query = query.where(Comment.status == status)
    with db.read() as conn:
        return int(conn.execute(query).scalar_one())


def test_the_rate_limit_is_per_user_and_ends_with_its_window(
    db: Database, clock: FrozenClock, item: str
):
    viewer = context_on(db, clock, actor_with_role(db, clock, "viewer"))
    other = context_on(db, clock, actor_with_role(db, clock, "viewer"))
    for n in range(PER_WINDOW):
        posting.post_comment(viewer, item, f"comment {n}")
    with pytest.raises(TooManyRequests) as refused:
        posting.post_comment(viewer, item, "one too many")
    assert refused.value.status == 429 and refused.value.retry_after >= 1
    assert _count_rows(db) == PER_WINDOW
    posting.post_comment(other, item, "someone else may")
    clock.advance(60_001)
    posting.post_comment(viewer, item, "a new window")
    assert _count_rows(db) == PER_WINDOW + 2


def test_the_api_answers_429_with_retry_after(client: TestClient, db: Database, clock, item: str):
    from tests.utils.auth import bearer_headers

    headers = bearer_headers(db, db.settings, clock, "viewer")
    for _ in range(PER_WINDOW):
        assert client.post(f"/api/content/{item}/comments", json={"body": "hi"}, headers=headers)
    refused = client.post(f"/api/content/{item}/comments", json={"body": "hi"}, headers=headers)
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) >= 1


def test_threads_nest_no_deeper_than_the_setting(db: Database, clock: FrozenClock, item: str):
    editor = context_on(db, clock, actor_with_role(db, clock, "editor"))
    parent = None
    for _ in range(3):
        parent = posting.post_comment(editor, item, "deeper", parent["id"] if parent else None)
    with pytest.raises(Exception) as refused:
        posting.post_comment(editor, item, "too deep", parent["id"] if parent else None)
    assert getattr(refused.value, "code", None) == "thread_too_deep"


def test_counts_stay_right_under_concurrent_approvals(db: Database, clock: FrozenClock, item: str):
    """Moderators approving and spamming overlapping sets at once: the count is the number of
    approved rows whatever the interleaving (locks on PostgreSQL, IMMEDIATE on SQLite)."""
    viewers = [context_on(db, clock, actor_with_role(db, clock, "viewer")) for _ in range(4)]
    ids = [posting.post_comment(v, item, f"c{n}")["id"] for n in range(3) for v in viewers]
    moderator = context_on(db, clock, actor_with_role(db, clock, "editor"))
    batches: list[tuple[str, list[str]]] = [
        ("approve", ids),
        ("approve", ids[::2]),
        ("approve", ids[1::2]),
        ("spam", ids[:3]),
        ("approve", ids[:6]),
        ("delete", ids[-2:]),
    ] * 3

    def run(batch: tuple[str, list[str]]) -> None:
        moderation.moderate(moderator, batch[0], batch[1])

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(run, batches))
    with db.read() as conn:
        assert approved_count(conn, item) == _count_rows(db, "approved")
    assert _count_rows(db, "approved") > 0


def test_concurrent_trusted_posts_all_count(db: Database, clock: FrozenClock, item: str):
    editors = [context_on(db, clock, actor_with_role(db, clock, "editor")) for _ in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda ctx: posting.post_comment(ctx, item, "quick"), editors))
    with db.read() as conn:
        assert approved_count(conn, item) == 6


def _bus_ctx(db: Database, clock: FrozenClock, role: str, bus: HookBus) -> Any:
    return context_on(db, clock, actor_with_role(db, clock, role), hooks=bus)


def test_hooks_fire_for_create_approve_and_delete(db: Database, clock: FrozenClock, item: str):
    bus = HookBus()
    recorder = Recorder(bus, "comment:create", "comment:approve", "comment:delete")
    viewer = _bus_ctx(db, clock, "viewer", bus)
    posted = posting.post_comment(viewer, item, "hello")
    assert recorder.sequence() == [("comment:create", "filter"), ("comment:create", "action")]
    assert recorder.one("comment:create", "filter").payload["status"] == "pending"
    assert recorder.one("comment:create", "action").payload["id"] == posted["id"]
    moderator = _bus_ctx(db, clock, "editor", bus)
    moderation.moderate(moderator, "approve", [posted["id"]])
    approved = recorder.one("comment:approve", "action").payload
    assert approved["id"] == posted["id"] and approved["status"] == "approved"
    moderation.moderate(moderator, "delete", [posted["id"]])
    assert recorder.one("comment:delete", "action").payload["id"] == posted["id"]
    trusted = posting.post_comment(moderator, item, "born approved")
    assert [c.payload["id"] for c in recorder.of("comment:approve", "action")][-1] == trusted["id"]


def test_a_filter_may_hold_a_comment_or_refuse_an_approval(
    db: Database, clock: FrozenClock, item: str
):
    bus = HookBus()

    def hold_links(payload: dict[str, Any], _context: Any) -> dict[str, Any]:
        return {"status": "spam"} if "http" in payload["body"] else {}

    def never(_payload: Any, _context: Any) -> Any:
        raise Cancel("approvals are frozen", 403)

    register_filter(bus, "comment:create", hold_links)
    register_filter(bus, "comment:approve", never)
    editor = _bus_ctx(db, clock, "editor", bus)
    held = posting.post_comment(editor, item, "visit http://spam.example")
    assert held["status"] == "spam"
    viewer = _bus_ctx(db, clock, "viewer", bus)
    pending = posting.post_comment(viewer, item, "plain")
    with pytest.raises(HookCancelled):
        moderation.moderate(editor, "approve", [pending["id"], held["id"]])
    assert _count_rows(db, "approved") == 0
    with db.read() as conn:
        assert approved_count(conn, item) == 0


def test_item_reads_carry_the_count_without_a_query_per_item(
    client: TestClient, db: Database, clock: FrozenClock
):
    """A list's statements do not grow with its items (the count is a column of the page's
    own statement), and a single read is still one statement."""
    editor = actor_with_role(db, clock, "editor")
    assert editor.user_id is not None
    collection = make_collection(db, clock)
    items = [
        make_content(db, clock, collection, editor.user_id, status="published") for _ in range(6)
    ]
    for target in items:  # a commenter each: the rate limit allows three per user here
        posting.post_comment(
            context_on(db, clock, actor_with_role(db, clock, "editor")), target, "hi"
        )
    name = client.get("/api/collections").json()["data"][0]["name"]
    path = f"/api/collections/{name}/content"

    def statements(url: str) -> list[str]:
        assert client.get(url).status_code == 200  # warm: collection and count remembered
        with counting_statements(db.engine) as seen:
            assert client.get(url).status_code == 200
        return seen.sql

    few, many = statements(f"{path}?limit=1"), statements(f"{path}?limit=6")
    assert len(few) == len(many)
    assert sum("content_comment_counts" in sql for sql in many) == 1
    read = client.get(f"/api/content/{items[0]}", headers={"Cache-Control": "no-cache"})
    assert read.json()["data"]["comments"] == {"approved": 1}


def test_a_comment_of_a_deleted_user_blocks_nothing_else(db: Database, clock: FrozenClock):
    """Moderating a missing id is a 404 naming it; the others are untouched."""
    moderator = context_on(db, clock, actor_with_role(db, clock, "admin"))
    with pytest.raises(NotFound) as missing:
        moderation.moderate(moderator, "spam", ["nope"])
    assert missing.value.code == "comment_not_found"


runner = CliRunner()


def test_the_cli_lists_and_moderates(db: Database, db_url: str, clock: FrozenClock, item: str):
    viewer = context_on(db, clock, actor_with_role(db, clock, "viewer"))
    first = posting.post_comment(viewer, item, "<b>first</b> words")
    second = posting.post_comment(viewer, item, "second")
    env = {"SONIC_CONFIG_FILE": "/nonexistent"}
    listed = runner.invoke(
        cli, ["comments", "list", "--status", "pending", "--database-url", db_url], env=env
    )
    assert listed.exit_code == 0, listed.output
    assert first["id"] in listed.output and second["id"] in listed.output
    assert "2 comment(s) pending" in listed.output
    approved = runner.invoke(
        cli, ["comments", "approve", first["id"], second["id"], "--database-url", db_url], env=env
    )
    assert approved.exit_code == 0, approved.output
    assert "Approved 2 of 2" in approved.output
    with db.read() as conn:
        assert approved_count(conn, item) == 2
    missing = runner.invoke(
        cli, ["comments", "spam", first["id"], "nope", "--database-url", db_url], env=env
    )
    assert missing.exit_code != 0
    assert _count_rows(db, "approved") == 2


def test_an_actor_without_a_user_cannot_comment(db: Database, clock: FrozenClock, item: str):
    system = context_on(db, clock, Actor(kind="system"))
    with pytest.raises(Exception) as refused:
        posting.post_comment(system, item, "from the system")
    assert getattr(refused.value, "code", None) == "author_required"


def test_a_config_file_turns_comments_off(db: Database, clock: FrozenClock, tmp_path: Any):
    from sonic_cms.content.collection_sync import sync_collections
    from sonic_cms.db.schema import Collection

    folder = tmp_path / "collections"
    folder.mkdir()
    (folder / "notices.yaml").write_text(
        "name: notices\ndisplayName: Notices\ncomments: false\n"
        "schema:\n  type: object\n  properties:\n    body:\n      type: string\n"
    )
    results = sync_collections(context_on(db, clock), folder)
    assert [r.status for r in results] == ["created"]
    assert [r.status for r in sync_collections(context_on(db, clock), folder)] == ["unchanged"]
    with db.read() as conn:
        collection_id = conn.execute(
            select(Collection.id).where(Collection.name == "notices")
        ).scalar_one()
    editor = actor_with_role(db, clock, "editor")
    assert editor.user_id is not None
    notice = make_content(db, clock, collection_id, editor.user_id, status="published")
    with pytest.raises(NotFound) as refused:
        posting.post_comment(context_on(db, clock, editor), notice, "hello")
    assert refused.value.code == "comments_disabled"


def test_moderation_is_logged_with_it(db: Database, clock: FrozenClock, item: str):
    from sonic_cms.db.schema import SystemLog

    viewer = context_on(db, clock, actor_with_role(db, clock, "viewer"))
    posted = posting.post_comment(viewer, item, "hello")
    moderator = actor_with_role(db, clock, "editor")
    moderation.moderate(context_on(db, clock, moderator), "spam", [posted["id"]])
    with db.read() as conn:
        logged = conn.execute(
            select(SystemLog.message, SystemLog.user_id, SystemLog.data).where(
                SystemLog.category == "workflow"
            )
        ).all()
    assert [(r.message, r.user_id) for r in logged] == [("Comments spam: 1", moderator.user_id)]
    assert logged[0].data["comment_ids"] == [posted["id"]]
