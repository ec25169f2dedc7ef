"""`sonic db ...`: wrangler d1's create/list/info/delete/migrations/execute for sonic-cms."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from sonic_cms.actors import SYSTEM
from sonic_cms.cli import db_backup
from sonic_cms.cli.common import (
    DatabaseUrlOption,
    EnvOption,
    command_context,
    console,
    fail,
    settings_from,
)
from sonic_cms.config import ConfigError, Settings, toml_environments
from sonic_cms.db import migrate
from sonic_cms.db.d1 import D1Error, D1Result, connect
from sonic_cms.db.engine import Database
from sonic_cms.operations import databases as admin
from sonic_cms.operations.server_lock import DatabaseBusy, exclusive_maintenance
from sonic_cms.plugins import hookspecs
from sonic_cms.runtime import command_runtime

app = typer.Typer(help="Create, inspect, migrate and query the database.", no_args_is_help=True)
migrations_app = typer.Typer(help="List and create migrations.", no_args_is_help=True)
app.add_typer(migrations_app, name="migrations")
# issue 8: export/import, backup/restore, time travel, SonicJS import, studio (cli/db_backup.py)
app.command("export")(db_backup.export)
app.command("import")(db_backup.import_command)
app.command("backup")(db_backup.backup_command)
app.command("restore")(db_backup.restore_command)
app.command("import-sonicjs")(db_backup.import_sonicjs)
app.command("studio")(db_backup.studio)
app.add_typer(db_backup.time_travel_app, name="time-travel")


@contextmanager
def _database(settings: Settings, *, must_exist: bool = False) -> Iterator[Database]:
    """The database of a command that inspects or changes it as a whole (no plugin hooks),
    wired by the composition root like every other and released after it; ``must_exist`` as
    for :func:`~sonic_cms.cli.common.command_context` (off: ``execute`` may create a file, as
    ``wrangler d1 execute --local`` does)."""
    with command_context(settings, with_plugins=False, must_exist=must_exist) as ctx:
        yield ctx.db


@app.command("create")
def create(env: EnvOption = None, database_url: DatabaseUrlOption = None) -> None:
    """Create the database (a SQLite file, or a database on the PostgreSQL server)."""
    url = settings_from(env, database_url).database_url
    try:
        admin.create(url)
    except admin.DatabaseAdminError as exc:
        fail(str(exc))
    console.print(f"created {admin.location(url)}; run `sonic db migrate` next")


@app.command("delete")
def delete(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation")] = False,
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Drop the database and everything in it (refused while a server is running on it)."""
    settings = settings_from(env, database_url)
    url = settings.database_url
    where = admin.location(url)
    if not yes and not typer.confirm(f"Delete {where} and all its data?", default=False):
        fail("not deleted", code=1)
    try:
        # The lock a restore takes, held for a moment: a running server holds it shared. (Not
        # held while dropping: on PostgreSQL the lock lives on a connection to the database.)
        with exclusive_maintenance(settings):
            pass
        admin.delete(url)
    except DatabaseBusy as exc:
        fail(f"{exc} (code: {exc.code})")
    except admin.DatabaseAdminError as exc:
        fail(str(exc))
    console.print(f"deleted {where}")


@app.command("info")
def info(env: EnvOption = None, database_url: DatabaseUrlOption = None) -> None:
    """Engine, location, size, version, tables with row counts and migration state."""
    try:
        with _database(settings_from(env, database_url), must_exist=True) as db:
            details = admin.info(db)
            if not details.exists:
                where = details.location
                fail(f"no database at {where}; run `sonic db create` or `sonic db migrate`")
            state = _migration_summary(db)
    except admin.DatabaseAdminError as exc:
        fail(str(exc))
    console.print(f"engine:     {details.engine} {details.server_version}")
    console.print(f"location:   {details.location}")
    console.print(f"size:       {_human_size(details.size_bytes)}")
    console.print(f"migrations: {state}")
    grid = Table("table", "rows", title=f"{len(details.tables)} tables")
    for name, count in details.tables.items():
        grid.add_row(name, str(count))
    console.print(grid)


@app.command("list")
def list_databases(env: EnvOption = None, database_url: DatabaseUrlOption = None) -> None:
    """The database of every environment in sonic.toml, with size and migration state."""
    base = settings_from(env, database_url)
    names = list(toml_environments(base.config_file)) or [base.env]
    grid = Table("environment", "engine", "location", "size", "migrations")
    for name in names:
        grid.add_row(name, *_environment_row(name, env, database_url))
    console.print(grid)


