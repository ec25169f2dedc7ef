"""`sonic users ...`: accounts from the command line (the first admin never comes from the web).

`create` and `ensure-admin` make accounts; `list`, `set-role` and `set-password` administer
them as the system actor, through the same services (and checks) as the admin API.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from sonic_cms.auth import user_admin
from sonic_cms.auth.users import create_user, ensure_admin
from sonic_cms.cli.common import (
    DatabaseUrlOption,
    EnvOption,
    command_context,
    console,
    fail,
    run,
    settings_from,
)
from sonic_cms.cli.failures import message_of
from sonic_cms.errors import ServiceError

app = typer.Typer(help="Manage users.", no_args_is_help=True)


@app.command("create")
def create(
    email: Annotated[str, typer.Option(help="Email address (unique, case-insensitive)")],
    username: Annotated[str, typer.Option(help="Username (unique)")],
    role: Annotated[str, typer.Option(help="admin, editor, author or viewer")] = "viewer",
    first_name: Annotated[str, typer.Option(help="First name")] = "",
    last_name: Annotated[str, typer.Option(help="Last name")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Create a user. The password is read from stdin so it never shows in `ps` or history."""
    if not password_stdin:
        fail("give the password on standard input with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    with command_context(settings_from(env, database_url)) as ctx:
        try:
            user = create_user(
                ctx,
                email=email,
                username=username,
                password=password,
                role=role,
                first_name=first_name,
                last_name=last_name,
            )
        except ServiceError as exc:
            fail(message_of(exc))
    console.print(f"created {user.role} [bold]{user.username}[/] <{user.email}> id={user.id}")


@app.command("ensure-admin")
def ensure_admin_command(env: EnvOption = None, database_url: DatabaseUrlOption = None) -> None:
    """Create the first admin unless an active admin exists (SONIC_ADMIN_EMAIL/_PASSWORD)."""
    with command_context(settings_from(env, database_url)) as ctx:
        try:
            user, generated = ensure_admin(
                ctx, email=ctx.settings.admin_email, password=ctx.settings.admin_password
            )
        except ServiceError as exc:
            fail(message_of(exc))
    if user is None:
        console.print("an active admin exists; nothing to do")
        return
    console.print(f"created admin [bold]{user.email}[/] (username {user.username})")
    if generated:
        console.print(f"generated password (shown once): [bold yellow]{generated}[/]")


@app.command("list")
def list_(
    role: Annotated[str | None, typer.Option("--role", help="Only this role")] = None,
    active: Annotated[
        bool | None, typer.Option("--active/--inactive", help="Only active or inactive users")
    ] = None,
    search: Annotated[str | None, typer.Option("--search", help="Name or email contains")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 100,
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """List users, newest first."""
    with command_context(settings_from(env, database_url)) as ctx:
        users, total = run(
            lambda: user_admin.list_users(
                ctx, page=1, limit=limit, role=role, active=active, search=search
            )
        )
    for user in users:
        status = "active" if user["is_active"] else "inactive"
        typer.echo(f"{user['id']}  {user['email']}  {user['username']}  {user['role']}  {status}")
    typer.echo(f"{len(users)} of {total} users")


@app.command("set-role")
def set_role(
    user: Annotated[str, typer.Argument(help="Email or username")],
    role: Annotated[str, typer.Argument(help="admin, editor, author or viewer")],
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Change a user's role (never leaves the system without an active admin)."""
    with command_context(settings_from(env, database_url)) as ctx:
        user_id = run(lambda: user_admin.find_user_id(ctx, user))
        run(lambda: user_admin.set_role(ctx, user_id, role))
    typer.echo(f"{user} is now {role}.")


@app.command("set-password")
def set_password(
    user: Annotated[str, typer.Argument(help="Email or username")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Set a user's password (prompted, or read from stdin) and sign them out everywhere."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    with command_context(settings_from(env, database_url)) as ctx:
        user_id = run(lambda: user_admin.find_user_id(ctx, user))
        run(lambda: user_admin.set_password(ctx, user_id, password))
    typer.echo(f"Password of {user} changed; their sessions were signed out.")
