"""``sonic users list|set-role|set-password``: user administration as the system actor.

``users create`` and ``users ensure-admin`` live in cli/main.py; register this app's commands
on the same ``users`` group.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from sonic_cms.cli.common import DatabaseUrlOption, EnvOption, open_database, run
from sonic_cms.clock import SystemClock
from sonic_cms.services import user_admin
from sonic_cms.services.actors import SYSTEM

app = typer.Typer(help="List users, change roles and passwords.", no_args_is_help=True)


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
    with open_database(env, database_url) as (_settings, db):
        users, total = run(
            lambda: user_admin.list_users(
                db, SYSTEM, page=1, limit=limit, role=role, active=active, search=search
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
    with open_database(env, database_url) as (_settings, db):
        user_id = run(lambda: user_admin.find_user_id(db, SYSTEM, user))
        run(lambda: user_admin.set_role(db, SYSTEM, SystemClock(), user_id, role))
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
    with open_database(env, database_url) as (_settings, db):
        user_id = run(lambda: user_admin.find_user_id(db, SYSTEM, user))
        run(lambda: user_admin.set_password(db, SYSTEM, SystemClock(), user_id, password))
    typer.echo(f"Password of {user} changed; their sessions were signed out.")
