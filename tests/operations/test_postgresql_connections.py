"""PostgreSQL connections: reads without needless round trips, and a pool that hands out only
live connections without pinging each one."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Any

import anyio
import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from sonic_cms.clock import Clock
from sonic_cms.content import search
from sonic_cms.content.history import get_item
from sonic_cms.content.items import create_item
from sonic_cms.content.lists import list_content
from sonic_cms.db import engine as engine_module
from sonic_cms.db.engine import Database
from tests.conftest import POSTGRES_ONLY
from tests.content.helpers import context_on, sync_examples
from tests.utils.auth import actor_with_role


def _in_transaction_after(db: Database) -> list[bool]:
    """For each statement ``db`` runs from now on, whether its connection was inside a
    transaction after it: psycopg sends BEGIN before a statement unless in autocommit."""
    seen: list[bool] = []

    @event.listens_for(db.engine, "after_cursor_execute")
    def _ran(_conn: Any, cursor: Any, *_rest: Any) -> None:
        seen.append(cursor.connection.info.transaction_status != TransactionStatus.IDLE)

    return seen


def _backend_pid(db: Database) -> int:
    with db.read_statement() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(db: Database, pid: int) -> None:
    """End backend ``pid`` from another connection, as a server restart would."""
    other = create_engine(db.engine.url, poolclass=NullPool)  # not one of the pool's
    try:
        with other.begin() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        other.dispose()
    time.sleep(0.2)  # the server's goodbye reaches the idle connection's socket


@POSTGRES_ONLY
def test_reads_run_in_autocommit_and_see_each_commit(db: Database, clock: Clock) -> None:
    """Under READ COMMITTED a read-only transaction only adds BEGIN and COMMIT round trips:
    item and list reads send their SELECTs alone, and each sees the latest commit."""
    sync_examples(db, clock)
    ctx = context_on(db, clock, actor_with_role(db, clock, "admin"))
    body = {"collectionId": "blog-posts", "title": "First", "data": {"content": "x"}}
    item_id = create_item(ctx, body)["id"]
    in_transaction = _in_transaction_after(db)
    with db.read_committed() as conn:
        conn.execute(text("SELECT 1")).scalar_one()
        assert conn.connection.driver_connection.autocommit  # type: ignore[union-attr]
    assert get_item(ctx, item_id)["title"] == "First"
    listed = list_content(ctx, [("limit", "5")], "blog-posts")
    assert [item["id"] for item in listed["data"]] == [item_id]
    assert len(in_transaction) >= 3 and not any(in_transaction)
    with db.write() as conn:
        conn.execute(text("UPDATE content SET title = 'Second' WHERE id = :id"), {"id": item_id})
    assert get_item(ctx, item_id)["title"] == "Second"
    with db.read() as conn:  # read() keeps its transaction (search's settings need one)
        conn.execute(text("SELECT 1")).scalar_one()
    assert in_transaction[-1]


@POSTGRES_ONLY
def test_a_search_refuses_a_connection_without_a_transaction(db: Database) -> None:
    """Its planner settings are transaction-local: in autocommit they would end with the
    statement that sets them, so the search would quietly lose them."""
    with db.read_committed() as conn, pytest.raises(RuntimeError, match="transaction"):
        search.plan_each_search(conn, "postgresql")
    with db.read() as conn:
        search.plan_each_search(conn, "postgresql")
        assert conn.execute(text("SHOW plan_cache_mode")).scalar_one() == "force_custom_plan"


@POSTGRES_ONLY
def test_a_busy_pool_does_not_ping_but_replaces_a_connection_the_server_closed(
    db: Database,
) -> None:
    pings = []
    real_ping = db.engine.dialect.do_ping

    def counted_ping(dbapi_connection: Any) -> bool:
        pings.append(1)
        return real_ping(dbapi_connection)

    db.engine.dialect.do_ping = counted_ping  # type: ignore[method-assign]
    first = _backend_pid(db)
    for _ in range(5):
        assert _backend_pid(db) == first  # the same pooled connection, reused at once
    assert pings == []
    _terminate(db, first)
    assert _backend_pid(db) != first  # no error: the dead connection was replaced
    assert pings == [1]


@POSTGRES_ONLY
def test_a_connection_idle_past_the_limit_is_pinged_even_when_its_socket_is_quiet(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A firewall or a failover can drop a connection without a word: the socket stays quiet,
    so a connection idle longer than SONIC_DB_PING_AFTER_IDLE_SECONDS is pinged anyway."""
    monkeypatch.setattr(engine_module, "_has_data_waiting", lambda _connection: False)
    pid = _backend_pid(db)
    _terminate(db, pid)
    with pytest.raises(OperationalError, match="terminat"):
        _backend_pid(db)  # idle for less than the limit, socket "quiet": not pinged
    db.dispose()
    idle = Database(db.settings.model_copy(update={"db_ping_after_idle_seconds": 0.1}))
    try:
        pid = _backend_pid(idle)
        _terminate(idle, pid)
        assert _backend_pid(idle) != pid  # idle 0.2 s > 0.1 s: pinged, found dead, replaced
    finally:
        idle.dispose()


@POSTGRES_ONLY
@pytest.mark.anyio
async def test_reads_in_threads_are_capped_by_the_read_slots(db: Database, clock: Clock) -> None:
    """More reads at once than pooled connections only churn overflow connections and take the
    GIL from the event loop: the context's read slots cap them."""
    ctx = context_on(db, clock, actor_with_role(db, clock, "admin"))
    ctx = replace(ctx, read_slots=anyio.CapacityLimiter(2))
    running, most = 0, 0
    lock = threading.Lock()

    def read() -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with lock:
            running -= 1

    async with anyio.create_task_group() as group:
        for _ in range(6):
            group.start_soon(ctx.run_read, read)
    assert most == 2
