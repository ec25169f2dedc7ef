"""Backups, restore, the server lock and time travel on both engines."""

from __future__ import annotations

import gzip
import os
import time
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import text

from sonic_cms.actors import ANONYMOUS, SYSTEM
from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.content.bulk import bulk_create_items
from sonic_cms.content.lists import list_content
from sonic_cms.context import Context
from sonic_cms.db.change_capture import capture_table, ensure_capture, uncovered_tables
from sonic_cms.db.engine import Database
from sonic_cms.operations import backup, time_travel
from sonic_cms.operations.dump_format import DumpError
from sonic_cms.operations.import_sql import verify_dump
from sonic_cms.operations.restore import restore_backup, restore_to_moment
from sonic_cms.operations.server_duties import snapshot_if_due
from sonic_cms.operations.server_lock import DatabaseBusy, server_presence
from tests.conftest import make_settings
from tests.utils.sample_data import seed_sample, table_rows


@pytest.fixture
def ops_db(db_url: str, tmp_path: Path):
    database = Database(make_settings(db_url, backup_dir=tmp_path / "backups"))
    yield database
    database.dispose()


@pytest.fixture
def ops(ctx: Context, ops_db: Database) -> Context:
    """An operator's context on ``ops_db``, whose settings name the test's backup folder."""
    return replace(ctx, db=ops_db, settings=ops_db.settings)


def title(db: Database, content_id: str = "c0") -> str:
    with db.read() as conn:
        return str(
            conn.execute(
                text("SELECT title FROM content WHERE id = :i"), {"i": content_id}
            ).scalar()
        )


def set_title(db: Database, value: str, content_id: str = "c0") -> None:
    with db.write() as conn:
        conn.execute(
            text("UPDATE content SET title = :t WHERE id = :i"), {"t": value, "i": content_id}
        )


def db_now(db: Database) -> int:
    with db.read() as conn:
        return time_travel.db_now_ms(conn)


def pause() -> None:
    time.sleep(0.02)


def test_backup_is_named_gzipped_verified_and_old_ones_pruned(
    ops_db: Database, ops: Context, clock: FrozenClock
):
    seed_sample(ops_db, clock)
    old = ops_db.settings.backup_dir / "backup-test-20200101_000000.sql.gz"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"old")
    os.utime(old, (0, 0))
    result = backup.create_backup(ops)
    assert result.path.name == "backup-test-20260101_000000.sql.gz"
    assert gzip.decompress(result.path.read_bytes()).startswith(b"-- sonic-cms dump\n")
    assert verify_dump(result.path)["content"] == 3
    assert backup.prune_backups(ops) == [old]
    assert result.path.exists() and not old.exists()
    assert backup.create_backup(ops).path.name.endswith("-2.sql.gz")


def test_restore_brings_back_the_backup_and_writes_a_safety_backup(
    ops_db: Database, ops: Context, clock
):
    seed_sample(ops_db, clock)
    before = table_rows(ops_db)
    saved = backup.create_backup(ops).path
    set_title(ops_db, "changed after the backup")
    result = restore_backup(ops, saved)
    assert table_rows(ops_db) == before
    assert result.safety_backup is not None and result.safety_backup.name.startswith("safety-")
    assert b"changed after the backup" in gzip.decompress(result.safety_backup.read_bytes())


def test_restore_refuses_while_a_server_runs_and_changes_nothing(
    ops_db: Database, ops: Context, clock
):
    seed_sample(ops_db, clock)
    saved = backup.create_backup(ops).path
    set_title(ops_db, "live edit")
    with server_presence(ops_db.settings), pytest.raises(DatabaseBusy) as busy:
        restore_backup(ops, saved)
    assert "server is running" in str(busy.value)
    assert title(ops_db) == "live edit"
    assert not list(ops_db.settings.backup_dir.glob("safety-*"))


def test_restore_refuses_a_damaged_backup_before_touching_anything(
    ops_db: Database, ops: Context, clock
):
    seed_sample(ops_db, clock)
    saved = backup.create_backup(ops).path
    saved.write_bytes(saved.read_bytes()[:-40])
    set_title(ops_db, "kept")
    with pytest.raises(DumpError):
        restore_backup(ops, saved)
    assert title(ops_db) == "kept"


def test_a_server_app_holds_the_lock(settings: Settings, db: Database, clock):
    from fastapi.testclient import TestClient

    from sonic_cms.api.app import create_app

    with TestClient(create_app(settings, db=db, clock=clock)), pytest.raises(DatabaseBusy):
        _exclusive(settings)
    _exclusive(settings)  # released at shutdown


def _exclusive(settings: Settings) -> None:
    from sonic_cms.operations.server_lock import exclusive_maintenance

    with exclusive_maintenance(settings):
        pass


