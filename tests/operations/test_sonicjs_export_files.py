"""`sonic db import-sonicjs` reads `.sql` and `.sql.gz` exports, and its error codes name the
real cause (issue 14: a gzip file failed with `file_not_found`)."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from sonic_cms.cli.main import app
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.operations.sonicjs_import import SonicJSImportError, import_sonicjs
from tests.conftest import make_settings

FIXTURE = Path(__file__).parents[1] / "fixtures" / "sonicjs_export.sql"


@pytest.fixture
def operator(ctx: Context, db_url: str, tmp_path: Path) -> Context:
    """The system's context on the test database, its backup folder in ``tmp_path``."""
    settings = make_settings(db_url, backup_dir=tmp_path / "backups")
    return replace(ctx, settings=settings)


def _users(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM users")).scalar_one())


def test_a_gzipped_export_imports_like_the_plain_one(operator: Context, tmp_path: Path):
    packed = tmp_path / "sonicjs.sql.gz"
    packed.write_bytes(gzip.compress(FIXTURE.read_bytes()))
    report = import_sonicjs(operator, packed)
    assert report.table("users").mapped == 3 and report.table("content").mapped == 4


def test_the_cli_reads_a_gzipped_export(db_url: str, tmp_path: Path):
    packed = tmp_path / "export.sql.gz"
    packed.write_bytes(gzip.compress(FIXTURE.read_bytes()))
    result = CliRunner().invoke(
        app,
        ["db", "import-sonicjs", str(packed), "--database-url", db_url],
        env={"SONIC_CONFIG_FILE": "/nonexistent", "SONIC_BACKUP_DIR": str(tmp_path / "b")},
    )
    assert result.exit_code == 0, result.output
    assert "imported" in result.output


def _missing(folder: Path) -> Path:
    return folder / "nowhere.sql"


def _folder(folder: Path) -> Path:
    return folder


def _truncated_gzip(folder: Path) -> Path:
    path = folder / "cut.sql.gz"
    path.write_bytes(gzip.compress(FIXTURE.read_bytes())[:500])
    return path


def _latin1(folder: Path) -> Path:
    path = folder / "latin1.sql"
    path.write_bytes("INSERT INTO users VALUES ('café');".encode("latin-1"))
    return path


@pytest.mark.parametrize(
    ("make", "code", "says"),
    [
        (_missing, "file_not_found", "no such file"),
        (_folder, "not_a_file", "is not a file"),
        (_truncated_gzip, "corrupt_gzip", "is not a whole gzip file"),
        (_latin1, "not_utf8", "is not UTF-8 text"),
    ],
    ids=["missing", "folder", "truncated-gzip", "latin-1"],
)
def test_each_unreadable_export_has_its_own_code_and_writes_nothing(
    operator: Context, tmp_path: Path, make: Callable[[Path], Path], code: str, says: str
):
    with pytest.raises(SonicJSImportError) as error:
        import_sonicjs(operator, make(tmp_path))
    assert error.value.code == code and says in str(error.value)
    assert _users(operator.db) == 0
