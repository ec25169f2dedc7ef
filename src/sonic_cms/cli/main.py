"""The `sonic` console command."""

from __future__ import annotations

from typing import Annotated

import typer

from sonic_cms import __version__
from sonic_cms.cli import (
    cache,
    collections,
    comments,
    content,
    db,
    logs,
    plugins,
    scheduler,
    tokens,
    users,
    webhooks,
)
from sonic_cms.cli.content_locales import register as register_content_locales
from sonic_cms.cli.failures import OneLineErrors
from sonic_cms.cli.serve import serve

app = typer.Typer(
    name="sonic",
    help="sonic-cms: a headless CMS. Every command takes --env and --database-url.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=OneLineErrors,
)


@app.callback()
def root(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback when a command fails")
    ] = False,
) -> None:
    """sonic-cms: a headless CMS. Every command takes --env and --database-url; a failure is
    one line on stderr and a non-zero exit (``sonic --debug COMMAND`` shows the traceback)."""


app.command("serve")(serve)
app.add_typer(db.app, name="db")
app.add_typer(users.app, name="users")
app.add_typer(tokens.app, name="tokens")
app.add_typer(collections.app, name="collections")
app.add_typer(scheduler.app, name="scheduler")
app.add_typer(plugins.app, name="plugins")
app.add_typer(logs.app, name="logs")
app.add_typer(cache.app, name="cache")
app.add_typer(content.app, name="content")
register_content_locales(content.app)
app.add_typer(webhooks.app, name="webhooks")
app.add_typer(comments.app, name="comments")


@app.command("version")
def version() -> None:
    """Print the sonic-cms version."""
    typer.echo(__version__)


def main() -> None:
    """Console-script entry point."""
    app()
