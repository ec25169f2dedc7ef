"""`sonic db export/import/backup/restore/time-travel/import-sonicjs/studio`.

Registered on the `db` group by cli/db.py. Every command prints what it did and exits 1 with a
clear message (and the error's code) when it cannot, leaving the database as it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from sonic_cms.cli.common import (
    DatabaseUrlOption,
    EnvOption,
    command_context,
    console,
    fail,
    settings_from,
)
from sonic_cms.cli.progress import QuietOption, progress, say
from sonic_cms.context import Context
from sonic_cms.errors import NotFound
from sonic_cms.operations import backup_store, export_json, restore, sonicjs_import, time_travel
from sonic_cms.operations import databases as admin
from sonic_cms.operations.dump_format import DumpError, open_output
from sonic_cms.operations.export_sql import export_dump
from sonic_cms.operations.import_sql import import_dump
from sonic_cms.operations.server_lock import DatabaseBusy, exclusive_maintenance

time_travel_app = typer.Typer(
    help="Restore the database as it was at a moment (wrangler d1 time-travel).",
    no_args_is_help=True,
)

FormatOption = Annotated[str, typer.Option("--format", help="sql (default) or json")]


@contextmanager
def _context(env: str | None, database_url: str | None) -> Iterator[Context]:
    """The command's context, acting as the system, with no plugin handlers: these commands
    move whole databases and fire no hooks. A refused dump or a running server exits 1.
    A missing SQLite file is left to each command: import and restore may create it."""
    settings = settings_from(env, database_url)
    with command_context(settings, with_plugins=False, must_exist=False) as ctx:
        try:
            yield ctx
        except (DumpError, DatabaseBusy) as exc:
            fail(f"{exc} (code: {exc.code})")


def export(
    output: Annotated[Path, typer.Option("--output", "-o", help="FILE.sql, FILE.sql.gz or .json")],
    no_schema: Annotated[bool, typer.Option("--no-schema", help="Rows only")] = False,
    table: Annotated[
        list[str] | None, typer.Option("--table", help="Only this table (repeatable)")
    ] = None,
    fmt: FormatOption = "sql",
    quiet: QuietOption = False,
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Write a portable dump (wrangler d1 export), streamed so memory stays flat."""
    with _context(env, database_url) as ctx:
        if fmt == "json":
            say(quiet, f"exporting to {output} ...")
            counts = export_json.export_json(ctx.db, output, tables=table)
            console.print(f"wrote {output}: {sum(counts.values())} rows in {len(counts)} tables")
            return
        with progress(quiet) as bars, open_output(output) as out:
            summary = export_dump(
                ctx.db, out, tables=table, include_schema=not no_schema, progress=bars
            )
    console.print(
        f"wrote {output}: {summary.rows} rows in {len(summary.tables)} tables "
        f"(schema revision {summary.header.schema_revision})"
    )


def import_command(
    file: Annotated[Path, typer.Option("--file", "-f", help="FILE.sql, FILE.sql.gz or .json")],
    replace: Annotated[
        bool, typer.Option("--replace", help="Empty the dumped tables first (SQL dumps)")
    ] = False,
    fmt: FormatOption = "sql",
    quiet: QuietOption = False,
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Load a dump in one transaction: all of it or none of it."""
    with _context(env, database_url) as ctx:
        if fmt == "json" or file.suffix == ".json":
            say(quiet, f"importing {file} ...")
            result = export_json.import_json(ctx.db, file)
            grid = Table("table", "inserted", "skipped (already there)")
            for name, (inserted, skipped) in result.items():
                grid.add_row(name, str(inserted), str(skipped))
            console.print(grid)
            return
        # Emptying tables under a running server is a restore: it must not run alongside one.
        guard = exclusive_maintenance(ctx.settings) if replace else contextlib.nullcontext()
        with guard, progress(quiet) as bars:
            summary = import_dump(ctx.db, file, replace=replace, progress=bars)
    created = " (schema created by the migrations)" if summary.created_schema else ""
    console.print(f"imported {summary.rows} rows into {len(summary.inserted)} tables{created}")
    if summary.skipped_tables:
        console.print(
            "kept this database's own change log (time travel history); the dump's was checked, "
            "not loaded, and the import was recorded on top of it"
        )


def backup_command(
    quiet: QuietOption = False,
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Write a timestamped, gzipped, verified backup to the backup store (SONIC_BACKUP_DIR with
    local media storage, the bucket's backups/ with S3); prune old ones."""
    with _context(env, database_url) as ctx:
        with progress(quiet) as bars:
            stored = backup_store.store_backup(ctx, progress=bars)
        removed = backup_store.prune_stored(ctx)
        location = backup_store.backup_store(ctx).location(stored.name)
    console.print(f"Backup completed: {location} ({stored.size_bytes} bytes, verified)")
    if removed:
        console.print(f"Old backups cleaned up: {len(removed)} removed")


def restore_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="A backup or export (.sql or .sql.gz), or the name of a stored backup "
            "(as /admin/database lists them)"
        ),
    ],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation")] = False,
    quiet: QuietOption = False,
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Replace the database's data with FILE (a safety backup is written first)."""
    with _context(env, database_url) as ctx:
        where = admin.location(ctx.settings.database_url)
        if not yes and not typer.confirm(f"Replace all data in {where}?", default=False):
            fail("not restored")
        with _backup_file(ctx, file) as path, progress(quiet) as bars:
            result = restore.restore_backup(ctx, path, progress=bars)
    console.print(f"safety backup: {result.safety_backup}")
    console.print(f"restored {result.summary.rows} rows from {file}")


