"""``sonic tokens create|list|revoke``: API tokens from the command line (as the system)."""

from __future__ import annotations

from typing import Annotated

import typer

from sonic_cms.auth import api_tokens, user_admin
from sonic_cms.cli.common import DatabaseUrlOption, EnvOption, command_context, run, settings_from

app = typer.Typer(help="Create, list and revoke API tokens.", no_args_is_help=True)


@app.command("create")
def create(
    user: Annotated[str, typer.Option("--user", help="Owner's email or username")],
    name: Annotated[str, typer.Option("--name", help="A label for the token")],
    permission: Annotated[
        list[str], typer.Option("--permission", "-p", help="A permission (repeatable)")
    ],
    expires_in_days: Annotated[
        int | None, typer.Option("--expires-in-days", min=1, help="Lifetime in days")
    ] = None,
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Create a token for a user; the secret is printed once and never stored."""
    with command_context(settings_from(env, database_url)) as ctx:
        owner = run(lambda: user_admin.find_user_id(ctx, user))
        now = ctx.clock.now_ms()
        expires_at = now + expires_in_days * 86_400_000 if expires_in_days else None
        row, secret = run(
            lambda: api_tokens.create_token(
                ctx,
                name=name,
                permissions=permission,
                expires_at=expires_at,
                user_id=owner,
            )
        )
    typer.echo(f"Created token {row['id']} ({row['name']}) for {user}.")
    typer.echo("Copy it now; it is not shown again:")
    typer.echo(secret)


@app.command("list")
def list_(
    user: Annotated[str | None, typer.Option("--user", help="Only this user's tokens")] = None,
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """List tokens (never their secrets)."""
    with command_context(settings_from(env, database_url)) as ctx:
        owner = run(lambda: user_admin.find_user_id(ctx, user)) if user else None
        tokens = run(lambda: api_tokens.list_tokens(ctx, all_users=True))
    for token in tokens:
        if owner and token["user_id"] != owner:
            continue
        typer.echo(
            f"{token['id']}  {token['name']}  user={token['user_id']}  "
            f"permissions={','.join(token['permissions'])}  "
            f"expires_at={token['expires_at']}  last_used_at={token['last_used_at']}"
        )


@app.command("revoke")
def revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id")],
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Revoke a token: it answers 401 from the next request on."""
    with command_context(settings_from(env, database_url)) as ctx:
        run(
            lambda: api_tokens.revoke_token(ctx, token_id),
            names={"token_not_found": f"Token {token_id!r}"},
        )
    typer.echo(f"Revoked token {token_id}.")
