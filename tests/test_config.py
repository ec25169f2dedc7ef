"""Settings: sources and their order, environments in sonic.toml, and refusal of weak secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from sonic_cms.config import ConfigError, load_settings

STRONG = "0123456789abcdef0123456789abcdef-strong"


@pytest.fixture
def toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("SONIC_ENV", "SONIC_DATABASE_URL", "SONIC_SECRET_KEY", "SONIC_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    path = tmp_path / "sonic.toml"
    path.write_text(
        'database_url = "sqlite:///./dev.db"\nworkers = 1\n'
        "[env.production]\n"
        'database_url = "postgresql://sonic@db:5432/sonic"\n'
        'secret_key = { env = "PROD_SECRET" }\nworkers = 4\n'
    )
    return path


def test_top_level_is_the_default(toml: Path):
    settings = load_settings(config_file=toml)
    assert settings.env == "development"
    assert settings.database_url == "sqlite:///./dev.db"


def test_env_section_overrides_and_reads_secret_from_environment(toml, monkeypatch):
    monkeypatch.setenv("PROD_SECRET", STRONG)
    settings = load_settings(config_file=toml, env="production")
    assert settings.workers == 4
    assert settings.secret_key == STRONG
    assert settings.database_url == "postgresql+psycopg://sonic@db:5432/sonic"


def test_environment_variable_beats_toml(toml, monkeypatch):
    monkeypatch.setenv("SONIC_WORKERS", "3")
    assert load_settings(config_file=toml).workers == 3


def test_command_line_beats_everything(toml, monkeypatch):
    monkeypatch.setenv("SONIC_DATABASE_URL", "sqlite:///./env.db")
    settings = load_settings(config_file=toml, database_url="sqlite:///./cli.db")
    assert settings.database_url == "sqlite:///./cli.db"


def test_missing_secret_reference_is_a_clear_error(toml):
    with pytest.raises(ConfigError, match="PROD_SECRET"):
        load_settings(config_file=toml, env="production")


def test_unknown_environment_is_refused(toml):
    with pytest.raises(ConfigError, match="staging"):
        load_settings(config_file=toml, env="staging")


@pytest.mark.parametrize("secret", ["", "changeme", "secret", "short-but-real"])
def test_production_refuses_placeholder_or_short_secret(tmp_path, monkeypatch, secret: str):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="SONIC_SECRET_KEY"):
        load_settings(env="production", secret_key=secret, config_file=tmp_path / "none.toml")


def test_development_allows_empty_secret_and_keeps_one_in_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SONIC_SECRET_KEY", raising=False)
    settings = load_settings(env="development", config_file=tmp_path / "none.toml")
    assert settings.secret_key == ""
    assert len(settings.effective_secret_key) >= 32
    assert (tmp_path / "data" / ".secret_key").read_text().strip() == settings.effective_secret_key


def test_unknown_engine_is_refused():
    with pytest.raises(ConfigError, match="database_url"):
        load_settings(database_url="mysql://root@localhost/x")
