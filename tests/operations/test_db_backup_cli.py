"""`sonic db export/import/backup/restore/time-travel/import-sonicjs/studio` through the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from sonic_cms.cli.db_backup import postgres_connect_hint, studio_command
from sonic_cms.db.engine import Database
from tests.api.test_serve_e2e import SONIC, free_port
from tests.conftest import make_settings
from tests.test_cli import sonic
from tests.utils.sample_data import seed_sample, table_rows

FIXTURE = Path(__file__).parents[1] / "fixtures" / "sonicjs_export.sql"


def test_export_and_import_sql_through_the_cli(db_url: str, db: Database, clock, tmp_path: Path):
    seed_sample(db, clock)
    dump = tmp_path / "out.sql.gz"
    exported = sonic("db", "export", "--output", str(dump), url=db_url)
    assert exported.exit_code == 0, exported.output
    assert "rows in" in exported.output and dump.exists()
    clash = sonic("db", "import", "--file", str(dump), url=db_url)
    assert clash.exit_code == 1 and "conflict" in clash.output
    before = table_rows(db)
    replaced = sonic("db", "import", "--file", str(dump), "--replace", url=db_url)
    assert replaced.exit_code == 0, replaced.output
    assert table_rows(db) == before


def test_json_export_and_import_skip_existing_rows(
    db_url: str, db: Database, clock, tmp_path: Path
):
    seed_sample(db, clock)
    path = tmp_path / "backup.json"
    assert (
        sonic("db", "export", "--format", "json", "--output", str(path), url=db_url).exit_code == 0
    )
    document = json.loads(path.read_text())
    assert document["version"] == "2.0.0" and "timestamp" in document
    assert list(document["data"])[:4] == ["users", "collections", "content", "media"]
    with db.write() as conn:
        conn.execute(text("DELETE FROM workflow_history"))
        conn.execute(text("DELETE FROM content WHERE id = 'c1'"))
    result = sonic("db", "import", "--file", str(path), url=db_url)
    assert result.exit_code == 0, result.output
    assert "content" in result.output
    with db.read() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM content")).scalar() == 3
        assert conn.execute(text("SELECT COUNT(*) FROM workflow_history")).scalar() == 1


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["data"]["content"][0].__setitem__("created_at", "yesterday"), "expected int"),
        (lambda d: d["data"]["users"][0].__setitem__("email", 42), "expected text"),
        (lambda d: d["data"].__setitem__("nope", []), "unknown table"),
        (lambda d: d["data"]["media"][0].__setitem__("colour", "red"), "no column"),
        (lambda d: d.__setitem__("data", []), "'data' object"),
        (lambda d: d.__setitem__("schema_revision", "9999"), "newer than this sonic-cms"),
    ],
)
def test_json_with_wrong_types_is_refused_and_nothing_written(
    db_url: str, db: Database, clock, tmp_path: Path, mutate, message: str
):
    seed_sample(db, clock)
    path = tmp_path / "b.json"
    sonic("db", "export", "--format", "json", "--output", str(path), url=db_url)
    document = json.loads(path.read_text())
    with db.write() as conn:
        conn.execute(text("DELETE FROM workflow_history"))
        conn.execute(text("DELETE FROM content"))
    mutate(document)
    path.write_text(json.dumps(document))
    result = sonic("db", "import", "--file", str(path), url=db_url)
    assert result.exit_code == 1 and message in result.output, result.output
    with db.read() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM content")).scalar() == 0


def test_backup_restore_and_time_travel_commands(db_url: str, clock, tmp_path: Path):
    env = {"SONIC_BACKUP_DIR": str(tmp_path / "b")}
    db = Database(make_settings(db_url))
    try:
        seed_sample(db, clock)
        made = sonic("db", "backup", url=db_url, env=env)
        assert made.exit_code == 0 and "Backup completed" in made.output, made.output
        (backup_file,) = (tmp_path / "b").glob("backup-*.sql.gz")
        snap = sonic("db", "time-travel", "snapshot", url=db_url, env=env)
        assert snap.exit_code == 0, snap.output
        time.sleep(0.02)
        moment = str(int(time.time() * 1000))
        time.sleep(0.02)
        with db.write() as conn:
            conn.execute(text("UPDATE content SET title = 'later' WHERE id = 'c0'"))
        info = sonic("db", "time-travel", "info", "--timestamp", moment, url=db_url, env=env)
        assert info.exit_code == 0 and "changes to replay: 0" in info.output, info.output
        back = sonic(
            "db", "time-travel", "restore", "--timestamp", moment, "--yes", url=db_url, env=env
        )
        assert back.exit_code == 0, back.output
        with db.read() as conn:
            assert conn.execute(text("SELECT title FROM content WHERE id='c0'")).scalar() != "later"
        early = sonic(
            "db",
            "time-travel",
            "restore",
            "--timestamp",
            "2001-01-01T00:00:00Z",
            "-y",
            url=db_url,
            env=env,
        )
        assert early.exit_code == 1 and "no_snapshot" in early.output
        restored = sonic("db", "restore", str(backup_file), "--yes", url=db_url, env=env)
        assert restored.exit_code == 0 and "safety backup" in restored.output, restored.output
    finally:
        db.dispose()


def test_import_sonicjs_command_prints_the_report(db_url: str, tmp_path: Path):
    result = sonic(
        "db", "import-sonicjs", str(FIXTURE), url=db_url, env={"SONIC_BACKUP_DIR": str(tmp_path)}
    )
    assert result.exit_code == 0, result.output
    assert "d1_migrations" in result.output and "faqs" in result.output


def test_studio_opens_sqlite_read_only_and_explains_postgres():
    command = studio_command("sqlite:///./data/sonic.db", 8001)
    assert command is not None and "-i" in command and command[-1] == "8001"
    assert studio_command("postgresql+psycopg://u:secret@h/db", 8001) is None
    hint = postgres_connect_hint("postgresql+psycopg://u:secret@h/db")
    assert "psql" in hint and "secret" not in hint


@pytest.mark.slow
def test_restore_refuses_while_a_real_server_runs(tmp_path: Path):
    env = {
        **os.environ,
        "SONIC_ENV": "development",
        "SONIC_CONFIG_FILE": str(tmp_path / "none"),
        "SONIC_BACKUP_DIR": str(tmp_path / "backups"),
        "SONIC_DATABASE_URL": f"sqlite:///{tmp_path / 'sonic.db'}",
    }
    run = lambda *args: subprocess.run(  # noqa: E731
        [SONIC, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert run("db", "migrate").returncode == 0
    assert run("db", "backup").returncode == 0
    (saved,) = (tmp_path / "backups").glob("backup-*.sql.gz")
    port = free_port()
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [SONIC, "serve", "--port", str(port)], cwd=tmp_path, env=env, stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        refused = run("db", "restore", str(saved), "--yes")
        assert refused.returncode == 1 and "server is running" in refused.stderr
        assert not list((tmp_path / "backups").glob("safety-*"))
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()
    allowed = run("db", "restore", str(saved), "--yes")
    assert allowed.returncode == 0, allowed.stderr


def test_execute_json_has_the_shape_of_wrangler_output(db_url: str):
    """Scripts parse `wrangler d1 execute --json`; ours has its keys with the same JSON types."""
    wrangler = json.loads((FIXTURE.parent / "wrangler_execute.json").read_text())
    sql = "SELECT id FROM workflow_states WHERE is_initial = 1"
    result = sonic("db", "execute", "--command", sql, "--json", url=db_url)
    ours = json.loads(result.output)
    assert isinstance(ours, list) and set(ours[0]) == set(wrangler[0])
    assert ours[0]["results"] == wrangler[0]["results"]
    shared = set(ours[0]["meta"]) & set(wrangler[0]["meta"])
    assert shared >= {"duration", "changes", "last_row_id", "changed_db", "rows_read"}
    for key in shared:
        expected = type(wrangler[0]["meta"][key])
        actual = type(ours[0]["meta"][key])
        assert actual is expected or {actual, expected} <= {int, float}, key
