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
    settings_from,
)
from sonic_cms.errors import ServiceError
from sonic_cms.extensions import lifecycle
from sonic_cms.runtime import command_runtime

app = typer.Typer(help="Install, activate and configure plugins.", no_args_is_help=True)
settings_app = typer.Typer(help="Read and change a plugin's settings.", no_args_is_help=True)
app.add_typer(settings_app, name="settings")


@contextmanager
def _services(env: str | None, database_url: str | None) -> Iterator[lifecycle.PluginServices]:
    """The lifecycle services of the composition root's runtime, the active plugins' handlers on
    its bus (so ``plugin:*`` hooks reach them as they do in the server)."""
    with command_runtime(settings_from(env, database_url)) as runtime:
        yield runtime.plugins.services


def _run(env: str | None, database_url: str | None, step: Callable[..., Any], *args: Any) -> Any:
    with _services(env, database_url) as services:
        try:
            return step(services, SYSTEM, *args)
        except ServiceError as exc:
            details = "; ".join(
                str(d.get("message", d)) for d in exc.details if isinstance(d, dict)
            )
            fail(f"{exc.message}" + (f" ({details})" if details else ""))


@app.command("list")
def list_plugins(env: EnvOption = None, database_url: DatabaseUrlOption = None) -> None:
    """Every known plugin, its status, and why an invalid one cannot be installed."""
    rows = _run(env, database_url, lifecycle.list_plugins)
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
    _run(env, database_url, lifecycle.install, name)
    console.print(f"installed {name}")


@app.command("activate")
def activate(name: str, env: EnvOption = None, database_url: DatabaseUrlOption = None) -> None:
    """Activate an installed plugin."""
    _run(env, database_url, lifecycle.activate, name)
    console.print(f"activated {name}")


@app.command("deactivate")
def deactivate(name: str, env: EnvOption = None, database_url: DatabaseUrlOption = None) -> None:
    """Deactivate a plugin."""
    _run(env, database_url, lifecycle.deactivate, name)
    console.print(f"deactivated {name}")


@app.command("uninstall")
def uninstall(
    name: str,
    keep_data: Annotated[bool, typer.Option(help="Keep the plugin's tables")] = False,
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Uninstall a plugin (drops its tables unless --keep-data)."""
    _run(env, database_url, lifecycle.uninstall, name, keep_data)
    console.print(f"uninstalled {name}")


@settings_app.command("get")
def settings_get(name: str, env: EnvOption = None, database_url: DatabaseUrlOption = None) -> None:
    """Print the plugin's settings as JSON."""
    typer.echo(json.dumps(_run(env, database_url, lifecycle.get_settings, name), indent=2))


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
    result = _run(env, database_url, lifecycle.update_settings, name, changes)
    typer.echo(json.dumps(result, indent=2))
