"""One read route under load, alternating between source trees: an A/B of a change.

``bench.read_path`` measures every read against its floors; a change that moves a figure by
20% hides in its run-to-run spread. This runs one route on one worker (wrk -c16), once per
tree given with ``--tree``, alternating ``--runs`` times, and prints requests/s, p50 and p99
with the CPU seconds the server process used during the load (and the PostgreSQL backends
alive at its start and end: those that ended between are not counted).

    git worktree add /tmp/before <commit>
    PG=postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python -m bench.route_ab --database-url $PG --route "item by id" \\
        --tree /tmp/before/src --tree src --runs 2

``--pin`` puts the server on CPU 1 and wrk, with one thread, on CPU 0 (``taskset``): on two
cores, unpinned runs of the same tree spread by a third, pinned ones by a tenth.

The database must hold the benchmark's items (``bench.read_path`` or ``bench.content_load``
seed them; ``--seed N`` seeds here). A tree is put first on the server's ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from bench.content_load import serve_process, server_env, warm
from bench.content_seed import bench_settings, server_cpu_seconds
from bench.http_load import run
from bench.read_routes import bearer, route_for_viewer
from sonic_cms.db.engine import Database

APP = "sonic_cms.api.app:app_from_environment"


def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process ``pid`` (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv: list[str] | None = None) -> None:
    """Parse the flags, run the trees in turn, print a line per run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--route", default="item by id", help="a name from bench/read_routes.py")
    parser.add_argument("--tree", action="append", required=True, help="a src directory")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--cache", action="store_true", help="response cache on, anonymous")
    parser.add_argument("--seed", type=int, default=0, help="seed this many items first")
    parser.add_argument(
        "--pin",
        action="store_true",
        help="server on CPU 1, wrk (one thread) on CPU 0: less spread between runs",
    )
    args = parser.parse_args(argv)
    paths, account, key = route_for_viewer(args.database_url, args.route, args.seed)
    with tempfile.TemporaryDirectory(prefix="route-ab-") as tmp_name:
        tmp = Path(tmp_name)
        env = {**server_env(args.database_url, tmp / "floor.json"), "SONIC_SECRET_KEY": key}
        env["SONIC_CACHE_ENABLED"] = str(args.cache).lower()
        headers = {} if args.cache else bearer(account)
        print(f"{args.route}, {os.getloadavg()[0]:.2f} load average at the start", flush=True)
        for number in range(1, args.runs + 1):
            for tree in args.tree:
                tree_env = {**env, "PYTHONPATH": os.path.abspath(tree)}
                server_cpus, load_cpu = ("1", "0") if args.pin else (None, None)
                with serve_process(APP, tree_env, 1, tmp, server_cpus) as (base, process):
                    warm(base, {args.route: paths})
                    run(base, paths, 2, args.connections, "wrk", headers, load_cpu)
                    database = Database(bench_settings(args.database_url))
                    before = process_cpu_seconds(process.pid), server_cpu_seconds(database)
                    result = run(
                        base, paths, args.duration, args.connections, "wrk", headers, load_cpu
                    )
                    after = process_cpu_seconds(process.pid), server_cpu_seconds(database)
                    database.dispose()
                pg = "-" if before[1] is None or after[1] is None else f"{after[1] - before[1]:.2f}"
                print(
                    f"run {number} {tree:<24} {result.requests_per_s:7,.0f} req/s"
                    f"  p50 {result.p50_ms:6.1f} ms  p99 {result.p99_ms:6.1f} ms"
                    f"  server CPU {after[0] - before[0]:.2f} s  PostgreSQL CPU {pg} s",
                    flush=True,
                )
        print(f"{os.getloadavg()[0]:.2f} load average at the end")


if __name__ == "__main__":
    main()
