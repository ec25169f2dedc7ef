"""``sonic collections ...``: sync config-managed collections (registered by cli/main.py)."""

from __future__ import annotations

from pathlib import Path

import typer

from sonic_cms.cli.common import DatabaseUrlOption, EnvOption, command_context, settings_from
from sonic_cms.content.collection_sync import summary_line, sync_collections

app = typer.Typer(help="Config-managed collections", no_args_is_help=True)

_ICONS = {
    "created": "+",
    "updated": "~",
    "unchanged": "=",
    "error": "!",
    "deactivated": "-",
    "warning": "?",
}


@app.command("sync")
def sync(
    folder: Path | None = typer.Option(None, "--dir", help="Folder of collection files"),
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Create, update or deactivate collections to match the files; exit 1 on any error."""
    settings = settings_from(env, database_url)
    with command_context(settings, with_plugins=False) as ctx:
        results = sync_collections(ctx, folder or settings.collections_dir)
    for result in results:
        where = f" ({result.file})" if result.file else ""
        typer.echo(
            f"{_ICONS[result.status]} {result.name}{where}: {result.status} - {result.message}"
        )
    typer.echo(summary_line(results))
    if any(r.status == "error" for r in results):
        raise typer.Exit(1)
