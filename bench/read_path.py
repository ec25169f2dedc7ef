"""Issue 17's read path: each read as anonymous (cache on and off), API token and session,
against the bare floor and the query floor.

1. Seeds ``--items`` blog posts (bench/content_seed.py), creates a viewer with a password and an
   API token (a viewer reads what anonymous callers read, so every mode runs the same SELECT),
   and captures the SQL of each benchmarked URL for the query floor (bench/query_floor_spec.py).
2. Starts the real server (``sonic_cms.api.app:app_from_environment``, ``--workers``, shipped
   defaults) with the response cache on, the bare floor (bench/floor_app.py, the API's bytes)
   and the query floor (bench/query_floor_app.py), checks that the query floor answers what the
   API answers (``meta.timestamp`` aside), then measures: anonymous (cached) vs the bare floor,
   API token and session cookie vs the query floor. Then the same server with the cache off:
   anonymous vs the query floor.
3. Each row runs the app, then its floor, alternating, ``--runs`` times; the table gives the
   medians and the ratio app/floor.

SQLite by default (a temporary file); ``--database-url postgresql+psycopg://user@host/db`` makes
a scratch database there. The issue's two configurations: ``--workers 1 --connections 16`` and
``--workers 2 --connections 32``.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.content_load import read_bodies, scratch_database, serve, server_env, settle, warm
from bench.content_seed import bench_settings, seed
from bench.http_load import has_wrk, run, versus
from bench.query_floor_spec import capture_spec
from bench.read_routes import Account, bearer, make_account, read_routes, session
from sonic_cms.db.engine import Database
from sonic_cms.metrics.multiprocess import DIRECTORY_VARIABLE, worker_directory

APP = "sonic_cms.api.app:app_from_environment"
FLOORS = {
    "bare": "bench.floor_app:app_from_environment",
    "query": "bench.query_floor_app:app_from_environment",
}


@dataclass(frozen=True)
class Mode:
    """One way of reading: the server's response cache, the caller's credentials, the floor."""

    name: str
    cache: bool
    floor: str
    credentials: Callable[[str, Account], dict[str, str]]


def _anonymous(_base: str, _account: Account) -> dict[str, str]:
    return {}


MODES = (
    Mode("anonymous, cache on", True, "bare", _anonymous),
    Mode("API token", True, "query", lambda _base, account: bearer(account)),
    Mode("session cookie", True, "query", session),
    Mode("anonymous, cache off", False, "query", _anonymous),
)


def comparable(body: bytes) -> Any:
    """A response body without what differs between two reads of the same data (the time a
    list was read)."""
    document = orjson.loads(body)
    if isinstance(document, dict) and isinstance(document.get("meta"), dict):
        document["meta"].pop("timestamp", None)
    return document


def check_query_floor(app: str, floor: str, routes: dict[str, list[str]]) -> None:
    """The query floor must answer the API's document for every benchmarked URL."""
    with httpx.Client(timeout=30) as client:
        for name, urls in routes.items():
            for url in urls:
                real, replayed = client.get(app + url), client.get(floor + url)
                if comparable(real.content) != comparable(replayed.content):
                    raise RuntimeError(f"{name}: the query floor differs from the API on {url}")


def measure(
    app: str,
    floors: dict[str, str],
    modes: list[Mode],
    context: tuple[dict[str, list[str]], Account],
    args: argparse.Namespace,
) -> list[dict[str, Any]]:
    """Every mode and read: the app then its floor, ``args.runs`` times."""
    routes, account = context
    results = []
    for number in range(1, args.runs + 1):
        for mode in modes:
            headers = mode.credentials(app, account)
            for read, urls in routes.items():
                real = run(app, urls, args.duration, args.connections, args.tool, headers)
                settle(app)
                floor = run(floors[mode.floor], urls, args.duration, args.connections, args.tool)
                results.append(
                    {
                        "run": number,
                        "mode": mode.name,
                        "read": read,
                        "floor_kind": mode.floor,
                        "app": asdict(real),
                        "floor": asdict(floor),
                    }
                )
                print(f"run {number} {mode.name:21s} {read:22s} {versus(real, floor)}", flush=True)
    return results