def _environment_row(name: str, env: str | None, database_url: str | None) -> list[str]:
    try:
        chosen = None if name == "default" else name
        settings = settings_from(chosen or env, database_url if name == env else None)
    except (typer.Exit, ConfigError):
        return ["?", "?", "-", "unusable configuration"]
    url = settings.database_url
    engine = "sqlite" if settings.is_sqlite else "postgresql"
    try:
        if not admin.exists(url):
            return [engine, admin.location(url), "-", "not created"]
        with _database(settings) as db:
            return [
                engine,
                admin.location(url),
                _human_size(admin.size_bytes(db)),
                _migration_summary(db),
            ]
    except admin.DatabaseAdminError as exc:
        return [engine, admin.location(url), "-", f"unreachable: {exc}"]


def _migration_summary(db: Database) -> str:
    current = migrate.current_revision(db)
    pending = migrate.pending_revisions(db)
    head = migrate.head_revision()
    if not pending:
        return f"up to date (at {head})"
    return f"at {current or 'nothing'}, {len(pending)} pending (head {head})"


def _human_size(size: int | None) -> str:
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


@app.command("migrate")
def migrate_command(env: EnvOption = None, database_url: DatabaseUrlOption = None) -> None:
    """Apply pending migrations, each in its own transaction; stop and exit 1 on a failure.

    Then fires ``db:migrate`` with ``{"applied": [...]}`` through the active plugins' handlers
    (loaded after the migrations: before the first one there is no plugins table), as the
    server's start does.
    """
    settings = settings_from(env, database_url)
    try:
        with command_runtime(settings, with_plugins=False) as runtime:
            db = runtime.db
            applied = migrate.upgrade(db) if migrate.pending_revisions(db) else []
            runtime.plugins.refresh(force=True)
            try:
                runtime.hooks.action(hookspecs.DB_MIGRATE, {"applied": applied}, actor=SYSTEM)
            finally:
                runtime.plugins.close()
    except migrate.MigrationError as exc:
        fail(f"migration {exc.revision} failed: {exc.cause}")
    if not applied:
        console.print("All migrations are up to date")
        return
    for revision in applied:
        console.print(f"applied {revision}")
    console.print(f"Applied {len(applied)} migration(s)")


@migrations_app.command("list")
def migrations_list(env: EnvOption = None, database_url: DatabaseUrlOption = None) -> None:
    """Every revision, applied or pending, with when it was applied."""
    with _database(settings_from(env, database_url)) as db:
        states = migrate.revision_states(db)
    grid = Table("revision", "name", "status", "applied at (UTC)")
    for state in states:
        status = "[green]applied[/]" if state.applied else "[yellow]pending[/]"
        when = state.applied_at.isoformat(sep=" ", timespec="seconds") if state.applied_at else ""
        grid.add_row(state.revision, state.name, status, when)
    console.print(grid)


@migrations_app.command("create")
def migrations_create(
    name: Annotated[str, typer.Argument(help="What the revision does, e.g. 'add comments'")],
    empty: Annotated[bool, typer.Option("--empty", help="Do not autogenerate")] = False,
    directory: Annotated[
        Path | None, typer.Option("--directory", help="Write here instead of the package")
    ] = None,
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Write a new revision, autogenerated from the models when they differ from the database."""
    with _database(settings_from(env, database_url)) as db:
        try:
            path = migrate.create_revision(db, name, autogenerate=not empty, directory=directory)
        except Exception as exc:  # noqa: BLE001 - Alembic's errors are reported, not re-raised
            fail(f"cannot create the revision: {exc}")
    console.print(f"wrote {path}")


@app.command("execute")
def execute(
    command: Annotated[str | None, typer.Option("--command", help="SQL to run")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="SQL file to run")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print wrangler's JSON")] = False,
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Run SQL from --command or --file in one transaction: all of it, or none of it."""
    if (command is None) == (file is None):
        fail("give exactly one of --command or --file")
    script = command if command is not None else _read_script(file)
    settings = settings_from(env, database_url)
    with _database(settings) as db:
        try:
            results = connect(db).execute_script(script)
        except D1Error as exc:
            fail(str(exc))
    if as_json:
        typer.echo(orjson.dumps([r.to_dict() for r in results], option=orjson.OPT_INDENT_2))
        return
    for result in results:
        _print_result(result, settings.execute_max_rows)


def _read_script(file: Path | None) -> str:
    assert file is not None
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {file}: {exc}")


def _print_result(result: D1Result, max_rows: int) -> None:
    if not result.results:
        console.print(
            f"ok: {result.meta['changes']} row(s) changed in {result.meta['duration']} ms"
        )
        return
    columns = list(result.results[0])
    grid = Table(*columns)
    for row in result.results[:max_rows]:
        grid.add_row(*(_cell(row[c]) for c in columns))
    console.print(grid)
    hidden = len(result.results) - max_rows
    if hidden > 0:
        console.print(f"... {hidden} more row(s) not shown (SONIC_EXECUTE_MAX_ROWS={max_rows})")


def _cell(value: Any) -> str:
    return "NULL" if value is None else str(value)
