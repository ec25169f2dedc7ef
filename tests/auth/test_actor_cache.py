"""Credentials resolved from memory (issue 17): once per process, and every revocation,
deactivation, demotion, logout or expiry still seen by the very next request."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient
from sqlalchemy import event
from typer.testing import CliRunner

from sonic_cms.actors import SYSTEM
from sonic_cms.auth import api_tokens, user_admin
from sonic_cms.auth.authentication import credential_key
from sonic_cms.cache.memo import Memo, stamp
from sonic_cms.cli.main import app as cli
from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from tests.utils.auth import create_random_user, headers_for


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The SQL statements run on ``db`` inside the block."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, sql: str, *_args: object) -> None:
        seen.append(sql)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def wait_until_written(pending: api_tokens.PendingTouches) -> None:
    """Until the background writer took the queued token uses, and a little beyond (the write
    runs right after it takes them)."""
    deadline = time.monotonic() + 10
    while len(pending) and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)


def admin_token(ctx: Context, db: Database, clock: FrozenClock, **extra: object) -> str:
    owner = create_random_user(db, clock, "admin")
    _, secret = api_tokens.create_token(
        ctx.acting_as(SYSTEM),
        name="reader",
        permissions=["users.read"],
        user_id=owner.id,
        **extra,  # type: ignore[arg-type]
    )
    return secret


def test_a_token_is_looked_up_once_then_answered_from_memory(
    client: TestClient, ctx: Context, db: Database, clock: FrozenClock
):
    secret = admin_token(ctx, db, clock)
    pending = client.app.state.ctx.token_touches  # type: ignore[attr-defined]
    assert client.get("/admin/api/users", headers=bearer(secret)).status_code == 200
    wait_until_written(pending)  # its write moves the generation: resolved once more after it
    assert client.get("/admin/api/users", headers=bearer(secret)).status_code == 200
    assert len(pending) == 0  # used again within the touch interval: nothing to write
    with statements(db) as seen:
        assert client.get("/admin/api/users", headers=bearer(secret)).status_code == 200
    assert seen, "the route itself still queries"
    assert not [sql for sql in seen if "api_tokens" in sql]


def test_a_revoked_token_is_refused_by_the_next_request(
    client: TestClient, ctx: Context, db: Database, clock: FrozenClock
):
    secret = admin_token(ctx, db, clock)
    assert client.get("/admin/api/users", headers=bearer(secret)).status_code == 200
    (row,) = [t for t in api_tokens.list_tokens(ctx.acting_as(SYSTEM), all_users=True)]
    api_tokens.revoke_token(ctx.acting_as(SYSTEM), row["id"])
    assert client.get("/admin/api/users", headers=bearer(secret)).status_code == 401


def test_a_demotion_and_a_deactivation_apply_to_the_next_request(
    client: TestClient, ctx: Context, db: Database, clock: FrozenClock
):
    create_random_user(db, clock, "admin")  # so the token's owner is not the last admin
    secret = admin_token(ctx, db, clock)
    system = ctx.acting_as(SYSTEM)
    assert client.get("/admin/api/users", headers=bearer(secret)).status_code == 200
    (row,) = api_tokens.list_tokens(system, all_users=True)
    user_admin.set_role(system, row["user_id"], "viewer")  # viewers may not read users
    assert client.get("/admin/api/users", headers=bearer(secret)).status_code == 403
    user_admin.set_role(system, row["user_id"], "admin")
    assert client.get("/admin/api/users", headers=bearer(secret)).status_code == 200
    user_admin.deactivate_user(system, row["user_id"])
    assert client.get("/admin/api/users", headers=bearer(secret)).status_code == 401


def test_a_revocation_by_another_process_of_the_host_is_seen_at_once(
    client: TestClient, ctx: Context, db: Database, clock: FrozenClock, db_url: str
):
    """The CLI is another runtime with its own Database: only the shared generations link it
    to the server's memory."""
    secret = admin_token(ctx, db, clock)
    assert client.get("/admin/api/users", headers=bearer(secret)).status_code == 200
    (row,) = api_tokens.list_tokens(ctx.acting_as(SYSTEM), all_users=True)
    result = CliRunner().invoke(
        cli, ["tokens", "revoke", row["id"], "--database-url", db_url], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert client.get("/admin/api/users", headers=bearer(secret)).status_code == 401


def test_an_expiring_token_is_refused_once_expired_even_from_memory(
    client: TestClient, ctx: Context, db: Database, clock: FrozenClock
):
    secret = admin_token(ctx, db, clock, expires_at=clock.now_ms() + 2_000)
    assert client.get("/admin/api/users", headers=bearer(secret)).status_code == 200
    clock.advance(1_000)
    assert client.get("/admin/api/users", headers=bearer(secret)).status_code == 200
    clock.advance(1_000)
    assert client.get("/admin/api/users", headers=bearer(secret)).status_code == 401


def test_a_signed_out_session_is_refused_by_the_next_request(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock
):
    headers = headers_for(db, settings, clock, create_random_user(db, clock, "editor"))
    assert client.get("/auth/me", headers=headers).status_code == 200
    with statements(db) as seen:
        assert client.get("/auth/me", headers=headers).status_code == 200
    assert not [sql for sql in seen if "auth_sessions" in sql]
    assert client.post("/auth/logout", headers=headers).status_code == 200
    assert client.get("/auth/me", headers=headers).status_code == 401


def test_a_session_expires_from_memory_too(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock
):
    headers = headers_for(db, settings, clock, create_random_user(db, clock, "editor"))
    assert client.get("/auth/me", headers=headers).status_code == 200
    clock.advance(settings.access_token_ttl_seconds * 1000)
    assert client.get("/auth/me", headers=headers).status_code == 401


# -- the memory on its own -----------------------------------------------------------------


class Generations:
    """Generations a test moves by hand."""

    def __init__(self) -> None:
        self.values: dict[str, str | None] = {"user": "1", "session": "1"}

    def __call__(self, namespace: str) -> str | None:
        return self.values.get(namespace)


def test_keys_are_digests_not_secrets():
    kind, digest = credential_key("sonic_secret")
    assert kind == "actor" and b"sonic_secret" not in digest and len(digest) == 16
    assert credential_key("sonic_secret") == (kind, digest) != credential_key("sonic_secreT")


def test_an_entry_lives_until_a_generation_moves_its_age_or_its_end():
    generations, memo = Generations(), Memo()
    read_under = stamp(generations, ("user", "session"))
    memo.put("k", "v", ("user", "session"), read_under, max_age=60, until_ms=1_000)
    assert memo.get("k", generations, 60, now_ms=999) == "v"
    assert memo.get("k", generations, 60, now_ms=1_000) is None  # its end
    memo.put("k", "v", ("user", "session"), read_under, max_age=60)
    generations.values["session"] = "2"
    assert memo.get("k", generations, 60, now_ms=0) is None  # a write moved session
    memo.put("k", "v", ("user",), stamp(generations, ("user",)), max_age=60)
    assert memo.get("k", generations, 0.0, now_ms=0) is None  # older than the age limit


def test_nothing_is_kept_without_generations_or_with_a_zero_age():
    generations, memo = Generations(), Memo()
    generations.values["user"] = None
    memo.put("k", "v", ("user",), stamp(generations, ("user",)), max_age=60)
    memo.put("j", "v", ("session",), stamp(generations, ("session",)), max_age=0)
    assert len(memo) == 0


def test_the_oldest_entry_goes_first_when_full():
    generations, memo = Generations(), Memo(max_entries=2)
    for name in ("a", "b", "c"):
        memo.put(name, name, ("user",), stamp(generations, ("user",)), max_age=60)
    assert len(memo) == 2
    assert memo.get("a", generations, 60, now_ms=0) is None
    assert memo.get("c", generations, 60, now_ms=0) == "c"
