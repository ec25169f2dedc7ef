"""Concurrent writers from several processes on one SQLite file wait; none fails."""

from __future__ import annotations

import multiprocessing

from sqlalchemy import text

from sonic_cms.db.engine import Database
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
