"""Long commands show progress on stderr and take --quiet (issue 14: `sonic content import` of
50,000 items ran silent for 7 s)."""

from __future__ import annotations

import io
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from sonic_cms.cli.main import app
from sonic_cms.cli.progress import progress
from sonic_cms.content.collections import create_collection
from sonic_cms.db.engine import Database
from tests.content.helpers import context_on
from tests.utils.auth import create_random_user
from tests.utils.sample_data import seed_sample

runner = CliRunner()


def sonic(*args: str, url: str, tmp_path: Path):
    result = runner.invoke(
        app,
        [*args, "--database-url", url],
        env={"SONIC_CONFIG_FILE": "/nonexistent", "SONIC_BACKUP_DIR": str(tmp_path / "backups")},
    )
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.parametrize("quiet", [False, True], ids=["progress", "quiet"])
def test_content_import_reports_lines_read(db_url: str, db: Database, clock, tmp_path, quiet):
    create_random_user(db, clock, "admin")
    schema = {"type": "object", "properties": {}}
    create_collection(
        context_on(db, clock), {"name": "notes", "display_name": "Notes", "schema": schema}
    )
    items = tmp_path / "items.jsonl"
    items.write_bytes(b"".join(orjson.dumps({"title": f"n{i}"}) + b"\n" for i in range(1200)))
    flags = ["--quiet"] if quiet else []
    command = ["content", "import", str(items), "--collection", "notes", *flags]
    result = sonic(*command, url=db_url, tmp_path=tmp_path)
    assert "Imported 1200 items" in result.stdout
    if quiet:
        assert result.stderr == ""
    else:
        assert result.stderr.startswith("lines read: 500/1,200\n")
        assert result.stderr.endswith("lines read: 1,200/1,200 done\n")


@pytest.mark.parametrize("quiet", [False, True], ids=["progress", "quiet"])
def test_dump_backup_and_restore_report_each_table(
    db_url: str, db: Database, clock, tmp_path: Path, quiet: bool
):
    seed_sample(db, clock)
    flags = ["--quiet"] if quiet else []
    dump = tmp_path / "dump.sql"
    commands = [
        ["db", "export", "--output", str(dump)],
        ["db", "backup"],
        ["db", "restore", str(dump), "--yes"],
        ["db", "import", "--file", str(dump), "--replace"],
    ]
    for command in commands:
        result = sonic(*command, *flags, url=db_url, tmp_path=tmp_path)
        if quiet:
            assert result.stderr == ""
        else:
            assert "content: 3/3 done\n" in result.stderr, result.stderr


def test_sonicjs_import_says_what_it_is_doing(db_url: str, tmp_path: Path):
    export = Path(__file__).parent / "fixtures" / "sonicjs_export.sql"
    said = sonic("db", "import-sonicjs", str(export), url=db_url, tmp_path=tmp_path)
    assert said.stderr.startswith(f"reading {export} and mapping its tables")
    quiet = sonic("db", "import-sonicjs", str(export), "-q", url=db_url, tmp_path=tmp_path)
    assert quiet.stderr == ""


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_bars():
    screen = _Terminal()
    with progress(False, stream=screen) as report:
        report("content", 10, 20)
        report("content", 20, 20)
    assert "content" in screen.getvalue() and "20/20" in screen.getvalue()
