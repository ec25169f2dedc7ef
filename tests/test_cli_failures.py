"""Every `sonic` command fails in one line on stderr with a non-zero exit (issue 14).

Real subprocesses against the real PostgreSQL server of the tests (a database name that does
not exist, a role that does not exist, a closed port), a private PostgreSQL cluster that checks
passwords (the shared one trusts every local connection), and malformed settings.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import drop_pg_database, postgres_admin_url
from tests.utils.redis_server import free_port

SONIC = Path(sys.executable).with_name("sonic")
#: The commands the issue names; each goes through the common CLI path.
COMMANDS = [["db", "migrate"], ["serve"], ["users", "ensure-admin"]]


def run_sonic(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``sonic ARGS`` in a clean environment (no sonic.toml, no stray SONIC_* variables)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("SONIC_")}
    base.update({"SONIC_CONFIG_FILE": str(cwd / "none.toml"), "SONIC_DATA_DIR": str(cwd)})
    return subprocess.run(
        [str(SONIC), *args],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def one_error_line(result: subprocess.CompletedProcess[str], code: int = 1) -> str:
    """The single stderr line of a failed command (its ``error:`` prefix removed)."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == code, (result.returncode, result.stderr[-3000:])
    assert len(lines) == 1, result.stderr[-3000:]
    assert lines[0].startswith("error: "), lines[0]
    return lines[0].removeprefix("error: ")


def _pg_url(**parts: object) -> str:
    return make_url(postgres_admin_url()).set(**parts).render_as_string(hide_password=False)  # type: ignore[arg-type]


def _missing_database() -> tuple[str, str]:
    name = f"sonic_missing_{uuid.uuid4().hex[:8]}"
    server = make_url(postgres_admin_url())
    where = f"{server.host}:{server.port or 5432}"
    expected = f"database {name} does not exist on {where}: create it with `sonic db create`"
    return _pg_url(database=name), expected


def _closed_port() -> tuple[str, str]:
    postgres_admin_url()  # skips (or fails on CI) like every PostgreSQL test
    port = free_port()
    expected = (
        f"cannot reach the PostgreSQL server at 127.0.0.1:{port} (connection refused): "
        "start it, or fix the host and port in SONIC_DATABASE_URL"
    )
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/sonic", expected


def _missing_role() -> tuple[str, str]:
    server = make_url(postgres_admin_url())
    expected = (
        f"user sonic_nobody does not exist on {server.host}:{server.port or 5432}: "
        "fix the user in SONIC_DATABASE_URL or create the role"
    )
    return _pg_url(username="sonic_nobody", password="x"), expected


@pytest.mark.postgres
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize(
    "case", [_missing_database, _closed_port, _missing_role], ids=lambda case: case.__name__
)
def test_an_unusable_postgres_database_is_one_line(
    command: list[str], case: Callable[[], tuple[str, str]], tmp_path: Path
):
    url, expected = case()
    assert one_error_line(run_sonic(*command, "--database-url", url, cwd=tmp_path)) == expected