def medians(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (mode, read): the median of each figure over the runs, and the ratio of
    the median request rates."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in results:
        groups.setdefault((row["mode"], row["read"]), []).append(row)
    table = []
    for (mode, read), rows in groups.items():
        summary: dict[str, Any] = {"mode": mode, "read": read, "floor_kind": rows[0]["floor_kind"]}
        for side in ("app", "floor"):
            for figure in ("requests_per_s", "p50_ms", "p99_ms", "errors"):
                summary[f"{side}_{figure}"] = statistics.median(r[side][figure] for r in rows)
        floor = summary["floor_requests_per_s"]
        summary["ratio"] = summary["app_requests_per_s"] / floor if floor else 0.0
        table.append(summary)
    return table


def print_table(table: list[dict[str, Any]], title: str) -> None:
    """The medians as a Markdown table (what bench/README.md records)."""
    print(f"\n{title}\n")
    print("| mode | read | req/s | p50 ms | p99 ms | floor | floor req/s | floor p99 | ratio |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in table:
        print(
            f"| {r['mode']} | {r['read']} | {r['app_requests_per_s']:,.0f} | "
            f"{r['app_p50_ms']:.1f} | {r['app_p99_ms']:.1f} | {r['floor_kind']} | "
            f"{r['floor_requests_per_s']:,.0f} | {r['floor_p99_ms']:.1f} | {r['ratio']:.0%} |"
        )


def prepare(
    url: str, args: argparse.Namespace, spec_file: Path, server_key: str
) -> tuple[dict[str, list[str]], Account, str]:
    """Seed, create the viewer, write the query floor's spec; returns the routes, the account
    and the engine's name."""
    db = Database(bench_settings(url))
    try:
        seeded = seed(db, args.items, args.batch_size)
        print(f"seeded {seeded.items:,} items ({db.dialect}) in {seeded.seconds:.1f} s", flush=True)
        routes = read_routes(db)
        account = make_account(db, "viewer", ["content.read"], server_key)
        urls = [u for group in routes.values() for u in group]
        spec_file.write_bytes(orjson.dumps(capture_spec(db, urls)))
        return routes, account, db.dialect
    finally:
        db.dispose()


def metrics_env(enabled: bool, directory: str | None) -> dict[str, str]:
    """The app server's metrics settings for ``--metrics`` (the floors never get them): on, a
    random token, and with several workers the directory ``sonic serve`` would make."""
    if not enabled:
        return {}
    env = {"SONIC_METRICS_ENABLED": "true", "SONIC_METRICS_TOKEN": secrets.token_urlsafe(24)}
    return {**env, DIRECTORY_VARIABLE: directory} if directory else env


def measure_server(
    app_env: dict[str, str],
    env: dict[str, str],
    context: tuple[dict[str, list[str]], Account],
    tmp: Path,
    args: argparse.Namespace,
) -> list[dict[str, Any]]:
    """One app server (``app_env``) with its floors (``env``): every mode it serves."""
    routes, _account = context
    bodies_file = tmp / "floor.json"
    cache = app_env["SONIC_CACHE_ENABLED"] == "true"
    modes = [m for m in MODES if m.cache is cache and m.name in args.modes]
    with serve(APP, app_env, args.workers, tmp) as app:
        if not bodies_file.exists():
            bodies_file.write_bytes(orjson.dumps(read_bodies(app, routes)))
        warm(app, routes)
        with (
            serve(FLOORS["bare"], env, args.workers, tmp) as bare,
            serve(FLOORS["query"], env, args.workers, tmp) as query,
        ):
            check_query_floor(app, query, routes)
            results = measure(app, {"bare": bare, "query": query}, modes, context, args)
        if args.metrics:
            print(f"/metrics counted {counted_requests(app, app_env)} requests", flush=True)
    return results


def counted_requests(app: str, app_env: dict[str, str]) -> int:
    """The requests ``/metrics`` counted (proof the measured server had metrics on)."""
    token = app_env["SONIC_METRICS_TOKEN"]
    text = httpx.get(f"{app}/metrics", headers={"Authorization": f"Bearer {token}"}).text
    lines = [
        line
        for line in text.splitlines()
        if line.startswith("sonic_http_request_duration_seconds_count{")
    ]
    return int(sum(float(line.rsplit(" ", 1)[1]) for line in lines))


def bench(url: str, tmp: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Prepare, then each cache setting's server with both floors."""
    spec_file, bodies_file = tmp / "query-floor.json", tmp / "floor.json"
    base_env = {**server_env(url, bodies_file), "BENCH_QUERY_FLOOR_FILE": str(spec_file)}
    routes, account, engine = prepare(url, args, spec_file, base_env["SONIC_SECRET_KEY"])
    results: list[dict[str, Any]] = []
    for cache in (True, False):
        modes = [m for m in MODES if m.cache is cache and m.name in args.modes]
        if not modes:
            continue
        env = {**base_env, "SONIC_CACHE_ENABLED": str(cache).lower()}
        with worker_directory(args.metrics, args.workers) as directory:
            app_env = {**env, **metrics_env(args.metrics, directory)}
            results += measure_server(app_env, env, (routes, account), tmp, args)
    return {
        "engine": engine,
        "items": args.items,
        "workers": args.workers,
        "connections": args.connections,
        "duration_s": args.duration,
        "tool": args.tool,
        "metrics": args.metrics,
        "loadavg": os.getloadavg(),
        "results": results,
        "medians": medians(results),
    }


def main(argv: list[str] | None = None) -> None:
    """Parse the flags, run, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per load run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--modes",
        nargs="+",
        default=[m.name for m in MODES],
        choices=[m.name for m in MODES],
        metavar="MODE",
    )
    parser.add_argument("--load", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--workdir", default="/var/tmp", help="where the scratch files go")
    parser.add_argument(
        "--metrics", action="store_true", help="the app with SONIC_METRICS_ENABLED (its cost)"
    )
    args = parser.parse_args(argv)
    args.tool = ("wrk" if has_wrk() else "python") if args.load == "auto" else args.load
    print(f"read_path: load average {_loadavg()} at the start", flush=True)
    with (
        tempfile.TemporaryDirectory(prefix="read-path-", dir=args.workdir) as tmp_name,
        scratch_database(args.database_url, Path(tmp_name)) as url,
    ):
        report = bench(url, Path(tmp_name), args)
    title = (
        f"{report['engine']}, {args.items:,} items, {args.workers} worker(s), "
        f"{args.connections} connections, {args.tool}, metrics {'on' if args.metrics else 'off'}, "
        f"medians of {args.runs} x "
        f"{args.duration:g} s; load average {_loadavg()} at the end"
    )
    print_table(report["medians"], title)
    if args.json:
        args.json.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))


def _loadavg() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


if __name__ == "__main__":
    main()
