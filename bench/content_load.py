"""Content read path under load: 100k items, the real server, concurrency 32, against a floor.

1. Seeds ``blog-posts`` with ``--items`` items through the bulk import path (prints items/s).
2. Starts the real server (uvicorn, ``--workers`` processes, factory
   ``sonic_cms.api.app:app_from_environment``, no access log) on a free loopback port, reads every
   benchmarked URL once (checking status 200 and that the cursor page is page 2,000), and starts
   the floor (bench/floor_app.py) with those exact bytes under the same uvicorn settings.
3. For each route, runs the load generator (wrk, or the Python fallback) against the server and
   then against the floor, ``--runs`` times, and prints requests/s, p50, p99 and the ratio.
4. With ``--cache both`` (the default) all of it twice: the response cache off
   (``SONIC_CACHE_ENABLED=false``: every request runs the query) and on (the default
   configuration: anonymous reads are served from the memory tier once read).

SQLite by default (a temporary file); ``--database-url postgresql+psycopg://user@host:port/db``
creates a scratch database on that server and drops it afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import orjson
import psycopg
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bench.content_seed import COLLECTION, RARE_WORD, bench_settings, seed
from bench.http_load import LoadResult, has_wrk, run, versus
from sonic_cms.content.lists import DEFAULT_SORT, encode_cursor
from sonic_cms.db.engine import Database
from sonic_cms.db.schema.tables import COLLECTIONS, CONTENT

ROOT = Path(__file__).resolve().parent.parent
PAGE = 20
CURSOR_PAGE = 2000
LIST = f"/api/collections/{COLLECTION}/content?limit={PAGE}"
SAMPLE = 200
CURSOR_ROUTE = f"list page {CURSOR_PAGE:,} (cursor)"


def _q(name: str) -> str:
    """A query key with its brackets percent-encoded, so every client sends the same bytes."""
    return quote(name, safe="")


def routes(db: Database) -> dict[str, list[str]]:
    """Route name -> the paths the load generator cycles through."""
    with db.read() as conn:
        collection_id = conn.execute(
            select(COLLECTIONS.c.id).where(COLLECTIONS.c.name == COLLECTION)
        ).scalar_one()
        visible = (CONTENT.c.collection_id == collection_id, CONTENT.c.status == "published")
        order = (CONTENT.c.created_at.desc(), CONTENT.c.id.desc())
        rows = conn.execute(select(CONTENT.c.id, CONTENT.c.slug).where(*visible)).all()
        page = min(CURSOR_PAGE, len(rows) // PAGE)
        before = conn.execute(
            select(CONTENT.c.created_at, CONTENT.c.id)
            .where(*visible)
            .order_by(*order)
            .offset((page - 1) * PAGE - 1)
            .limit(1)
        ).one()
    picked = random.Random(3).sample(rows, SAMPLE)
    cursor = encode_cursor(DEFAULT_SORT, before.created_at, before.id)
    slug_key = _q("filter[slug]")
    return {
        "list page 1": [LIST],
        CURSOR_ROUTE: [f"{LIST}&cursor={cursor}", f"{LIST}&page={page}"],
        "get by slug": [
            f"/api/collections/{COLLECTION}/content?{slug_key}={quote(r.slug)}" for r in picked
        ],
        "get by id": [f"/api/content/{r.id}" for r in picked],
        "filter data.category": [f"{LIST}&{_q('filter[data.category]')}=tutorial"],
        f"search '{RARE_WORD}'": [f"{LIST}&search={RARE_WORD}"],
        "search 'amber basil'": [f"{LIST}&search=amber%20basil"],
    }


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve(factory: str, env: dict[str, str], workers: int, cwd: Path) -> Iterator[str]:
    """Run uvicorn with ``factory`` until the block ends; yields the base URL."""
    with serve_process(factory, env, workers, cwd) as (base, _):
        yield base


@contextlib.contextmanager
def serve_process(
    factory: str, env: dict[str, str], workers: int, cwd: Path, cpus: str | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """:func:`serve`, also yielding the uvicorn process (to sample its memory); ``cpus``
    (``taskset`` list, e.g. ``"1"``) pins the server to those CPUs."""
    port = free_port()
    pin = ["taskset", "-c", cpus] if cpus else []
    command = [*pin, sys.executable, "-m", "uvicorn", factory, "--factory", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers), "--no-access-log"]
    command += ["--log-level", "warning", "--app-dir", str(ROOT)]
    process = subprocess.Popen(command, env=env, cwd=cwd)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            httpx.get(base + "/health", timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("server did not start within 90 s")


def capture(base: str, paths: dict[str, list[str]]) -> dict[str, str]:
    """Every benchmarked URL's body, read once from the real server (each must be a 200)."""
    bodies = read_bodies(base, paths)
    with httpx.Client(base_url=base, timeout=30) as client:
        _check_cursor_page(client, paths)
    bodies.pop(next(u for u in bodies if "&page=" in u))
    return bodies