@contextmanager
def _backup_file(ctx: Context, file: Path) -> Iterator[Path]:
    """``file`` itself, or the stored backup of that name fetched from the backup store."""
    if file.exists() or file.name != str(file):
        yield file
        return
    try:
        with backup_store.fetched(ctx, file.name) as path:
            yield path
    except NotFound:
        fail(f"no file {file} and no stored backup of that name")


def _parse_moment(value: str) -> int:
    """ISO 8601 (``2025-10-01T00:00:00Z``) or epoch milliseconds, as epoch milliseconds."""
    if value.isdigit():
        return int(value)
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        fail(f"cannot read the timestamp {value!r}; use 2025-10-01T00:00:00Z or epoch ms")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp() * 1000)


TimestampOption = Annotated[
    str, typer.Option("--timestamp", help="ISO 8601 UTC (2025-10-01T00:00:00Z) or epoch ms")
]


@time_travel_app.command("info")
def time_travel_info(
    timestamp: TimestampOption,
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Which snapshot and how many logged changes restoring to the moment would use."""
    with _context(env, database_url) as ctx:
        info = time_travel.coverage(ctx, _parse_moment(timestamp))
    console.print(f"moment:            {time_travel.iso(info.timestamp_ms)}")
    if info.snapshot is None:
        console.print(
            f"[red]no snapshot at or before this moment, so it cannot be restored:[/] "
            f"{escape(info.advice)}"
        )
    else:
        console.print(
            f"snapshot:          {info.snapshot.path} "
            f"(taken {time_travel.iso(info.snapshot.taken_at_ms)})"
        )
        console.print(f"changes to replay: {info.changes_to_replay}")
    if info.earliest_ms is not None:
        console.print(f"earliest moment:   {time_travel.iso(info.earliest_ms)}")
    if info.latest_change_ms is not None:
        console.print(f"latest change:     {time_travel.iso(info.latest_change_ms)}")
    if info.uncovered_tables:
        console.print(f"[yellow]not captured: {', '.join(info.uncovered_tables)}[/]")


@time_travel_app.command("restore")
def time_travel_restore(
    timestamp: TimestampOption,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation")] = False,
    quiet: QuietOption = False,
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Restore the database as it was at the moment (snapshot + replayed changes)."""
    moment = _parse_moment(timestamp)
    with _context(env, database_url) as ctx:
        when = time_travel.iso(moment)
        if not yes and not typer.confirm(f"Restore all data to {when}?", default=False):
            fail("not restored")
        with progress(quiet) as bars:
            result = restore.restore_to_moment(ctx, moment, progress=bars)
    assert result.from_snapshot is not None
    console.print(f"safety backup: {result.safety_backup}")
    console.print(
        f"restored to {when}: snapshot of {time_travel.iso(result.from_snapshot.taken_at_ms)} "
        f"+ {result.replayed_changes} replayed change(s)"
    )


@time_travel_app.command("snapshot")
def time_travel_snapshot(env: EnvOption = None, database_url: DatabaseUrlOption = None) -> None:
    """Take a snapshot now and prune those past SONIC_TIME_TRAVEL_RETENTION_DAYS."""
    with _context(env, database_url) as ctx:
        time_travel.refresh_capture(ctx)
        snapshot = time_travel.take_snapshot(ctx)
        removed, entries = time_travel.prune(ctx, snapshot.taken_at_ms)
    console.print(f"snapshot {snapshot.path} at {time_travel.iso(snapshot.taken_at_ms)}")
    if removed or entries:
        console.print(f"pruned {len(removed)} snapshot(s) and {entries} change-log entries")


def import_sonicjs(
    file: Annotated[
        Path, typer.Argument(help="A `wrangler d1 export` of a SonicJS database (.sql, .sql.gz)")
    ],
    quiet: QuietOption = False,
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Move a SonicJS database in: users, collections, content, media, workflow, tokens..."""
    with _context(env, database_url) as ctx:
        say(quiet, f"reading {file} and mapping its tables (one transaction) ...")
        try:
            report = sonicjs_import.import_sonicjs(ctx, file)
        except sonicjs_import.SonicJSImportError as exc:
            fail(f"{exc} (code: {exc.code})")
    grid = Table("SonicJS table", "mapped", "skipped", "notes")
    for line in report.tables:
        grid.add_row(line.table, str(line.mapped), str(line.skipped), "; ".join(line.notes))
    console.print(grid)
    console.print(f"imported {report.total_mapped} rows; nothing was written if this failed")


def studio(
    port: Annotated[int, typer.Option(help="Port Datasette listens on")] = 8001,
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Browse the database read-only (drizzle-kit studio): Datasette on SQLite."""
    settings = settings_from(env, database_url)
    command = studio_command(settings.database_url, port)
    if command is None:
        console.print(postgres_connect_hint(settings.database_url))
        return
    if shutil.which("datasette") is None and not _datasette_importable():
        fail("Datasette is not installed: pip install 'sonic-cms[studio]'")
    raise typer.Exit(subprocess.call(command))  # noqa: S603 - fixed argv, no shell


def studio_command(database_url: str, port: int) -> list[str] | None:
    """The Datasette command line for a SQLite database (immutable: read-only, no locks)."""
    if not database_url.startswith("sqlite"):
        return None
    path = admin.location(database_url)
    return [sys.executable, "-m", "datasette", "serve", "-i", path, "--port", str(port)]


def postgres_connect_hint(database_url: str) -> str:
    """How to browse a PostgreSQL database (no secrets printed)."""
    where = admin.location(database_url)
    return (
        f"PostgreSQL: connect with psql or any client (pgAdmin, DBeaver) to {where}\n"
        '  psql "$SONIC_DATABASE_URL" (drop the +psycopg from the URL), e.g. \\dt to list tables'
    )


def _datasette_importable() -> bool:
    try:
        import datasette  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        return False
    return True
