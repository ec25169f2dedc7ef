"""What the CLI says (issue 14): not-found errors name the thing, a request's log line shows
its status once, and `time-travel info` before the first snapshot says when it comes and how
to take one now."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import insert
from typer.testing import CliRunner

from sonic_cms.cli.main import app
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import SystemLog
from sonic_cms.ids import new_id
from tests.utils.auth import create_random_user

runner = CliRunner()


def sonic(*args: str, url: str, env: dict[str, str] | None = None):
    return runner.invoke(
        app,
        [*args, "--database-url", url],
        env={"SONIC_CONFIG_FILE": "/nonexistent", **(env or {})},
    )


def test_not_found_errors_name_what_was_typed(db_url: str, db: Database, clock, tmp_path: Path):
    create_random_user(db, clock, "admin")  # the default author of `content import`
    items = tmp_path / "items.jsonl"
    items.write_text('{"title": "Hello"}\n')
    cases = [
        (["tokens", "revoke", "tok-nope"], "Token 'tok-nope' not found"),
        (["users", "set-role", "ghost", "editor"], "User 'ghost' not found"),
        (["tokens", "list", "--user", "ghost"], "User 'ghost' not found"),
        (
            ["content", "import", str(items), "--collection", "posts"],
            "Collection 'posts' not found",
        ),
    ]
    for args, expected in cases:
        result = sonic(*args, url=db_url)
        assert result.exit_code == 1, result.output
        assert result.output.strip() == f"error: {expected}", args


def test_a_request_log_line_shows_its_status_once(db_url: str, db: Database, clock):
    with db.write() as conn:
        conn.execute(
            insert(SystemLog).values(
                id=new_id(),
                level="warn",
                category="api",
                message="GET /api/nope 404",
                method="GET",
                url="/api/nope?limit=2",
                status_code=404,
                duration=7,
                source="http",
                created_at=clock.now_ms(),
            )
        )
    result = sonic("logs", "query", "--category", "api", url=db_url)
    assert result.exit_code == 0, result.output
    line = result.output.strip().splitlines()[-1]
    assert line.endswith("warn  api      GET /api/nope?limit=2 404 7ms")
    assert line.count("404") == 1


def test_time_travel_info_before_the_first_snapshot_says_when_and_how(db_url: str, tmp_path):
    env = {"SONIC_BACKUP_DIR": str(tmp_path / "backups")}
    result = sonic(
        "db", "time-travel", "info", "--timestamp", "2099-01-01T00:00:00Z", url=db_url, env=env
    )
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "no snapshot at or before this moment, so it cannot be restored:" in said
    assert "a running `sonic serve` takes its first 1 h after it starts" in said
    assert "take one now with `sonic db time-travel snapshot`" in said
    off = sonic(
        "db", "time-travel", "info", "--timestamp", "2099-01-01T00:00:00Z", url=db_url,
        env={**env, "SONIC_TIME_TRAVEL_INTERVAL_SECONDS": "0"},
    )  # fmt: skip
    assert "automatic snapshots are off (SONIC_TIME_TRAVEL_INTERVAL_SECONDS=0)" in " ".join(
        off.output.split()
    )
    taken = sonic("db", "time-travel", "snapshot", url=db_url, env=env)
    assert taken.exit_code == 0, taken.output
    before = sonic(
        "db", "time-travel", "info", "--timestamp", "2000-01-01T00:00:00Z", url=db_url, env=env
    )
    assert "the earliest restorable moment is" in " ".join(before.output.split())
