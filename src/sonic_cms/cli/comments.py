"""``sonic comments list|approve|spam|delete``: the moderation queue from the command line
(as the system, which holds every permission)."""

from __future__ import annotations

from typing import Annotated

import typer

from sonic_cms.cli.common import DatabaseUrlOption, EnvOption, command_context, run, settings_from
from sonic_cms.comments import moderation

app = typer.Typer(help="List and moderate comments.", no_args_is_help=True)

IdsArgument = Annotated[list[str], typer.Argument(help="Comment ids")]
Env = EnvOption
Url = DatabaseUrlOption


@app.command("list")
def list_(
    status: Annotated[
        str, typer.Option("--status", help="pending, approved, spam, deleted or all")
    ] = "pending",
    item: Annotated[str | None, typer.Option("--item", help="Only this item's comments")] = None,
    page: Annotated[int, typer.Option("--page", min=1)] = 1,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100)] = 50,
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Comments in a status, oldest first: id, status, author, item, and the first words."""
    with command_context(settings_from(env, database_url)) as ctx:
        found = run(
            lambda: moderation.comment_queue(ctx, status, page=page, limit=limit, content_id=item)
        )
    for comment in found["data"]:
        text = " ".join(comment["body"].split())
        excerpt = text if len(text) <= 60 else text[:59] + "…"
        author = comment["author"]["name"] or comment["user_id"]
        about = comment["item"]
        typer.echo(
            f"{comment['id']}  {comment['status']}  {author}"
            f"  item={about['id']} ({about['title']})  {excerpt}"
        )
    paging = found["meta"]["pagination"]
    typer.echo(f"{paging['total']} comment(s) {status}; page {paging['page']} of {paging['pages']}")


def _moderate(action: str, ids: list[str], env: str | None, database_url: str | None) -> None:
    with command_context(settings_from(env, database_url)) as ctx:
        result = run(lambda: moderation.moderate(ctx, action, ids))
    done = {"approve": "Approved", "spam": "Marked as spam", "delete": "Deleted"}[action]
    typer.echo(f"{done} {result['meta']['changed']} of {result['meta']['count']} comment(s).")


@app.command("approve")
def approve(ids: IdsArgument, env: Env = None, database_url: Url = None) -> None:
    """Approve comments (all or none: an unknown id changes nothing)."""
    _moderate("approve", ids, env, database_url)


@app.command("spam")
def spam(ids: IdsArgument, env: Env = None, database_url: Url = None) -> None:
    """Mark comments as spam (all or none)."""
    _moderate("spam", ids, env, database_url)


@app.command("delete")
def delete(ids: IdsArgument, env: Env = None, database_url: Url = None) -> None:
    """Delete comments (their status becomes deleted; replies keep their place)."""
    _moderate("delete", ids, env, database_url)