def test_capture_triggers_cover_every_table(db: Database):
    with db.read() as conn:
        assert uncovered_tables(conn) == []
    with db.write() as conn:
        conn.execute(text("UPDATE workflow_states SET color = '#000000' WHERE id = 'draft'"))
        rows = conn.execute(text("SELECT table_name, op, row_id FROM change_log ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("workflow_states", "U", "draft")]


def test_system_logs_are_not_captured_and_a_leftover_trigger_is_dropped(db: Database):
    """Issue 17: request logs stay out of the change log; a database still carrying the
    triggers of system_logs (an older release, or a downgrade of 0012) loses them again."""
    insert_log = text(
        "INSERT INTO system_logs (id, level, category, message, created_at) "
        "VALUES (:id, 'info', 'api', 'GET / 200', 1)"
    )
    count_logged = text("SELECT COUNT(*) FROM change_log WHERE table_name = 'system_logs'")
    with db.write() as conn:
        conn.execute(insert_log, {"id": "log-1"})
        assert conn.execute(count_logged).scalar() == 0
        capture_table(conn, "system_logs")
        conn.execute(insert_log, {"id": "log-2"})
        assert conn.execute(count_logged).scalar() == 1
        assert ensure_capture(conn) == ["system_logs"]
        conn.execute(insert_log, {"id": "log-3"})
        assert conn.execute(count_logged).scalar() == 1
        assert uncovered_tables(conn) == []


def test_restore_to_a_moment_between_two_edits_gives_exactly_the_first(
    ops_db: Database, ops: Context, clock
):
    seed_sample(ops_db, clock)
    time_travel.take_snapshot(ops)
    pause()
    set_title(ops_db, "first edit")
    with ops_db.write() as conn:
        conn.execute(text("DELETE FROM workflow_history"))
    pause()
    moment = db_now(ops_db)
    expected = table_rows(ops_db)
    pause()
    set_title(ops_db, "second edit")
    set_title(ops_db, "other item edited", "c1")
    with ops_db.write() as conn:
        conn.execute(text("DELETE FROM content WHERE id = 'c2'"))
    info = time_travel.coverage(ops, moment)
    assert info.snapshot is not None and info.changes_to_replay == 2
    result = restore_to_moment(ops, moment)
    assert result.replayed_changes == 2
    assert title(ops_db) == "first edit"
    assert table_rows(ops_db) == expected
    with ops_db.read() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM change_log_pause")).scalar() == 0
    # the restore did not log itself, and time travel keeps working after it
    set_title(ops_db, "after restore")
    pause()
    later = db_now(ops_db)
    restore_to_moment(ops, later)
    assert title(ops_db) == "after restore"


def test_time_travel_refuses_moments_it_cannot_serve(ops_db: Database, ops: Context):
    with pytest.raises(DumpError) as error:
        restore_to_moment(ops, db_now(ops_db) - 1000)
    assert error.value.code == "no_snapshot"
    with pytest.raises(DumpError) as future:
        restore_to_moment(ops, db_now(ops_db) + 3_600_000)
    assert future.value.code == "future_timestamp"


def test_prune_drops_old_snapshots_and_the_log_they_alone_needed(
    ops_db: Database, ops: Context, clock
):
    seed_sample(ops_db, clock)
    first = time_travel.take_snapshot(ops)
    pause()
    set_title(ops_db, "between")
    pause()
    second = time_travel.take_snapshot(ops)
    set_title(ops_db, "after")
    now = second.taken_at_ms + 31 * 86_400_000
    removed, entries = time_travel.prune(ops, now)
    assert removed == [first.path] and entries >= 1
    assert [s.path for s in time_travel.list_snapshots(ops)] == [second.path]
    with ops_db.read() as conn:
        left = conn.execute(text("SELECT COUNT(*) FROM change_log")).scalar()
    assert left == 1  # the edit after the kept snapshot


def test_server_snapshot_task_skips_when_a_recent_snapshot_exists(ops: Context):
    assert snapshot_if_due(ops) is not None
    assert snapshot_if_due(ops) is None


def test_a_table_added_later_gets_capture_triggers(ops_db: Database, ops: Context):
    with ops_db.write() as conn:
        conn.execute(text("CREATE TABLE guestbook (id TEXT PRIMARY KEY, body TEXT)"))
    with ops_db.read() as conn:
        assert uncovered_tables(conn) == ["guestbook"]
    assert time_travel.refresh_capture(ops) == ["guestbook"]
    assert time_travel.refresh_capture(ops) == []
    with ops_db.write() as conn:
        conn.execute(text("INSERT INTO guestbook (id, body) VALUES ('k1', 'hi')"))
        logged = conn.execute(
            text("SELECT op, row_id FROM change_log WHERE table_name = 'guestbook'")
        ).all()
    assert [tuple(r) for r in logged] == [("I", "k1")]


def test_restore_replays_a_bulk_import_as_it_was(ops_db: Database, ops: Context, clock):
    """The bulk import logs its batches set-wise with capture paused (on PostgreSQL after a
    COPY): a restore must replay those entries into exactly the imported rows, searchable."""
    sample = seed_sample(ops_db, clock)
    time_travel.take_snapshot(ops)
    pause()
    items = [{"title": f"Zanzibar {n}", "status": "published"} for n in range(5)]
    report = bulk_create_items(
        ops.acting_as(SYSTEM), "blog", items, batch_size=2, author_id=sample["inviter"]
    )
    assert report.created == 5 and len(report.batches) == 3
    pause()
    moment = db_now(ops_db)
    expected = table_rows(ops_db)
    pause()
    with ops_db.write() as conn:
        imported = "(SELECT id FROM content WHERE title LIKE 'Zanzibar%')"
        conn.execute(text(f"DELETE FROM content_versions WHERE content_id IN {imported}"))
        conn.execute(text("DELETE FROM content WHERE title LIKE 'Zanzibar%'"))
    result = restore_to_moment(ops, moment)
    assert result.replayed_changes == 10  # 5 content and 5 version rows, logged in 3 batches
    assert table_rows(ops_db) == expected
    found = list_content(ops.acting_as(ANONYMOUS), [("search", "zanzibar"), ("limit", "10")])
    assert found["meta"]["count"] == 5
