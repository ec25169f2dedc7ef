"""Options every command takes, and the helpers that turn them into Settings and output."""

from __future__ import annotations

from typing import Annotated, NoReturn

import typer
from rich.console import Console

from sonic_cms.config import ConfigError, Settings, load_settings

console = Console()
errors = Console(stderr=True)

EnvOption = Annotated[
    str | None,
    typer.Option("--env", help="Environment from sonic.toml ([env.NAME]); default: SONIC_ENV"),
]
DatabaseUrlOption = Annotated[
    str | None,
    typer.Option("--database-url", help="Database URL; overrides SONIC_DATABASE_URL"),
]


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``message`` to stderr and exit with ``code``."""
    errors.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    raise typer.Exit(code)


def settings_from(env: str | None, database_url: str | None, **overrides: object) -> Settings:
    """Settings for a command, or a clear exit 2 when the configuration is unusable."""
    try:
        return load_settings(env=env, database_url=database_url, **overrides)
    except ConfigError as exc:
        fail(f"configuration: {exc}", code=2)
