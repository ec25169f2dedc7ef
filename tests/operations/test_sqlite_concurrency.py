"""Concurrent writers from several processes on one SQLite file wait; none fails."""

from __future__ import annotations

import multiprocessing
import threading
import time

from sqlalchemy import event, text

from sonic_cms.clock import Clock
from sonic_cms.content.history import get_item
from sonic_cms.content.items import create_item
from sonic_cms.db.engine import Database
from tests.content.helpers import context_on, sync_examples
from tests.utils.auth import actor_with_role
from tests.utils.sqlite_writers import write_many

PROCESSES = 4
WRITES_PER_PROCESS = 200
THREADS_PER_PROCESS = 8


def test_four_processes_of_200_writes_never_fail(sqlite_db: Database):
    url = sqlite_db.settings.database_url
    with sqlite_db.read() as conn:
        start = conn.execute(
            text("SELECT retention_days FROM log_config WHERE category = 'api'")
        ).scalar_one()
    context = multiprocessing.get_context("spawn")
    with context.Pool(PROCESSES) as pool:
        outcomes = pool.starmap(
            write_many, [(url, WRITES_PER_PROCESS, THREADS_PER_PROCESS)] * PROCESSES
        )
    assert [errors for errors in outcomes if errors] == []
    with sqlite_db.read() as conn:
        end = conn.execute(
            text("SELECT retention_days FROM log_config WHERE category = 'api'")
        ).scalar_one()
        logged = conn.execute(text("SELECT COUNT(*) FROM system_logs")).scalar_one()
    total = PROCESSES * WRITES_PER_PROCESS
    assert end - start == total  # no lost update
    assert logged == total


def test_connections_use_wal_foreign_keys_and_full_sync(sqlite_db: Database):
    with sqlite_db.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar_one() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == 30000


def test_a_second_writer_in_the_process_waits_its_turn_before_touching_sqlite(
    sqlite_db: Database,
):
    """SQLite's busy handler lets a waiting writer sleep up to 100 ms between tries, so under a
    stream of writes one could keep missing the lock; writers of one process queue on a lock
    instead and run as soon as the previous one commits. While the first holds its
    transaction, the second has not even taken a connection."""
    holding, release = threading.Event(), threading.Event()
    second_started = threading.Event()

    def first() -> None:
        with sqlite_db.write() as conn:
            conn.execute(text("UPDATE log_config SET retention_days = 7 WHERE category = 'api'"))
            holding.set()
            release.wait(10)

    def second() -> None:
        second_started.set()
        with sqlite_db.write() as conn:
            conn.execute(text("UPDATE log_config SET retention_days = 9 WHERE category = 'api'"))

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert holding.wait(10)
    threads[1].start()
    assert second_started.wait(10)
    time.sleep(0.2)  # time for the second writer to reach SQLite, if nothing stopped it
    in_use = sqlite_db.engine.pool.checkedout()  # type: ignore[attr-defined]
    release.set()
    for thread in threads:
        thread.join(10)
    assert in_use == 1
    with sqlite_db.read() as conn:
        days = conn.execute(
            text("SELECT retention_days FROM log_config WHERE category = 'api'")
        ).scalar_one()
    assert days == 9  # the second writer ran, after the first


def test_databases_on_one_file_share_one_turn(sqlite_db: Database):
    twin = Database(sqlite_db.settings)
    try:
        assert twin._writer_turn is sqlite_db._writer_turn is not None
    finally:
        twin.dispose()


def _statements(db: Database) -> list[str]:
    """Every statement ``db`` sends from now on (appended as they go)."""
    sent: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda _c, _cur, sql, *_rest: sent.append(sql))
    return sent


def test_a_one_statement_read_sends_no_begin_on_sqlite(sqlite_db: Database):
    """Reading an item by id is one SELECT: on SQLite it is its own read transaction, so no
    BEGIN goes with it; a read of several statements keeps its transaction (one snapshot)."""
    sent = _statements(sqlite_db)
    with sqlite_db.read_statement() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM log_config")).scalar_one() > 0
        assert not conn.connection.driver_connection.in_transaction  # type: ignore[union-attr]
    with sqlite_db.read() as conn:
        conn.execute(text("SELECT 1")).scalar_one()
        assert conn.connection.driver_connection.in_transaction  # type: ignore[union-attr]
    assert sent == ["SELECT COUNT(*) FROM log_config", "BEGIN", "SELECT 1"]


def test_an_item_read_by_id_is_one_statement_and_sees_the_latest_commit(
    sqlite_db: Database, clock: Clock
):
    sync_examples(sqlite_db, clock)
    ctx = context_on(sqlite_db, clock, actor_with_role(sqlite_db, clock, "admin"))
    body = {"collectionId": "blog-posts", "title": "First", "data": {"content": "x"}}
    item_id = create_item(ctx, body)["id"]
    sent = _statements(sqlite_db)
    assert get_item(ctx, item_id)["title"] == "First"
    assert [statement.split()[0] for statement in sent] == ["SELECT"]
    with sqlite_db.write() as conn:
        conn.execute(text("UPDATE content SET title = 'Second' WHERE id = :id"), {"id": item_id})
    assert get_item(ctx, item_id)["title"] == "Second"
