"""Options every command takes, and the helpers that turn them into Settings and output."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, NoReturn, TypeVar

import typer
from rich.console import Console

from sonic_cms.cache.tiered import TieredCache
from sonic_cms.clock import SystemClock
from sonic_cms.config import ConfigError, Settings, load_settings
from sonic_cms.db.engine import Database
from sonic_cms.errors import ServiceError
from sonic_cms.extensions.runtime import command_hooks, command_registry
from sonic_cms.plugins.registry import PluginRegistry

T = TypeVar("T")

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


@contextmanager
def open_database(env: str | None, database_url: str | None) -> Iterator[tuple[Settings, Database]]:
    """Settings and Database for a command; a bad configuration exits 2 with its reason."""
    settings = settings_from(env, database_url)
    with database_for(settings) as db:
        yield settings, db


@contextmanager
def database_for(settings: Settings) -> Iterator[Database]:
    """The Database of ``settings`` with the active plugins' hook handlers on ``db.hooks``,
    so the services a command calls fire the same hooks as in the server; disposed after."""
    registry = command_registry(settings)
    db = command_database(settings, registry)
    try:
        with command_hooks(db, settings, SystemClock(), registry):
            yield db
    finally:
        db.dispose()


def command_database(settings: Settings, registry: PluginRegistry | None = None) -> Database:
    """The Database of a command. Its writes move the cache generations running servers read
    (through Redis or the generations file), so what an operator changes from the CLI is what
    the next API read returns. ``registry`` (discovered when not given) names the plugins'
    tables."""
    db = Database(settings)
    cache = TieredCache(settings, SystemClock())
    cache.plugin_tables = (registry or command_registry(settings)).tables()
    cache.attach(db)
    db.dispose_callbacks.append(cache.close_sync)
    return db


def run(call: Callable[[], T]) -> T:
    """Run a service call; a ServiceError prints its message (and field details) and exits 1."""
    try:
        return call()
    except ServiceError as exc:
        details = "; ".join(
            f"{d.get('path')}: {d.get('message')}" for d in exc.details if isinstance(d, dict)
        )
        fail(exc.message + (f" ({details})" if details else ""))
