"""Every `sonic` command in docs/deploy.md runs as written, on SQLite and on PostgreSQL.

The commands are read from the guide's code blocks: a line calls `sonic` when a word is `sonic`
or a path ending in `/sonic` (so `ExecStart=/srv/sonic/.venv/bin/sonic serve` and the cron
line's `.venv/bin/sonic db backup` count) followed by one of the CLI's own commands. They run in
the guide's order, in the environment its `/etc/sonic/sonic.env` block describes, with this
test's database, Redis and folders in place of the production ones. `sonic serve` (the systemd
unit's ExecStart) runs as a real process until it answers, then gets the SIGTERM systemd sends
and must exit 0. Every other command runs in-process with Typer's runner and must exit 0; the
state they leave behind is then checked (an admin, migrations at head, a backup, a snapshot).
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from sonic_cms.cli.main import app
from sonic_cms.db import migrate
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import User
from tests.conftest import drop_pg_database, make_settings, postgres_admin_url
from tests.utils.live_server import wait_for
from tests.utils.redis_server import free_port

GUIDE = Path(__file__).parent.parent / "docs" / "deploy.md"
SONIC = str(Path(sys.executable).parent / "sonic")
SECRET = "deploy-guide-secret-0123456789abcdefghijklmn"
#: The guide's example backup name, replaced by the name of the backup the guide's
#: `sonic db backup` just made.
BACKUP_NAME = re.compile(r"backup-production-\d{8}_\d{6}\.sql\.gz")
runner = CliRunner()


def code_blocks(markdown: str) -> list[str]:
    """The text of every fenced code block."""
    return re.findall(r"^```[^\n]*\n(.*?)^```", markdown, re.M | re.S)


def top_commands() -> set[str]:
    """The CLI's top-level commands (`db`, `serve`, ...), from its click tree."""
    return set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def sonic_commands(block: str) -> list[list[str]]:
    """The `sonic` invocations of a code block, each as ``["sonic", *arguments]``."""
    known = top_commands()
    found = []
    for line in block.splitlines():
        words = shlex.split(line, comments=True)
        segments: list[list[str]] = [[]]
        for word in words:
            if word in ("&&", "||", ";", "|"):
                segments.append([])
            else:
                segments[-1].append(word)
        for segment in segments:
            for i, word in enumerate(segment[:-1]):
                program = word.rsplit("=", 1)[-1]
                if program.rsplit("/", 1)[-1] == "sonic" and segment[i + 1] in known:
                    found.append(["sonic", *segment[i + 1 :]])
                    break
    return found


def guide_commands() -> list[list[str]]:
    """Every `sonic` command of the guide, in its order."""
    return [
        command for block in code_blocks(GUIDE.read_text()) for command in sonic_commands(block)
    ]


def guide_environment() -> dict[str, str]:
    """The variables of the guide's /etc/sonic/sonic.env block."""
    block = next(b for b in code_blocks(GUIDE.read_text()) if "/etc/sonic/sonic.env" in b[:60])
    pairs = (line.split("=", 1) for line in block.splitlines() if re.match(r"^SONIC_\w+=", line))
    return {name: value for name, value in pairs}


def test_every_line_that_calls_sonic_is_found() -> None:
    """The extraction misses nothing: each code line naming a `sonic` command is one command."""
    known = "|".join(sorted(top_commands()))
    calls = re.compile(rf"(?:^|[\s=/])sonic ({known})\b")
    lines = [
        line
        for block in code_blocks(GUIDE.read_text())
        for line in block.splitlines()
        if calls.search(line.split(" #", 1)[0])
    ]
    assert len(lines) == len(guide_commands()) > 0


def test_the_guide_covers_what_it_promises() -> None:
    """First start, the unit, backup and restore, upgrading: the commands the issue asks for."""
    commands = {" ".join(command[:3]) for command in guide_commands()}
    for expected in ("sonic db migrate", "sonic serve", "sonic db backup", "sonic db restore"):
        assert any(command.startswith(expected) for command in commands), expected


@pytest.fixture
def production(engine_name: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The guide's environment on a database that does not exist yet (its first command
    creates it), local media and folders under tmp_path, Redis when the suite has one."""
    redis_url = os.environ.get("SONIC_TEST_REDIS_URL", "")
    if engine_name == "sqlite":
        url = f"sqlite:///{tmp_path / 'data' / 'sonic.db'}"
    else:
        name = f"sonic_t_{uuid.uuid4().hex[:16]}"
        url = make_url(postgres_admin_url()).set(database=name).render_as_string(False)
    environment = {
        **guide_environment(),
        "SONIC_SECRET_KEY": SECRET,
        "SONIC_METRICS_TOKEN": SECRET,
        "SONIC_DATABASE_URL": url,
        "SONIC_REDIS_URL": "" if engine_name == "sqlite" else redis_url,
        "SONIC_CACHE_REDIS_PREFIX": f"guide-{uuid.uuid4().hex[:8]}:",
        "SONIC_MEDIA_STORAGE": "local",
        "SONIC_MEDIA_LOCAL_DIR": str(tmp_path / "media"),
        "SONIC_BACKUP_S3_BUCKET": "",
        "SONIC_DATA_DIR": str(tmp_path / "data"),
        "SONIC_BACKUP_DIR": str(tmp_path / "backups"),
        "SONIC_CACHE_GENERATIONS_FILE": str(tmp_path / "data" / "cache-generations"),
        "SONIC_PORT": str(free_port()),
        "SONIC_WORKERS": "2",
        "SONIC_CONFIG_FILE": str(tmp_path / "none.toml"),
    }
    yield environment
    if engine_name != "sqlite":
        drop_pg_database(url)


def test_every_sonic_command_in_the_guide_runs(production: dict[str, str], tmp_path: Path) -> None:
    for command in guide_commands():
        if command[1] == "serve":
            serve_until_sigterm(command, production, tmp_path)
            continue
        arguments = [_with_latest_backup(word, production) for word in command[1:]]
        result = runner.invoke(app, arguments, env=production)
        assert result.exit_code == 0, (command, result.output)
    settings = make_settings(production["SONIC_DATABASE_URL"])
    db = Database(settings)
    try:
        assert migrate.pending_revisions(db) == []
        with db.read() as conn:
            admins = conn.execute(select(func.count()).where(User.role == "admin")).scalar()
        assert admins == 1
    finally:
        db.dispose()
    assert list((tmp_path / "backups").glob("backup-production-*.sql.gz"))
    assert list((tmp_path / "backups" / "snapshots").iterdir())


def _with_latest_backup(word: str, environment: dict[str, str]) -> str:
    """``word``, with the guide's example backup name replaced by the newest backup's."""
    if not BACKUP_NAME.fullmatch(word):
        return word
    backups = sorted(Path(environment["SONIC_BACKUP_DIR"]).glob("backup-production-*.sql.gz"))
    assert backups, "the guide restores a backup before it made one"
    return backups[-1].name


def serve_until_sigterm(command: list[str], environment: dict[str, str], cwd: Path) -> None:
    """Run the unit's `sonic serve` until /health answers, then stop it as systemd does."""
    log = cwd / "serve.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [SONIC, *command[1:]],
            cwd=cwd,
            env={**os.environ, **environment},
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(f"http://127.0.0.1:{environment['SONIC_PORT']}", process, log)
        finally:
            process.send_signal(signal.SIGTERM)
            returncode = process.wait(timeout=60)
    assert returncode == 0, log.read_text()
