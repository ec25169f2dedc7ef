"""What the auth command groups share: opening the database, running as the system actor,
and turning service errors into a message and exit code 1."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, TypeVar

import typer

from sonic_cms.config import ConfigError, Settings, load_settings
from sonic_cms.db.engine import Database
from sonic_cms.services.errors import ServiceError

T = TypeVar("T")

EnvOption = Annotated[str | None, typer.Option("--env", help="Environment in sonic.toml")]
DatabaseUrlOption = Annotated[
    str | None, typer.Option("--database-url", help="SQLAlchemy URL of the database")
]


@contextmanager
def open_database(env: str | None, database_url: str | None) -> Iterator[tuple[Settings, Database]]:
    """Settings and Database for a command; a bad configuration exits 2 with its reason."""
    try:
        settings = load_settings(env=env, database_url=database_url)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    db = Database(settings)
    try:
        yield settings, db
    finally:
        db.dispose()


def run(call: Callable[[], T]) -> T:
    """Run a service call; a ServiceError prints its message and exits 1."""
    try:
        return call()
    except ServiceError as exc:
        details = "; ".join(
            f"{d.get('path')}: {d.get('message')}" for d in exc.details if isinstance(d, dict)
        )
        typer.echo(f"error: {exc.message}" + (f" ({details})" if details else ""), err=True)
        raise typer.Exit(1) from exc
