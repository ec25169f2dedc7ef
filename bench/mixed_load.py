"""Issue 17's mixed load: one worker, 16 clients, 70% anonymous reads, 20% token reads, 10% writes.

Seeds ``--items`` blog posts, creates an editor with an API token (read, create, update,
publish), and starts the real server with one worker and the shipped defaults (response cache
on, request log on) but ``SONIC_SQLITE_SYNCHRONOUS=FULL`` (every commit fsyncs, as the issue
measured). Then ``--clients`` asyncio clients send requests back to back for ``--seconds``
(bench/raw_http.py: prebuilt bytes on one keep-alive connection each, a tenth of httpx's CPU per
request): each draws anonymous read / token read / write with the weights above; reads cycle
through bench/read_routes.py's URLs, writes alternate between
creating an item and renaming a published one. Prints overall p50/p99, reads p99, writes p99,
errors, and the server's RSS (psutil, the uvicorn process and its children) every
``--sample-every`` seconds, with its growth after ``--warm-up``.

Latencies are per request as the client saw them (no coordinated-omission correction, unlike
wrk's); the client shares the machine with the server, and freezes its start-up heap so its own
garbage collections do not pass for the server's latency. SQLite by default;
``--database-url postgresql+psycopg://user@host/db`` makes a scratch database there (the
``synchronous`` setting is SQLite's; PostgreSQL runs with its server's settings).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import os
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import psutil

from bench.content_load import scratch_database, serve_process, server_env, warm
from bench.content_seed import COLLECTION, bench_settings, make_items, seed
from bench.http_load import p50_p99
from bench.raw_http import Answer, RawConnection
from bench.read_routes import Account, bearer, make_account, published_sample, read_routes
from sonic_cms.db.engine import Database

APP = "sonic_cms.api.app:app_from_environment"
MIX = (("anonymous read", 0.7), ("token read", 0.2), ("write", 0.1))
KINDS = [kind for kind, _ in MIX]
WEIGHTS = [weight for _, weight in MIX]
READS = ("anonymous read", "token read")


@dataclass
class Tally:
    """What the clients saw: latencies (ms) per kind of request, and errors per kind."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    #: The first failed answer of each kind (method, path, status and body), to show why.
    first_errors: dict[str, str] = field(default_factory=dict)

    def add(self, kind: str, ms: float, request: bytes, answer: Answer) -> None:
        """Record one request."""
        self.latencies.setdefault(kind, []).append(ms)
        if answer.status >= 400:
            self.errors[kind] = self.errors.get(kind, 0) + 1
            line = request.split(b"\r\n", 1)[0].decode(errors="replace")
            self.first_errors.setdefault(
                kind, f"{line} {answer.status} {answer.body[:300].decode(errors='replace')}"
            )

    def summary(self, seconds: float) -> dict[str, Any]:
        """Overall, reads, writes and per-kind figures."""
        groups = {"overall": KINDS, "reads": list(READS), "writes": ["write"]}
        groups |= {kind: [kind] for kind, _ in MIX}
        out = {}
        for name, kinds in groups.items():
            values = [ms for k in kinds for ms in self.latencies.get(k, [])]
            p50, p99 = p50_p99(values)
            errors = sum(self.errors.get(k, 0) for k in kinds)
            out[name] = {
                "requests": len(values),
                "per_s": len(values) / seconds,
                "p50_ms": p50,
                "p99_ms": p99,
                "errors": errors,
            }
        return out


