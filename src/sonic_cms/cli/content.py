"""``sonic content ...``: bulk import of content items, bulk actions (publish, unpublish,
archive, delete), and cleaning stored rich text (registered by cli/main.py)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any, TypeVar

import orjson
import typer

from sonic_cms.auth.users import find_user_id
from sonic_cms.cli.common import (
    DatabaseUrlOption,
    EnvOption,
    command_context,
    fail,
    run,
    settings_from,
)
from sonic_cms.cli.failures import message_of
from sonic_cms.cli.progress import QuietOption, Report, progress
from sonic_cms.content.bulk import BatchResult, Malformed, bulk_create_items
from sonic_cms.content.sanitize import sanitize_stored
from sonic_cms.context import Context
from sonic_cms.errors import ServiceError
from sonic_cms.workflow import bulk_actions

app = typer.Typer(help="Content items", no_args_is_help=True)
T = TypeVar("T")
#: Lines between two progress reports of `content import` (the reporter rate-limits output).
PROGRESS_EVERY = 500


def read_jsonl(path: Path) -> Iterator[Any]:
    """One parsed value per line (blank lines skipped but counted); bad JSON as Malformed."""
    with path.open("rb") as fh:
        for raw in fh:
            if not raw.strip():
                yield Malformed("empty line")
                continue
            try:
                yield orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                yield Malformed(str(exc)[:200])


def _line_count(path: Path) -> int:
    """Lines in ``path`` (the progress total), counted in 1 MiB blocks."""
    count, last = 0, b"\n"
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (last != b"\n")


def counted(items: Iterable[T], total: int, report: Report) -> Iterator[T]:
    """``items`` as they are consumed, reporting every PROGRESS_EVERY lines and the end."""
    done = 0
    for done, item in enumerate(items, start=1):
        if done % PROGRESS_EVERY == 0:
            report("lines read", done, total)
        yield item
    report("lines read", done, max(total, done))


def _author(ctx: Context, key: str | None) -> str:
    """The user id for ``--author`` (an id, email or username), else the oldest admin."""
    found = find_user_id(ctx, key)
    if found is None:
        fail(f"no user {key!r}" if key else "no admin user: pass --author or create one first")
    return found


@app.command("import")
def import_items(
    file: Annotated[Path, typer.Argument(help="JSON Lines: one item object per line")],
    collection: Annotated[str, typer.Option("--collection", help="Collection name or id")],
    author: Annotated[
        str | None, typer.Option(help="Author (user id, email or username); default: first admin")
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option(help="Items per transaction (SONIC_CONTENT_IMPORT_BATCH_SIZE)")
    ] = None,
    quiet: QuietOption = False,
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Import items ({title, slug?, status?, data?, author_id?} per line) in batches.

    A bad line fails its whole batch (nothing of it is written) and is reported with its line
    number; other batches are written. Exits 1 if any batch failed.
    """
    settings = settings_from(env, database_url)
    if not file.is_file():
        fail(f"no such file: {file}")
    with command_context(settings) as ctx, progress(quiet) as report_progress:
        try:
            started = time.perf_counter()
            lines = counted(read_jsonl(file), _line_count(file), report_progress)
            report = bulk_create_items(
                ctx,
                collection,
                lines,
                batch_size=batch_size or settings.content_import_batch_size,
                author_id=_author(ctx, author),
            )
            seconds = time.perf_counter() - started
        except ServiceError as exc:
            fail(message_of(exc, {"collection_not_found": f"Collection {collection!r}"}))
    _report_rejected(report.rejected)
    rate = report.created / seconds if seconds > 0 else 0.0
    rejected = sum(b.last_line - b.first_line + 1 for b in report.rejected)
    typer.echo(
        f"Imported {report.created} items into {collection} in {seconds:.2f} s "
        f"({rate:,.0f} items/s); {len(report.rejected)} batch(es) rejected, "
        f"{rejected} line(s) not written"
    )
    if report.rejected:
        raise typer.Exit(1)


