"""Progress of long commands on stderr: bars on a terminal, a few plain lines otherwise.

`sonic content import` of 50,000 items, dumps, backups, restores and imports run for seconds to
minutes; silence looks like a hang. Progress goes to stderr so stdout stays the command's
result (scripts parse it); in a pipe or a log file it is a line per step at most every
:data:`PLAIN_INTERVAL_SECONDS` and one when a step completes. ``--quiet`` turns it off.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, TextIO

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

#: Called as (step, done so far, total; 0 when unknown).
Report = Callable[[str, int, int], None]
#: Least time between two plain lines of one step.
PLAIN_INTERVAL_SECONDS = 2.0

QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help="Show no progress on stderr (errors still show)")
]


@contextmanager
def progress(quiet: bool, stream: TextIO | None = None) -> Iterator[Report]:
    """A progress report for one command: nothing when ``quiet``, rich bars when ``stream``
    (stderr by default) is a terminal, plain rate-limited lines when it is not."""
    out = stream or sys.stderr
    if quiet:
        yield _silent
    elif out.isatty():
        with _bars(out) as report:
            yield report
    else:
        yield _PlainLines(out).report


def say(quiet: bool, message: str) -> None:
    """One progress line on stderr (a phase of a command without counts), unless ``quiet``."""
    if not quiet:
        print(message, file=sys.stderr, flush=True)


def _silent(step: str, done: int, total: int) -> None:
    """Report nothing (``--quiet``)."""


@contextmanager
def _bars(out: TextIO) -> Iterator[Report]:
    columns = (
        TextColumn("{task.description:<24}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    tasks: dict[str, object] = {}
    with Progress(*columns, console=Console(file=out), transient=False) as bars:

        def report(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bars.add_task(step, total=max(total, done) or None)
            bars.update(tasks[step], completed=done, total=max(total, done) or None)  # type: ignore[arg-type]

        yield report


class _PlainLines:
    """``step: done/total`` lines, each step at most every PLAIN_INTERVAL_SECONDS, plus its end."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.last: dict[str, float] = {}
        self.finished: set[str] = set()

    def report(self, step: str, done: int, total: int) -> None:
        complete = total > 0 and done >= total
        if step in self.finished or (done == 0 and total == 0):
            return
        now = time.monotonic()
        if not complete and now - self.last.get(step, -PLAIN_INTERVAL_SECONDS) < (
            PLAIN_INTERVAL_SECONDS
        ):
            return
        self.last[step] = now
        if complete:
            self.finished.add(step)
        counts = f"{done:,}/{total:,}" if total else f"{done:,}"
        self.out.write(f"{step}: {counts}{' done' if complete else ''}\n")
        self.out.flush()