class Writes:
    """The write half of the mix: create an item, then rename one of the sample, in turn."""

    def __init__(self, sample_ids: list[str]) -> None:
        self.items = make_items(10**9, seed=11)
        self.counter = itertools.count()
        self.sample_ids = sample_ids

    def next_request(self) -> tuple[str, str, dict[str, Any]]:
        """(method, path, JSON body) of the next write."""
        number = next(self.counter)
        if number % 2 == 0:
            item = next(self.items)
            item["title"] = f"{item['title']} mixed {number}"
            return "POST", "/api/content", {"collectionId": COLLECTION, **item}
        item_id = self.sample_ids[number // 2 % len(self.sample_ids)]
        return "PUT", f"/api/content/{item_id}", {"title": f"Renamed under load {number}"}


@dataclass(frozen=True)
class Requests:
    """The bytes of every read, anonymous and with the token, built once for a connection."""

    anonymous: list[bytes]
    token: list[bytes]

    @classmethod
    def build(cls, conn: RawConnection, urls: list[str], account: Account) -> Requests:
        """Both forms of every URL."""
        return cls(
            [conn.request_bytes("GET", url) for url in urls],
            [conn.request_bytes("GET", url, bearer(account)) for url in urls],
        )


async def client(
    base: str,
    plan: tuple[list[str], Account, Writes],
    deadline: float,
    rng: random.Random,
    tally: Tally,
) -> None:
    """One client on its own keep-alive connection: requests back to back until ``deadline``."""
    urls, account, writes = plan
    conn = RawConnection(base)
    reads = Requests.build(conn, urls, account)
    try:
        while time.monotonic() < deadline:
            kind = rng.choices(KINDS, WEIGHTS)[0]
            if kind == "write":
                method, path, body = writes.next_request()
                request = conn.request_bytes(method, path, bearer(account), orjson.dumps(body))
            else:
                request = rng.choice(reads.token if kind == "token read" else reads.anonymous)
            started = time.perf_counter()
            answer = await conn.send(request)
            tally.add(kind, (time.perf_counter() - started) * 1000, request, answer)
    finally:
        await conn.close()


def rss_mb(process: psutil.Process) -> float:
    """Resident memory of the server: the process and its children, in MiB."""
    processes = [process, *process.children(recursive=True)]
    return float(sum(p.memory_info().rss for p in processes)) / 2**20


async def sample_memory(
    process: psutil.Process, every: float, deadline: float, samples: list[tuple[float, float]]
) -> None:
    """Append (seconds since start, RSS MiB) every ``every`` seconds until ``deadline``."""
    started = time.monotonic()
    while True:
        samples.append((time.monotonic() - started, rss_mb(process)))
        print(f"  t={samples[-1][0]:5.0f} s  server RSS {samples[-1][1]:7.1f} MiB", flush=True)
        if time.monotonic() + every > deadline:
            return
        await asyncio.sleep(every)


async def load(
    base: str, pid: int, plan: tuple[list[str], Account, Writes], args: argparse.Namespace
) -> dict[str, Any]:
    """Run the clients and the memory sampler; the figures."""
    tally, samples = Tally(), list[tuple[float, float]]()
    started = time.monotonic()
    deadline = started + args.seconds
    await asyncio.gather(
        sample_memory(psutil.Process(pid), args.sample_every, deadline, samples),
        *(client(base, plan, deadline, random.Random(n), tally) for n in range(args.clients)),
    )
    elapsed = time.monotonic() - started
    return {
        "figures": tally.summary(elapsed),
        "first_errors": tally.first_errors,
        "rss_mib": samples,
        "seconds": elapsed,
    }


def memory_growth(samples: list[tuple[float, float]], warm_up: float) -> float | None:
    """MiB the server grew between the first sample after ``warm_up`` seconds and the last."""
    after = [mib for t, mib in samples if t >= warm_up]
    return after[-1] - after[0] if len(after) > 1 else None


def prepare(url: str, items: int, server_key: str) -> tuple[list[str], Account, list[str], str]:
    """Seed; returns the read URLs, the editor, the ids writes rename and the engine."""
    db = Database(bench_settings(url))
    try:
        seeded = seed(db, items, 5000)
        print(f"seeded {seeded.items:,} items ({db.dialect})", flush=True)
        routes = read_routes(db)
        permissions = ["content.read", "content.create", "content.update", "content.publish"]
        account = make_account(db, "editor", permissions, server_key)
        sample = [item_id for item_id, _ in published_sample(db)]
        return [u for group in routes.values() for u in group], account, sample, db.dialect
    finally:
        db.dispose()


def report(result: dict[str, Any], args: argparse.Namespace, engine: str) -> None:
    """Print the figures."""
    print(
        f"\nmixed load, {engine}, {args.clients} clients, {result['seconds']:.0f} s, one worker; "
        f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}"
    )
    for name, f in result["figures"].items():
        print(
            f"  {name:15s} {f['requests']:7d} requests {f['per_s']:7.1f}/s  p50 "
            f"{f['p50_ms']:7.1f} ms  p99 {f['p99_ms']:7.1f} ms  errors {f['errors']}"
        )
    for kind, error in result["first_errors"].items():
        print(f"  first {kind} error: {error}")
    growth = memory_growth(result["rss_mib"], args.warm_up)
    shown = "n/a (run longer)" if growth is None else f"{growth:+.1f} MiB"
    print(f"  server RSS after {args.warm_up:g} s of warm-up: {shown}")


def main(argv: list[str] | None = None) -> None:
    """Seed, serve, load, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--seconds", type=float, default=60.0, help="the issue used 360")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--synchronous", default="FULL", help="SONIC_SQLITE_SYNCHRONOUS")
    parser.add_argument("--sample-every", type=float, default=5.0, help="RSS sampling, seconds")
    parser.add_argument("--warm-up", type=float, default=10.0, help="seconds before RSS counts")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--workdir", default="/var/tmp", help="where the scratch files go")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mixed-load-", dir=args.workdir) as tmp_name:
        tmp = Path(tmp_name)
        with scratch_database(args.database_url, tmp) as url:
            env = {**server_env(url, tmp / "unused"), "SONIC_SQLITE_SYNCHRONOUS": args.synchronous}
            urls, account, sample, engine = prepare(url, args.items, env["SONIC_SECRET_KEY"])
            with serve_process(APP, env, 1, tmp) as (base, process):
                warm(base, {"reads": urls})
                # The client's own full collections (100-160 ms over the ~200k objects seeding
                # and imports left) stopped all sixteen clients at once and were counted as
                # the server's latency; frozen, later collections see only the run's objects.
                gc.collect()
                gc.freeze()
                result = asyncio.run(load(base, process.pid, (urls, account, Writes(sample)), args))
    report(result, args, engine)
    if args.json:
        args.json.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    main()
