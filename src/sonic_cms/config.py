"""One Settings object for the whole application.

Settings come, highest priority first, from explicit keyword arguments (the CLI's
``--database-url``), ``SONIC_*`` environment variables, an optional ``.env`` file, and an
optional ``sonic.toml`` whose top level is the default and whose ``[env.<name>]`` sections
override it, as ``wrangler.toml``'s ``[env.production]`` does for SonicJS. A toml value may
refer to an environment variable instead of holding a secret: ``secret_key = {env = "PROD_KEY"}``.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "change-me", "secret", "your-secret-key", "changethis", "dev", "development"}
)
DEFAULT_DATABASE_URL = "sqlite:///./data/sonic.db"
_DEVELOPMENT_KEY: str | None = None


class ConfigError(ValueError):
    """The configuration cannot be used; the message says which setting and why."""


class TomlEnvSource(PydanticBaseSettingsSource):
    """Reads ``sonic.toml``: the top level, then the ``[env.<name>]`` section on top of it."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path, env_name: str | None) -> None:
        super().__init__(settings_cls)
        self._values = _read_toml_env(path, env_name)

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._values)


def _read_toml_env(path: Path, env_name: str | None) -> dict[str, Any]:
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        document = tomllib.load(fh)
    sections = document.pop("env", {})
    values = dict(document)
    if env_name:
        if sections and env_name not in sections and env_name != "development":
            known = ", ".join(sorted(sections)) or "none"
            raise ConfigError(f"environment {env_name!r} is not in {path} (known: {known})")
        values.update(sections.get(env_name, {}))
        values.setdefault("env", env_name)
    return {key: _resolve_reference(key, value) for key, value in values.items()}


def _resolve_reference(key: str, value: Any) -> Any:
    """``{env = "VAR"}`` reads VAR, so secrets never need to live in the toml file."""
    if isinstance(value, dict) and set(value) == {"env"}:
        name = value["env"]
        if name not in os.environ:
            raise ConfigError(f"setting {key!r} refers to environment variable {name}, not set")
        return os.environ[name]
    return value


def toml_environments(path: Path) -> dict[str, dict[str, Any]]:
    """Every environment ``sonic.toml`` defines (``default`` for the top level), unresolved."""
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        document = tomllib.load(fh)
    sections = document.pop("env", {})
    result = {"default": document}
    for name, section in sections.items():
        result[name] = {**document, **section}
    return result