#: Problem lines printed for one import: a file whose every line is wrong (the wrong
#: collection, say) must not answer with a screen per thousand lines; the first ones show
#: what to fix, and each rejected batch is still named.
SHOWN_PROBLEMS = 20


def _report_rejected(rejected: list[BatchResult]) -> None:
    """One line per rejected batch and the first ``SHOWN_PROBLEMS`` problems, on stderr."""
    shown = 0
    for batch in rejected:
        typer.echo(
            f"! lines {batch.first_line}-{batch.last_line}: batch not written "
            f"({len(batch.problems)} problem(s))",
            err=True,
        )
        for problem in batch.problems[: max(0, SHOWN_PROBLEMS - shown)]:
            typer.echo(f"  line {problem.line}: {problem.path}: {problem.message}", err=True)
            shown += 1
    hidden = sum(len(batch.problems) for batch in rejected) - shown
    if hidden:
        typer.echo(f"  ... and {hidden} more problem(s) not shown", err=True)


@app.command("sanitize")
def sanitize(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would change; write nothing")
    ] = False,
    collection: Annotated[
        str | None, typer.Option("--collection", help="Only this collection (name or id)")
    ] = None,
    author: Annotated[
        str | None,
        typer.Option(
            help="Author of the versions written (user id, email or username); default: first admin"
        ),
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Items read and rewritten per transaction")] = 500,
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Clean the rich text stored before writes were cleaned (the HTML allow-list of
    docs/content.md).

    Lists every item whose HTML fields would change, with the fields. Without --dry-run each
    such item is rewritten with a new version (history shows the cleaning); a second run
    changes nothing. Reads never rewrite rows: this command is how old rows get cleaned.
    """
    settings = settings_from(env, database_url)
    with command_context(settings) as ctx:
        signer = None if dry_run else _author(ctx, author)
        try:
            report = sanitize_stored(
                ctx,
                author_id=signer,
                dry_run=dry_run,
                collection=collection,
                batch_size=batch_size,
            )
        except ServiceError as exc:
            fail(message_of(exc))
    verb = "would change" if dry_run else "changed"
    for item in report.changed:
        version = f" (version {item.version})" if item.version is not None else ""
        typer.echo(f"{item.collection}/{item.item_id}{version}: {', '.join(item.paths)}")
    for name, count in sorted(report.per_collection().items()):
        typer.echo(f"  {name}: {count} item(s) {verb}")
    prefix = "Dry run: " if dry_run else ""
    typer.echo(
        f"{prefix}{len(report.changed)} of {report.scanned} item(s) with rich text {verb} "
        f"({report.batches} batch(es))"
    )


@app.command("bulk")
def bulk(
    action: Annotated[str, typer.Argument(help="publish, unpublish, archive or delete")],
    ids: Annotated[
        list[str], typer.Option("--ids", help="Item ids: repeat the option or separate by commas")
    ],
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Apply one action to many items, as ``POST /api/content/bulk`` does, acting as the system.

    Prints one line per item (``ok`` or the status and error its single route would give) and
    a summary; exits 1 if any item failed.
    """
    if action not in bulk_actions.ACTIONS:
        fail(f"unknown action {action!r}: one of {', '.join(bulk_actions.ACTIONS)}")
    wanted = [part.strip() for value in ids for part in value.split(",") if part.strip()]
    if not wanted:
        fail("no ids given")
    settings = settings_from(env, database_url)
    with command_context(settings) as ctx:
        result = run(lambda: bulk_actions.bulk_action(ctx, action, wanted))
    for item in result["data"]:
        if item["ok"]:
            typer.echo(f"{item['id']}: ok")
        else:
            error = item["error"]
            typer.echo(
                f"{item['id']}: {item['status']} {error['code']}: {error['error']}", err=True
            )
    meta = result["meta"]
    typer.echo(
        f"{action}: {meta['succeeded']} of {meta['count']} item(s) done, {meta['failed']} failed"
    )
    if meta["failed"]:
        raise typer.Exit(1)
