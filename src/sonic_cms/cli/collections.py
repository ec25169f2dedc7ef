"""``sonic collections ...``: sync config-managed collections (registered by cli/main.py)."""

from __future__ import annotations

from pathlib import Path

import typer

from sonic_cms.clock import SystemClock
from sonic_cms.config import load_settings
from sonic_cms.db.engine import Database
from sonic_cms.services.actors import SYSTEM
from sonic_cms.services.collection_sync import summary_line, sync_collections

app = typer.Typer(help="Config-managed collections", no_args_is_help=True)

_ICONS = {"created": "+", "updated": "~", "unchanged": "=", "error": "!", "deactivated": "-"}


@app.command("sync")
def sync(
    folder: Path | None = typer.Option(None, "--dir", help="Folder of collection files"),
    database_url: str | None = typer.Option(None, "--database-url", help="Database URL"),
    env: str | None = typer.Option(None, "--env", help="Environment in sonic.toml"),
) -> None:
    """Create, update or deactivate collections to match the files; exit 1 on any error."""
    settings = load_settings(database_url=database_url, env=env)
    db = Database(settings)
    try:
        results = sync_collections(db, SYSTEM, SystemClock(), folder or settings.collections_dir)
    finally:
        db.dispose()
    for result in results:
        where = f" ({result.file})" if result.file else ""
        typer.echo(
            f"{_ICONS[result.status]} {result.name}{where}: {result.status} - {result.message}"
        )
    typer.echo(summary_line(results))
    if any(r.status == "error" for r in results):
        raise typer.Exit(1)
