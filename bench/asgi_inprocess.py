"""One read route driven through the real app in-process: ASGI calls, no HTTP, no load generator.

Over HTTP on two cores, the server, wrk and PostgreSQL share the CPUs and a change worth 10%
hides in the spread. Here the app answers one request at a time on its own event loop and
the figure is its CPU per request (``time.process_time``), which is what a change to the app
moves. It is not a throughput: uvicorn's HTTP work (about 30 µs a request) is not in it.

    .venv/bin/python -m bench.asgi_inprocess --database-url sqlite:////tmp/bench.db \\
        --route "item by id" --mode token --requests 10000 --rounds 3

The database must hold the benchmark's items (``bench.read_path`` or ``bench.content_load``
seed them; ``--seed N`` seeds here). To compare two trees, run it with each first on
``PYTHONPATH`` (``PYTHONPATH=/tmp/before/src:.``). ``--profile FILE`` writes a cProfile of
the last round. The app's request lines go to /dev/null; the figures to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import sys
import time
from typing import Any
from urllib.parse import unquote

from starlette.types import ASGIApp, Message

from bench.read_routes import bearer, route_for_viewer
from sonic_cms.api.app import create_app
from sonic_cms.config import load_settings


def http_scope(url: str, headers: list[tuple[bytes, bytes]]) -> Message:
    """The ASGI scope uvicorn would build for ``GET url``."""
    path, _, query = url.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote(path),
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"bench"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }


async def drive(
    app: ASGIApp, urls: list[str], headers: list[tuple[bytes, bytes]], args: Any
) -> None:
    """Start the app's lifespan, warm up, then time ``args.rounds`` rounds of requests."""
    statuses: set[int] = set()

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.add(message["status"])

    startup: asyncio.Queue[Message] = asyncio.Queue()
    replies: asyncio.Queue[Message] = asyncio.Queue()
    await startup.put({"type": "lifespan.startup"})

    async def run_lifespan() -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        await app(scope, startup.get, replies.put)

    lifespan = asyncio.create_task(run_lifespan())
    started = await replies.get()
    assert started["type"] == "lifespan.startup.complete", started
    for number in range(min(2000, args.requests)):
        await app(http_scope(urls[number % len(urls)], headers), receive, send)
    for round_number in range(1, args.rounds + 1):
        statuses.clear()
        profile = cProfile.Profile() if args.profile and round_number == args.rounds else None
        wall, cpu = time.perf_counter(), time.process_time()
        if profile is not None:
            profile.enable()
        for number in range(args.requests):
            await app(http_scope(urls[number % len(urls)], headers), receive, send)
        if profile is not None:
            profile.disable()
            profile.dump_stats(args.profile)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(
            f"round {round_number}: {args.route}, {args.mode}: "
            f"{cpu / args.requests * 1e6:.1f} µs of CPU, {wall / args.requests * 1e6:.1f} µs "
            f"of wall clock per request; statuses {sorted(statuses)}",
            file=args.out,
            flush=True,
        )
    await startup.put({"type": "lifespan.shutdown"})
    await lifespan


def main(argv: list[str] | None = None) -> None:
    """Parse the flags, prepare the account, drive the app."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--route", default="item by id", help="a name from bench/read_routes.py")
    parser.add_argument("--mode", choices=["token", "anonymous"], default="token")
    parser.add_argument("--cache", action="store_true", help="response cache on")
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0, help="seed this many items first")
    parser.add_argument("--profile", help="write a cProfile of the last round here")
    args = parser.parse_args(argv)
    urls, account, key = route_for_viewer(args.database_url, args.route, args.seed)
    os.environ.update(
        SONIC_DATABASE_URL=args.database_url,
        SONIC_ENV="production",
        SONIC_SECRET_KEY=key,
        SONIC_COLLECTIONS_SYNC_ON_START="false",
        SONIC_AUTO_MIGRATE="false",
        SONIC_CACHE_ENABLED=str(args.cache).lower(),
    )
    headers = [(k.lower().encode(), v.encode()) for k, v in bearer(account).items()]
    args.out = os.fdopen(os.dup(1), "w")  # the app's request lines go to fd 1: /dev/null
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    app = create_app(load_settings(), owns_process=True)
    asyncio.run(drive(app, urls, headers if args.mode == "token" else [], args))
    print(f"load average {os.getloadavg()[0]:.2f} at the end", file=args.out)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
