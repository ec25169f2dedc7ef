"""`sonic db export` then `sonic db import` reproduces every table row for row, time travel's
change log included, and a failed import leaves nothing half-made (issue 14)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from sonic_cms.cli.main import app
from sonic_cms.clock import Clock
from sonic_cms.db import migrate
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import metadata
from sonic_cms.operations.dump_format import DumpError
from sonic_cms.operations.import_sql import import_dump
from tests.conftest import create_pg_database, drop_pg_database, make_settings
from tests.utils.sample_data import seed_sample, table_rows

#: Bookkeeping each database writes for itself: when its migrations ran, and a restore's marker.
OWN_BOOKKEEPING = {"migrations", "change_log_pause"}


def sonic(*args: str) -> Any:
    result = CliRunner().invoke(app, list(args), env={"SONIC_CONFIG_FILE": "/nonexistent"})
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def new_url(engine_name: str, tmp_path: Path) -> Iterator[str]:
    """A database that does not exist yet (SQLite) or exists empty (`sonic db create`)."""
    if engine_name == "sqlite":
        yield f"sqlite:///{tmp_path / 'copy.db'}"
        return
    url = create_pg_database()
    yield url
    drop_pg_database(url)


def _history(db: Database, clock: Clock) -> None:
    """Sample rows, then updates and deletes, so the change log holds I, U and D entries."""
    seed_sample(db, clock)
    with db.write() as conn:
        conn.execute(text("UPDATE content SET title = 'renamed' WHERE id = 'c0'"))
        conn.execute(text("DELETE FROM workflow_history"))


def every_table(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of the schema, rows sorted; on PostgreSQL the change log's txid apart."""
    rows = table_rows(db, with_change_log=True)
    assert set(rows) == {t.name for t in metadata.sorted_tables} - OWN_BOOKKEEPING
    if not db.is_sqlite:
        log = metadata.tables["change_log"]
        wanted = [c for c in log.columns if c.name != "txid"]
        with db.read() as conn:
            rows["change_log"] = sorted(conn.execute(select(*wanted)).all(), key=repr)
    return rows


def test_export_then_import_reproduces_every_table_row_for_row(
    db: Database, db_url: str, new_url: str, clock: Clock, tmp_path: Path
):
    _history(db, clock)
    with db.read() as conn:
        logged = conn.execute(text("SELECT op, COUNT(*) FROM change_log GROUP BY op")).all()
    assert {op for op, _ in logged} == {"I", "U", "D"}
    dump = tmp_path / "dump.sql.gz"
    sonic("db", "export", "--output", str(dump), "--database-url", db_url)
    sonic("db", "import", "--file", str(dump), "--database-url", new_url)
    copy = Database(make_settings(new_url))
    try:
        assert every_table(copy) == every_table(db)
        with copy.read() as conn:
            top = conn.execute(text("SELECT MAX(id) FROM change_log")).scalar_one()
            if not copy.is_sqlite:  # the import's own transaction, one for every entry
                txids = conn.execute(text("SELECT DISTINCT txid FROM change_log")).all()
                assert len(txids) == 1
        with copy.write() as conn:  # capture continues after the imported ids
            conn.execute(text("UPDATE content SET title = 'after' WHERE id = 'c0'"))
        with copy.read() as conn:
            newest = conn.execute(
                text("SELECT id, op, row_id FROM change_log ORDER BY id DESC LIMIT 1")
            ).one()
        assert newest[0] > top and tuple(newest[1:]) == ("U", "c0")
    finally:
        copy.dispose()


def test_a_database_with_its_own_history_keeps_it(db: Database, clock: Clock, tmp_path: Path):
    """A restore-like import (--replace) into a database that has a change log keeps that log
    and captures the import on top of it, so time travel on it stays exact."""
    _history(db, clock)
    dump = tmp_path / "dump.sql"
    sonic("db", "export", "--output", str(dump), "--database-url", db.settings.database_url)
    with db.read() as conn:
        before = conn.execute(text("SELECT COUNT(*) FROM change_log")).scalar_one()
    summary = import_dump(db, dump, replace=True)
    assert summary.skipped_tables == ["change_log"]
    with db.read() as conn:
        after = conn.execute(text("SELECT COUNT(*) FROM change_log")).scalar_one()
    assert after > before  # the old log is there, the import's deletes and inserts on top


def test_a_failed_import_into_a_new_database_leaves_nothing_and_the_retry_works(
    db: Database, db_url: str, new_url: str, clock: Clock, tmp_path: Path
):
    seed_sample(db, clock)
    good = tmp_path / "good.sql"
    sonic("db", "export", "--output", str(good), "--database-url", db_url)
    altered = tmp_path / "altered.sql"
    altered.write_text(good.read_text().replace("'post-1'", "'post-X'", 1))
    target = Database(make_settings(new_url))
    try:
        with pytest.raises(DumpError) as error:
            import_dump(target, altered)
        assert error.value.code == "corrupt_dump"
        assert "the file is damaged or was edited: export it again" in str(error.value)
        if target.is_sqlite:
            folder = tmp_path
            assert not (folder / "copy.db").exists()
            assert not [p for p in folder.iterdir() if p.name.startswith(".copy.db")]
        else:
            with target.read() as conn:
                tables = conn.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                ).all()
            assert tables == []
        summary = import_dump(target, good)
        assert summary.created_schema and migrate.current_revision(target) is not None
        assert table_rows(target) == table_rows(db)
    finally:
        target.dispose()


def test_the_cli_says_what_to_do_about_a_foreign_database(tmp_path: Path, db: Database, clock):
    seed_sample(db, clock)
    dump = tmp_path / "dump.sql"
    sonic("db", "export", "--output", str(dump), "--database-url", db.settings.database_url)
    foreign = tmp_path / "foreign.db"
    import sqlite3

    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY)")
    result = CliRunner().invoke(
        app,
        ["db", "import", "--file", str(dump), "--database-url", f"sqlite:///{foreign}"],
        env={"SONIC_CONFIG_FILE": "/nonexistent"},
    )
    assert result.exit_code == 1
    assert "not a sonic-cms database: import into a new one" in result.output
    assert "(code: not_migrated)" in result.output