class Settings(BaseSettings):
    """Every knob of sonic-cms. Each field is documented in the README's configuration table."""

    model_config = SettingsConfigDict(
        env_prefix="SONIC_", env_file=".env", extra="ignore", validate_default=True
    )

    env: str = Field("development", description="Environment name; `development` relaxes checks")
    database_url: str = Field(DEFAULT_DATABASE_URL, description="SQLAlchemy URL of the database")
    secret_key: str = Field("", description="Key for signing tokens; required outside development")
    auto_migrate: bool = Field(True, description="Apply pending migrations when the server starts")
    host: str = Field("127.0.0.1", description="Address `sonic serve` binds")
    port: int = Field(8000, ge=1, le=65535, description="Port `sonic serve` binds")
    workers: int = Field(1, ge=1, le=64, description="uvicorn worker processes for `sonic serve`")
    sqlite_synchronous: Literal["FULL", "NORMAL", "EXTRA"] = Field(
        "FULL", description="SQLite `PRAGMA synchronous`; FULL survives a power cut"
    )
    sqlite_busy_timeout_ms: int = Field(
        30000, ge=0, description="How long a SQLite writer waits for the lock, in ms"
    )
    sqlite_cache_size_mb: int = Field(
        64, ge=1, description="SQLite page cache per connection, in MiB (`PRAGMA cache_size`)"
    )
    sqlite_mmap_size_mb: int = Field(
        256, ge=0, description="SQLite memory-mapped I/O per connection, in MiB; 0 turns it off"
    )
    db_pool_size: int = Field(10, ge=1, description="PostgreSQL connection pool size per process")
    max_body_bytes: int = Field(
        1_048_576, ge=1024, description="Largest JSON request body accepted (413 beyond)"
    )
    d1_batch_max_statements: int = Field(
        10_000, ge=1, description="Most statements one `db.batch()` call may run"
    )
    execute_max_rows: int = Field(10_000, ge=1, description="Most rows `sonic db execute` prints")
    access_token_ttl_seconds: int = Field(
        900, ge=30, le=86400, description="Lifetime of a signed access token (JWT), in seconds"
    )
    collections_dir: Path = Field(
        Path("./collections"), description="Folder of config-managed collection files (YAML/JSON)"
    )
    collections_sync_on_start: bool = Field(
        True, description="Sync the collections folder into the database when the server starts"
    )
    content_default_limit: int = Field(
        50, ge=1, le=1000, description="Page size of content lists when `limit` is not given"
    )
    content_max_limit: int = Field(
        1000, ge=1, le=10000, description="Largest `limit` a content list accepts (400 beyond)"
    )
    content_count_limit: int = Field(
        1000,
        ge=1,
        description="Page-numbered lists count matches up to this many (`totalCapped` beyond)",
    )
    content_import_batch_size: int = Field(
        1000, ge=1, le=100_000, description="Items per transaction of `sonic content import`"
    )
    filter_max_depth: int = Field(
        5, ge=1, le=20, description="Deepest nesting of and/or groups in a `where` filter"
    )
    filter_max_conditions: int = Field(
        50, ge=1, le=1000, description="Most conditions one content query may combine"
    )
    search_max_length: int = Field(
        200, ge=1, le=2000, description="Longest full-text `search` query accepted, in characters"
    )
    admin_email: str = Field("", description="First admin's email for `make run`")
    admin_password: str = Field("", description="First admin's password for `make run`")
    data_dir: Path = Field(Path("./data"), description="Folder for local state")
    config_file: Path = Field(
        Path("sonic.toml"), description="Path of the optional toml file with environments"
    )

    @field_validator("database_url")
    @classmethod
    def _known_engine(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "postgresql")):
            raise ValueError("database_url must be sqlite:///PATH or postgresql+psycopg://...")
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @model_validator(mode="after")
    def _secret_outside_development(self) -> Settings:
        if self.env != "development" and self.secret_key.strip().lower() in PLACEHOLDER_SECRETS:
            raise ValueError(
                f"SONIC_SECRET_KEY is empty or a placeholder; set a random key "
                f"(at least 32 characters) to run with SONIC_ENV={self.env}"
            )
        if self.env != "development" and len(self.secret_key) < 32:
            raise ValueError("SONIC_SECRET_KEY must be at least 32 characters outside development")
        return self

    @property
    def effective_secret_key(self) -> str:
        """The signing key; in development without one, a random key for this process only."""
        if self.secret_key:
            return self.secret_key
        global _DEVELOPMENT_KEY
        if _DEVELOPMENT_KEY is None:
            _DEVELOPMENT_KEY = secrets.token_urlsafe(48)
        return _DEVELOPMENT_KEY

    @property
    def is_sqlite(self) -> bool:
        """Whether the configured engine is SQLite."""
        return self.database_url.startswith("sqlite")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        init_values = init_settings()
        path = Path(
            init_values.get("config_file") or os.environ.get("SONIC_CONFIG_FILE") or "sonic.toml"
        )
        env_name = init_values.get("env") or os.environ.get("SONIC_ENV")
        toml_source = TomlEnvSource(settings_cls, path, env_name)
        return init_settings, env_settings, dotenv_settings, toml_source


def load_settings(**overrides: Any) -> Settings:
    """Build Settings, dropping overrides left as None (CLI options the user did not give)."""
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**given)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
