"""Service time of the content read routes, in-process and one at a time: the work one request
costs the database layer, without HTTP, the response cache or queueing.

Seeds the same 100,000 items as bench/content_load.py, then calls the services behind each of
its routes (``list_content``, ``get_item``) for the same URLs, ``--repeat`` times per URL, as an
anonymous caller, and prints the median wall and CPU milliseconds per call. The floor is the
same measurement of a call that returns a precomputed document (the cost of the harness).

    .venv/bin/python -m bench.content_service_time [--items N] [--database-url URL]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bench.content_load import CURSOR_ROUTE, routes, scratch_database
from bench.content_seed import bench_context, bench_settings, seed
from sonic_cms.actors import ANONYMOUS
from sonic_cms.content.history import get_item
from sonic_cms.content.lists import list_content
from sonic_cms.db.engine import Database


def service_call(db: Database, url: str) -> Callable[[], Any]:
    """The service call behind ``url`` for an anonymous caller."""
    parts = urlsplit(url)
    pieces = parts.path.strip("/").split("/")
    ctx = bench_context(db, ANONYMOUS)
    if pieces[:2] == ["api", "content"] and len(pieces) == 3:
        return lambda: get_item(ctx, pieces[2])
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    collection = pieces[2] if pieces[:2] == ["api", "collections"] else None
    return lambda: list_content(ctx, pairs, collection)


def timed(calls: list[Callable[[], Any]], repeat: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of one call, cycling through ``calls``."""
    for call in calls:
        call()  # warm caches and compiled statements
    walls, cpus = [], []
    for i in range(repeat * len(calls)):
        call = calls[i % len(calls)]
        wall, cpu = time.perf_counter(), time.process_time()
        call()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def main(argv: list[str] | None = None) -> None:
    """Seed, then time each route's service call and the floor."""
    run_timed(argv, __doc__, report, items=100_000, repeat=30)


def run_timed(
    argv: list[str] | None,
    doc: str | None,
    report: Callable[[Database, int, int], None],
    *,
    items: int,
    repeat: int,
) -> None:
    """Parse the service-time options and run ``report(db, items, repeat)`` on a scratch
    database (a temporary SQLite file, or a PostgreSQL database created and dropped)."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--items", type=int, default=items)
    parser.add_argument("--repeat", type=int, default=repeat, help="calls per URL or write")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--workdir", default="/var/tmp")
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="content-time-", dir=args.workdir) as tmp,
        scratch_database(args.database_url, Path(tmp)) as url,
    ):
        db = Database(bench_settings(url))
        try:
            report(db, args.items, args.repeat)
        finally:
            db.dispose()


def report(db: Database, items: int, repeat: int) -> None:
    """Seed ``items`` and print each route's median service time next to the floor's."""
    seeded = seed(db, items, 5000)
    print(f"{db.dialect}: {seeded.items:,} items; median of {repeat} calls per URL")
    document = {"data": [], "meta": {"count": 0}}
    floor = timed([lambda: document], repeat)
    label = "floor (returns a document)"
    print(f"{label:32s} {floor[0]:7.3f} ms {floor[1]:7.3f} ms CPU")
    for name, urls in routes(db).items():
        chosen = urls[:1] if name == CURSOR_ROUTE else urls  # the cursor URL, not page=
        wall, cpu = timed([service_call(db, u) for u in chosen], repeat)
        print(f"{name:32s} {wall:7.3f} ms {cpu:7.3f} ms CPU", flush=True)


if __name__ == "__main__":
    main()
