"""Options every command takes, and the helpers that turn them into Settings and output."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated, NoReturn, TypeVar

import typer
from rich.console import Console

from sonic_cms.actors import SYSTEM, Actor
from sonic_cms.cli.failures import EXIT_FAILED, fail_line, message_of
from sonic_cms.config import Settings, load_settings
from sonic_cms.context import Context
from sonic_cms.db.engine import sqlite_path
from sonic_cms.errors import ServiceError
from sonic_cms.runtime import command_runtime

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


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    """Print ``message`` (plain text) as one line on stderr and exit with ``code``."""
    fail_line(message)
    raise typer.Exit(code)


def settings_from(env: str | None, database_url: str | None, **overrides: object) -> Settings:
    """Settings for a command. An unusable configuration raises ``ConfigError``, which the
    root group turns into one line and exit 2 (or, with ``--debug``, a traceback)."""
    return load_settings(env=env, database_url=database_url, **overrides)


def require_database(settings: Settings) -> None:
    """Exit 1 when ``settings`` name a SQLite file that does not exist.

    Opening it would create an empty file (and the cache's generations file beside it), so a
    mistyped ``--database-url`` would leave litter that later looks like a database; commands
    that need the schema say where they looked instead. PostgreSQL creates nothing on connect.
    """
    path = sqlite_path(settings.database_url) if settings.is_sqlite else None
    if path is not None and not path.exists():
        fail(
            f"no database at {path.resolve()}; run `sonic db migrate` "
            "(or check that SONIC_DATABASE_URL names the database you meant)"
        )


@contextmanager
def command_context(
    settings: Settings,
    *,
    actor: Actor = SYSTEM,
    with_plugins: bool = True,
    must_exist: bool = True,
) -> Iterator[Context]:
    """The service context of one command, acting for ``actor`` (an operator at the console
    is the system unless the command names a user), with the active plugins' hook handlers
    loaded unless ``with_plugins`` is off; everything is released after it.

    ``must_exist`` (the default) refuses a SQLite file that is not there (``require_database``);
    commands that may create the database (import, restore, execute) turn it off.
    """
    if must_exist:
        require_database(settings)
    with command_runtime(settings, with_plugins=with_plugins) as runtime:
        yield runtime.context.acting_as(actor)


def run(call: Callable[[], T], *, names: Mapping[str, str] | None = None) -> T:
    """Run a service call; a ServiceError prints its message (and field details) and exits 1.

    ``names`` maps a not-found code to the thing the operator named (``{"token_not_found":
    "Token 'abc'"}``): services answer the API with "Token not found", the console names it.
    """
    try:
        return call()
    except ServiceError as exc:
        fail(message_of(exc, names))