def read_bodies(
    base: str, paths: dict[str, list[str]], headers: dict[str, str] | None = None
) -> dict[str, str]:
    """URL -> body of every benchmarked URL, read once (each must be a 200)."""
    bodies: dict[str, str] = {}
    with httpx.Client(base_url=base, timeout=30, headers=headers) as client:
        for name, urls in paths.items():
            for url in urls:
                response = client.get(url)
                if response.status_code != 200:
                    raise RuntimeError(f"{name}: {url} answered {response.status_code}")
                bodies[url] = response.text
    return bodies


def warm(base: str, paths: dict[str, list[str]]) -> None:
    """Read every benchmarked URL once (what :func:`capture` does for the first server)."""
    with httpx.Client(base_url=base, timeout=30) as client:
        for urls in paths.values():
            for url in urls:
                client.get(url).raise_for_status()


def _check_cursor_page(client: httpx.Client, paths: dict[str, list[str]]) -> None:
    """The constructed cursor must land exactly on the page-numbered list's page 2,000."""
    cursor_url, page_url = paths[CURSOR_ROUTE]
    by_cursor = client.get(cursor_url).json()["data"]
    by_page = client.get(page_url).json()["data"]
    if [i["id"] for i in by_cursor] != [i["id"] for i in by_page] or len(by_page) != PAGE:
        raise RuntimeError(f"the cursor does not land on {page_url}")
    paths[CURSOR_ROUTE] = [cursor_url]


@contextlib.contextmanager
def scratch_database(url: str | None, tmp: Path) -> Iterator[str]:
    """A fresh database: a SQLite file in ``tmp``, or a PostgreSQL database created and dropped."""
    if url is None or url.startswith("sqlite"):
        yield f"sqlite:///{tmp / 'bench.db'}"
        return
    parsed = make_url(url)
    name = f"sonic_bench_{secrets.token_hex(4)}"
    admin = parsed.set(drivername="postgresql", database="postgres")
    conninfo = admin.render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_env(url: str, floor_file: Path) -> dict[str, str]:
    """The environment both servers start with."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SONIC_")}
    env.update(
        SONIC_DATABASE_URL=url,
        SONIC_ENV="production",
        SONIC_SECRET_KEY=secrets.token_urlsafe(48),
        SONIC_COLLECTIONS_SYNC_ON_START="false",
        SONIC_AUTO_MIGRATE="false",
        SONIC_SQLITE_SYNCHRONOUS="NORMAL",
        BENCH_FLOOR_FILE=str(floor_file),
    )
    return env


def measure(
    app: str, floor: str, paths: dict[str, list[str]], args: argparse.Namespace, tool: str
) -> list[dict[str, Any]]:
    """Each route against the app, then against the floor, ``args.runs`` times."""
    results = []
    for number in range(1, args.runs + 1):
        for name, urls in paths.items():
            real = run(app, urls, args.duration, args.concurrency, tool)
            settle(app)
            bare = run(floor, urls, args.duration, args.concurrency, tool)
            row = {"run": number, "route": name, "app": asdict(real), "floor": asdict(bare)}
            results.append(row)
            print(_line(name, number, real, bare), flush=True)
    return results


def settle(base: str) -> None:
    """Wait until the server has drained what the last run left queued (2 s timeouts in wrk
    leave requests running server-side) so it cannot slow the next measurement."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            httpx.get(base + "/health", timeout=20)
        except httpx.HTTPError:
            continue
        if time.monotonic() - started < 0.25:
            return
        time.sleep(0.5)


