"""Development keeps its signing key in the data folder, so the CLI and the server agree and a
restart keeps every token (issue 14). Outside development nothing is written and an empty key
is still refused."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import httpx
import pytest

from sonic_cms import config
from sonic_cms.config import ConfigError, load_settings
from tests.test_cli_failures import SONIC, one_error_line, run_sonic
from tests.utils.live_server import wait_for
from tests.utils.redis_server import free_port

DEV = {"SONIC_ENV": "development"}


def _token(db_url: str, home: Path) -> str:
    """A user and an API token made by the CLI in development without SONIC_SECRET_KEY."""
    created = subprocess.run(
        [
            str(SONIC),
            "users",
            "create",
            "--email",
            "dev@example.com",
            "--username",
            "devon",
            "--role",
            "admin",
            "--password-stdin",
            "--database-url",
            db_url,
        ],
        input="a long enough password\n",
        cwd=home,
        env=run_env(home),
        capture_output=True,
        text=True,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    made = run_sonic(
        "tokens", "create", "--user", "devon", "--name", "t", "-p", "content.read",
        "--database-url", db_url, cwd=home, env=DEV,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    return made.stdout.strip().splitlines()[-1]


def run_env(home: Path) -> dict[str, str]:
    """The environment run_sonic gives, for a subprocess that needs standard input."""
    import os

    base = {k: v for k, v in os.environ.items() if not k.startswith("SONIC_")}
    return {
        **base,
        "SONIC_CONFIG_FILE": str(home / "none.toml"),
        "SONIC_DATA_DIR": str(home),
        **DEV,
    }


def test_a_cli_token_works_on_a_freshly_started_development_server(db_url: str, tmp_path: Path):
    token = _token(db_url, tmp_path)
    key_file = tmp_path / ".secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    for _restart in range(2):  # the first start, then a restart: the token survives both
        port = free_port()
        log = tmp_path / f"server-{port}.log"
        with log.open("wb") as out:
            server = subprocess.Popen(
                [str(SONIC), "serve", "--port", str(port), "--database-url", db_url],
                cwd=tmp_path,
                env={**run_env(tmp_path), "SONIC_AUTO_MIGRATE": "false"},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_for(f"http://127.0.0.1:{port}", server, log)
            me = httpx.get(
                f"http://127.0.0.1:{port}/auth/me",
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
            assert me.status_code == 200, me.text
        finally:
            server.terminate()
            server.wait(timeout=30)


@pytest.fixture
def fresh_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No key read yet in this process, no SONIC_* variables, a clean working folder."""
    monkeypatch.setattr(config, "_DEVELOPMENT_KEYS", {})
    monkeypatch.delenv("SONIC_SECRET_KEY", raising=False)
    monkeypatch.delenv("SONIC_ENV", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_development_key_is_made_once_with_mode_600(fresh_keys: Path):
    settings = load_settings(env="development", data_dir=fresh_keys / "data")
    key = settings.effective_secret_key
    path = fresh_keys / "data" / ".secret_key"
    assert path.read_text().strip() == key and len(key) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    config._DEVELOPMENT_KEYS.clear()  # another process: reads the file, makes no new key
    assert (
        load_settings(env="development", data_dir=fresh_keys / "data").effective_secret_key == key
    )
    assert [p.name for p in path.parent.iterdir()] == [".secret_key"]  # no temporary left


def test_a_planted_or_readable_key_file_is_refused(fresh_keys: Path):
    """A key others may read or plant signs nothing: a symlink is not followed (nothing is
    created where it points) and a file with group/other permission bits is refused."""
    data, elsewhere = fresh_keys / "data", fresh_keys / "elsewhere"
    data.mkdir()
    elsewhere.mkdir()
    (data / ".secret_key").symlink_to(elsewhere / "planted")
    settings = load_settings(env="development", data_dir=data)
    with pytest.raises(ConfigError, match="cannot keep the development secret key"):
        settings.effective_secret_key  # noqa: B018
    assert not (elsewhere / "planted").exists()
    (data / ".secret_key").unlink()
    (data / ".secret_key").write_text("A" * 40 + "\n")
    (data / ".secret_key").chmod(0o644)
    with pytest.raises(ConfigError, match="mode 600"):
        load_settings(env="development", data_dir=data).effective_secret_key  # noqa: B018


def test_a_given_key_or_another_environment_writes_no_file(fresh_keys: Path):
    strong = "0123456789abcdef0123456789abcdef-strong"
    for env in ("development", "production"):
        settings = load_settings(env=env, secret_key=strong, data_dir=fresh_keys / "data")
        assert settings.effective_secret_key == strong
    assert not (fresh_keys / "data").exists()
    with pytest.raises(ConfigError, match="SONIC_SECRET_KEY"):
        load_settings(env="production", data_dir=fresh_keys / "data")
    assert not (fresh_keys / "data").exists()


def test_an_unwritable_data_dir_is_a_clear_configuration_error(fresh_keys: Path):
    blocker = fresh_keys / "data"
    blocker.write_text("a file where the folder should be")
    settings = load_settings(env="development", data_dir=blocker)
    with pytest.raises(ConfigError, match="cannot keep the development secret key"):
        settings.effective_secret_key  # noqa: B018


def test_production_still_refuses_to_start_without_a_key(tmp_path: Path):
    result = run_sonic("serve", cwd=tmp_path, env={"SONIC_ENV": "production"})
    assert "SONIC_SECRET_KEY" in one_error_line(result, code=2)
    assert not (tmp_path / ".secret_key").exists()
