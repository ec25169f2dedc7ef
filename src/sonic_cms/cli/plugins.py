"""`sonic plugins list|install|activate|deactivate|uninstall|settings`."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.table import Table

from sonic_cms.actors import SYSTEM
from sonic_cms.cli.common import (
    DatabaseUrlOption,
    EnvOption,
    console,
    fail,
    require_database,
    settings_from,
)
from sonic_cms.cli.failures import message_of
from sonic_cms.context import Context
from sonic_cms.errors import ServiceError
from sonic_cms.extensions import lifecycle
from sonic_cms.plugins.registry import PluginRegistry
from sonic_cms.runtime import command_runtime

app = typer.Typer(help="Install, activate and configure plugins.", no_args_is_help=True)
settings_app = typer.Typer(help="Read and change a plugin's settings.", no_args_is_help=True)
app.add_typer(settings_app, name="settings")


@contextmanager
def _lifecycle(
    env: str | None, database_url: str | None
) -> Iterator[tuple[Context, PluginRegistry]]:
    """The system's context and the plugin registry of the composition root's runtime, the
    active plugins' handlers on its bus (so ``plugin:*`` hooks reach them as they do in the
    server); a refused step exits 1 with its reasons."""
    settings = settings_from(env, database_url)
    require_database(settings)
    with command_runtime(settings) as runtime:
        try:
            yield runtime.context.acting_as(SYSTEM), runtime.plugins.registry
        except ServiceError as exc:
            fail(message_of(exc))


def _step(
    env: str | None,
    database_url: str | None,
    call: Callable[[Context, PluginRegistry], object],
    done: str,
) -> None:
    """Run one lifecycle step written out as ``call`` and say what was done."""
    with _lifecycle(env, database_url) as (ctx, registry):
        call(ctx, registry)
    console.print(done)


@app.command("list")
def list_plugins(env: EnvOption = None, database_url: DatabaseUrlOption = None) -> None:
    """Every known plugin, its status, and why an invalid one cannot be installed."""
    with _lifecycle(env, database_url) as (ctx, registry):
        rows = lifecycle.list_plugins(ctx, registry)
    table = Table("name", "version", "status", "category", "notes")
    for row in rows:
        notes = "; ".join(row.get("problems") or []) or (row.get("error_message") or "")
        table.add_row(
            row["name"], row.get("version", ""), row["status"], row.get("category", ""), notes
        )
    console.print(table)


@app.command("install")
def install(name: str, env: EnvOption = None, database_url: DatabaseUrlOption = None) -> None:
    """Install a plugin (runs its migrations)."""
    _step(
        env, database_url, lambda ctx, reg: lifecycle.install(ctx, reg, name), f"installed {name}"
    )


@app.command("activate")
def activate(name: str, env: EnvOption = None, database_url: DatabaseUrlOption = None) -> None:
    """Activate an installed plugin."""
    _step(
        env, database_url, lambda ctx, reg: lifecycle.activate(ctx, reg, name), f"activated {name}"
    )


@app.command("deactivate")
def deactivate(name: str, env: EnvOption = None, database_url: DatabaseUrlOption = None) -> None:
    """Deactivate a plugin."""
    _step(
        env,
        database_url,
        lambda ctx, reg: lifecycle.deactivate(ctx, reg, name),
        f"deactivated {name}",
    )


@app.command("uninstall")
def uninstall(
    name: str,
    keep_data: Annotated[bool, typer.Option(help="Keep the plugin's tables")] = False,
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Uninstall a plugin (drops its tables unless --keep-data)."""
    _step(
        env,
        database_url,
        lambda ctx, reg: lifecycle.uninstall(ctx, reg, name, keep_data=keep_data),
        f"uninstalled {name}",
    )


@settings_app.command("get")
def settings_get(name: str, env: EnvOption = None, database_url: DatabaseUrlOption = None) -> None:
    """Print the plugin's settings as JSON."""
    with _lifecycle(env, database_url) as (ctx, _registry):
        stored = lifecycle.get_settings(ctx, name)
    typer.echo(json.dumps(stored, indent=2))


@settings_app.command("update")
def settings_update(
    name: str,
    values: Annotated[list[str], typer.Argument(help="KEY=VALUE pairs; VALUE is JSON or text")],
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Change settings; validated by the plugin's settings model."""
    changes: dict[str, Any] = {}
    for pair in values:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            fail(f"expected KEY=VALUE, got {pair!r}", code=2)
        try:
            changes[key] = json.loads(raw)
        except json.JSONDecodeError:
            changes[key] = raw
    with _lifecycle(env, database_url) as (ctx, registry):
        result = lifecycle.update_settings(ctx, registry, name, changes)
    typer.echo(json.dumps(result, indent=2))
