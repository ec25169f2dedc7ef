"""`sonic logs tail|prune|query|export`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from sonic_cms.cli.common import (
    DatabaseUrlOption,
    EnvOption,
    command_context,
    console,
    fail,
    settings_from,
)
from sonic_cms.cli.failures import message_of
from sonic_cms.context import Context
from sonic_cms.errors import ServiceError
from sonic_cms.logs import queries as log_service

app = typer.Typer(help="Query, follow, export and prune system logs.", no_args_is_help=True)

LevelOption = Annotated[str | None, typer.Option("--level", help="Levels, comma-separated")]
CategoryOption = Annotated[
    str | None, typer.Option("--category", help="Categories, comma-separated")
]
SearchOption = Annotated[str | None, typer.Option("--search", help="Text in message or url")]


@contextmanager
def _context(env: str | None, database_url: str | None) -> Iterator[Context]:
    """The command's context, acting as the system; plugins stay unloaded, since reading and
    pruning logs fires no hooks."""
    settings = settings_from(env, database_url)
    with command_context(settings, with_plugins=False) as ctx:
        try:
            yield ctx
        except ServiceError as exc:
            fail(message_of(exc))


def _filters(level: str | None, category: str | None, search: str | None) -> log_service.LogQuery:
    def split(value: str | None) -> tuple[str, ...]:
        return tuple(p.strip() for p in (value or "").split(",") if p.strip())

    try:
        return log_service.LogQuery(levels=split(level), categories=split(category), search=search)
    except ServiceError as exc:
        fail("; ".join(d["message"] for d in exc.details) or exc.message, code=2)


def _line(row: dict[str, Any]) -> str:
    """One record as a line; a request shows its method, URL, status and duration once each
    (its stored message, ``GET /path 200``, already carries the status)."""
    moment = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(row["created_at"] / 1000))
    text = row["message"]
    if row.get("status_code") and row.get("method") and row.get("url"):
        text = f"{row['method']} {row['url']} {row['status_code']} {row['duration']}ms"
    elif row.get("status_code"):
        text = f"{text} (status {row['status_code']}, {row['duration']}ms)"
    return f"{moment} {row['level']:<5} {row['category']:<8} {text}"


@app.command("query")
def query(
    level: LevelOption = None,
    category: CategoryOption = None,
    search: SearchOption = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False,
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """The newest matching records."""
    filters = _filters(level, category, search)
    with _context(env, database_url) as ctx:
        page = log_service.query_logs(ctx, filters, 1, limit)
    for row in reversed(page["data"]):
        typer.echo(orjson.dumps(row).decode() if as_json else _line(row))


@app.command("tail")
def tail(
    level: LevelOption = None,
    category: CategoryOption = None,
    lines: Annotated[int, typer.Option("-n", "--lines", min=0, max=10_000)] = 20,
    follow: Annotated[bool, typer.Option("--follow/--no-follow", "-f")] = True,
    interval: Annotated[float, typer.Option(min=0.05, help="Poll interval, s")] = 1.0,
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """The last records, then new ones as they are written (Ctrl-C stops)."""
    filters = _filters(level, category, None)
    with _context(env, database_url) as ctx:
        recent = list(reversed(log_service.query_logs(ctx, filters, 1, max(lines, 1))["data"]))
        shown = recent[-lines:] if lines else []
        for row in shown:
            typer.echo(_line(row))
        last = (recent[-1]["created_at"], recent[-1]["id"]) if recent else (0, "")
        try:
            while follow:
                rows = log_service.records_after(ctx, filters, last[0], last[1], 500)
                for row in rows:
                    typer.echo(_line(row))
                    last = (row["created_at"], row["id"])
                if not rows:
                    time.sleep(interval)
        except KeyboardInterrupt:
            return


@app.command("prune")
def prune(env: EnvOption = None, database_url: DatabaseUrlOption = None) -> None:
    """Delete records past each category's retention_days, then trim to max_size_mb."""
    with _context(env, database_url) as ctx:
        result = log_service.cleanup(ctx)
    for category in sorted(result.by_age):
        console.print(
            f"{category}: {result.by_age[category]} by age, "
            f"{result.by_size.get(category, 0)} by size"
        )
    console.print(f"deleted {result.total} records")


@app.command("export")
def export(
    fmt: Annotated[str, typer.Option("--format", help="csv or json")] = "json",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File; default stdout")
    ] = None,
    level: LevelOption = None,
    category: CategoryOption = None,
    search: SearchOption = None,
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Export matching records as CSV or JSON."""
    filters = _filters(level, category, search)
    with _context(env, database_url) as ctx:
        body = log_service.export_logs(ctx, filters, fmt, ctx.settings.log_export_max_rows)
    if output is None:
        typer.echo(body.decode())
    else:
        output.write_bytes(body)
        console.print(f"wrote {output}")