def _line(name: str, number: int, real: LoadResult, bare: LoadResult) -> str:
    return f"run {number} {name:28s} {versus(real, bare)}"


CACHE_MODES = {"on": (True,), "off": (False,), "both": (False, True)}


def main(argv: list[str] | None = None) -> None:
    """Seed, serve, load, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per load run")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--load", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument(
        "--cache",
        choices=("on", "off", "both"),
        default="both",
        help="the response cache of the app (SONIC_CACHE_ENABLED); both: off, then on",
    )
    parser.add_argument(
        "--db-log",
        choices=("on", "off"),
        default="on",
        help="each request's api record in system_logs (SONIC_LOG_TO_DATABASE), as shipped",
    )
    parser.add_argument(
        "--seed-only",
        action="store_true",
        help="stop after seeding (the bulk import's items/s); no server, no load",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--workdir", default="/var/tmp", help="where the scratch files go")
    args = parser.parse_args(argv)
    tool = ("wrk" if has_wrk() else "python") if args.load == "auto" else args.load
    with tempfile.TemporaryDirectory(prefix="content-load-", dir=args.workdir) as tmp_name:
        tmp = Path(tmp_name)
        with scratch_database(args.database_url, tmp) as url:
            report = _bench(url, tmp, args, tool)
    if args.json:
        args.json.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))


def _bench(url: str, tmp: Path, args: argparse.Namespace, tool: str) -> dict[str, Any]:
    db = Database(bench_settings(url))
    try:
        engine = db.dialect
        print(f"content_load: {engine}, {args.items:,} items, load generator {tool}", flush=True)
        seeded = seed(db, args.items, args.batch_size)
        server = seeded.server_cpu_rate
        print(
            f"seeded {seeded.items:,} items in {seeded.seconds:.1f} s: {seeded.rate:,.0f} items/s, "
            f"{seeded.cpu_rate:,.0f} items per CPU-second"
            + (f" here, {server:,.0f} per CPU-second of the server" if server else "")
            + f" (bulk path, batches of {args.batch_size}; load average "
            f"{os.getloadavg()[0]:.1f})",
            flush=True,
        )
        paths = {} if args.seed_only else routes(db)
    finally:
        db.dispose()
    report: dict[str, Any] = {
        "engine": engine,
        "items": seeded.items,
        "seed_items_per_s": seeded.rate,
        "seed_items_per_cpu_s": seeded.cpu_rate,
        "seed_items_per_server_cpu_s": seeded.server_cpu_rate,
    }
    if args.seed_only:
        return report
    floor_file = tmp / "floor.json"
    results = []
    for cache in CACHE_MODES[args.cache]:
        env = {
            **server_env(url, floor_file),
            "SONIC_CACHE_ENABLED": str(cache).lower(),
            "SONIC_LOG_TO_DATABASE": "true" if args.db_log == "on" else "false",
        }
        print(f"-- response cache {'on' if cache else 'off'}", flush=True)
        with serve("sonic_cms.api.app:app_from_environment", env, args.workers, tmp) as app:
            if not floor_file.exists():
                floor_file.write_bytes(orjson.dumps(capture(app, paths)))
            else:
                warm(app, paths)
            with serve("bench.floor_app:app_from_environment", env, args.workers, tmp) as floor:
                for row in measure(app, floor, paths, args, tool):
                    results.append({**row, "cache": cache})
    return {
        **report,
        "tool": tool,
        "concurrency": args.concurrency,
        "duration_s": args.duration,
        "results": results,
    }


if __name__ == "__main__":
    main()