@pytest.fixture(scope="module")
def password_postgres() -> Iterator[str]:
    """A private PostgreSQL cluster with scram-sha-256 password checks; its URL (right password).

    initdb refuses to run as root, so as root it runs as the ``postgres`` user, in a folder of
    its own directly under the temporary directory (pytest's folders are closed to other users).
    """
    postgres_admin_url()
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        pytest.skip("no PostgreSQL server binaries (initdb) on this machine")
    binaries = found[-1].parent
    root = Path(tempfile.mkdtemp(prefix="sonic-pgpw-"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser")
        prefix = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres")
    password = root / "password"
    password.write_text("right-password\n")
    if prefix:
        shutil.chown(password, "postgres")
    data, port = root / "data", free_port()
    subprocess.run(
        [
            *prefix,
            str(binaries / "initdb"),
            "-D",
            str(data),
            "-A",
            "scram-sha-256",
            "-U",
            "postgres",
            f"--pwfile={password}",
        ],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    ctl = [*prefix, str(binaries / "pg_ctl"), "-D", str(data)]
    subprocess.run(
        [*ctl, "-o", options, "-l", str(root / "log"), "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres:right-password@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*ctl, "-m", "immediate", "stop"], capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.postgres
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_wrong_password_is_one_line(command: list[str], password_postgres: str, tmp_path):
    url = make_url(password_postgres).set(password="wrong-password")
    wrong = url.render_as_string(hide_password=False)
    line = one_error_line(run_sonic(*command, "--database-url", wrong, cwd=tmp_path))
    assert line == (
        f"password authentication failed for user postgres on 127.0.0.1:{url.port}: "
        "fix the password in SONIC_DATABASE_URL"
    )


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"SONIC_REDIS_URL": "notaurl"}, "configuration: SONIC_REDIS_URL: 'notaurl' is not a"),
        (
            {"SONIC_MEDIA_STORAGE": "s3", "SONIC_MEDIA_S3_ENDPOINT_URL": "notaurl"},
            "configuration: SONIC_MEDIA_S3_ENDPOINT_URL: 'notaurl' is not an http(s)",
        ),
        ({"SONIC_PORT": "eighty"}, "configuration: SONIC_PORT: Input should be a valid integer"),
    ],
    ids=["redis", "s3-endpoint", "port"],
)
def test_malformed_settings_are_one_line_and_exit_2(
    command: list[str], variables: dict[str, str], expected: str, tmp_path: Path
):
    url = f"sqlite:///{tmp_path}/sonic.db"
    result = run_sonic(*command, "--database-url", url, cwd=tmp_path, env=variables)
    assert one_error_line(result, code=2).startswith(expected)


def test_an_unreachable_s3_endpoint_stops_serve_in_one_line(tmp_path: Path):
    port = free_port()
    result = run_sonic(
        "serve",
        "--database-url",
        f"sqlite:///{tmp_path}/sonic.db",
        cwd=tmp_path,
        env={
            "SONIC_MEDIA_STORAGE": "s3",
            "SONIC_MEDIA_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "SONIC_MEDIA_S3_ACCESS_KEY_ID": "key",
            "SONIC_MEDIA_S3_SECRET_ACCESS_KEY": "secret",
        },
    )
    line = one_error_line(result)
    assert line.startswith(
        f'S3 storage: Could not connect to the endpoint URL: "http://127.0.0.1:{port}'
    )
    assert line.endswith("check SONIC_MEDIA_S3_ENDPOINT_URL and the S3 credentials")


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_an_unknown_env_name_is_named_not_the_secret_key(command: list[str], tmp_path: Path):
    result = run_sonic(*command, "--env", "stagign", cwd=tmp_path)
    line = one_error_line(result, code=2)
    assert line.startswith("configuration: unknown environment 'stagign': ")
    assert "defines no [env.stagign] section (known: development)" in line


@pytest.mark.postgres
def test_debug_shows_the_traceback(tmp_path: Path):
    url = _pg_url(database=f"sonic_missing_{uuid.uuid4().hex[:8]}")
    result = run_sonic("--debug", "db", "migrate", "--database-url", url, cwd=tmp_path)
    assert result.returncode != 0
    assert "Traceback (most recent call last)" in result.stderr
    assert "does not exist" in result.stderr


def test_an_unmigrated_sqlite_database_says_to_migrate(tmp_path: Path):
    path = tmp_path / "never-migrated.db"
    sqlite3.connect(path).close()  # an empty file, as a mistaken `touch` or another tool leaves
    result = run_sonic("users", "list", "--database-url", f"sqlite:///{path}", cwd=tmp_path)
    line = one_error_line(result, code=1)
    assert "this database is not migrated; run `sonic db migrate`" in line


@pytest.mark.parametrize(
    "command",
    [
        ["users", "list"],
        ["logs", "query"],
        ["plugins", "list"],
        ["scheduler", "run", "--once"],
        ["db", "info"],
        ["tokens", "list"],
    ],
    ids=" ".join,
)
def test_a_missing_sqlite_file_is_named_and_not_created(command: list[str], tmp_path: Path):
    """A mistyped path must not leave an empty database (or a generations file) behind."""
    path = tmp_path / "nested" / "typo.db"
    result = run_sonic(*command, "--database-url", f"sqlite:///{path}", cwd=tmp_path)
    line = one_error_line(result, code=1)
    assert line == (
        f"no database at {path}; run `sonic db migrate` "
        "(or check that SONIC_DATABASE_URL names the database you meant)"
    )
    assert not (tmp_path / "nested").exists()


def test_debug_shows_the_traceback_of_a_configuration_error_too(tmp_path: Path):
    result = run_sonic("--debug", "db", "info", cwd=tmp_path, env={"SONIC_REDIS_URL": "notaurl"})
    assert result.returncode != 0
    assert "Traceback (most recent call last)" in result.stderr
    assert "ConfigError: SONIC_REDIS_URL" in result.stderr


@pytest.mark.postgres
def test_postgres_start_db_create_then_migrate(tmp_path: Path):
    """The README's way to start on PostgreSQL: `sonic db create`, then `sonic db migrate`."""
    url = _pg_url(database=f"sonic_start_{uuid.uuid4().hex[:8]}")
    try:
        created = run_sonic("db", "create", "--database-url", url, cwd=tmp_path)
        assert created.returncode == 0, created.stderr
        migrated = run_sonic("db", "migrate", "--database-url", url, cwd=tmp_path)
        assert migrated.returncode == 0, migrated.stderr
        assert "Applied" in migrated.stdout
    finally:
        drop_pg_database(url)
