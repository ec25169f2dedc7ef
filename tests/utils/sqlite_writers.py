"""A writer process for the SQLite concurrency test (importable, so it can be spawned)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text

from sonic_cms.config import Settings
from sonic_cms.db.engine import Database


def write_many(url: str, writes: int, threads: int) -> list[str]:
    """Do ``writes`` read-modify-write transactions from ``threads`` threads; return errors."""
    settings = Settings(database_url=url, env="development", config_file="/nonexistent.toml")
    db = Database(settings)
    errors: list[str] = []

    def one_write(_: int) -> None:
        try:
            with db.write() as conn:
                # Read, then write in the same transaction: a deferred BEGIN would fail here
                # with SQLITE_BUSY under contention; BEGIN IMMEDIATE waits its turn instead.
                current = conn.execute(
                    text("SELECT retention_days FROM log_config WHERE category = 'api'")
                ).scalar_one()
                conn.execute(
                    text("UPDATE log_config SET retention_days = :v WHERE category = 'api'"),
                    {"v": current + 1},
                )
                conn.execute(
                    text(
                        "INSERT INTO system_logs (id, level, category, message) "
                        "VALUES (:id, 'info', 'system', 'concurrent write')"
                    ),
                    {"id": str(uuid.uuid4())},
                )
        except Exception as exc:  # noqa: BLE001 - every failure is reported to the test
            errors.append(repr(exc))

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(one_write, range(writes)))
    db.dispose()
    return errors
