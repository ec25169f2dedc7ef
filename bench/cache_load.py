"""Cached vs uncached reads of the FAQ plugin's public list and item routes, with the floor.

Each variant is a real `sonic serve` (uvicorn, 2 workers) on one SQLite file holding 20 FAQ
entries (about 6 KB of JSON per list page), loaded by wrk (2 threads, 32 connections). The floor
is a bare ASGI app answering the same bytes, measured in the same run.

    .venv/bin/python -m bench.cache_load [--seconds 10] [--redis redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from sonic_cms.actors import SYSTEM
from sonic_cms.builtin_plugins.faq.service import FaqIn, create_faq
from sonic_cms.clock import SystemClock
from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.db import migrate
from sonic_cms.db.engine import Database
from sonic_cms.extensions import lifecycle
from sonic_cms.plugins.registry import discover
from sonic_cms.storage import build_storage

BIN = Path(sys.executable).parent
SECRET = "bench-secret-key-0123456789abcdefghijklmnop"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(directory: Path) -> tuple[str, str]:
    url = f"sqlite:///{directory / 'bench.db'}"
    settings = Settings(
        database_url=url, env="bench", secret_key=SECRET, config_file=directory / "none.toml"
    )
    db = Database(settings)
    migrate.upgrade(db)
    clock = SystemClock()
    storage = build_storage(settings, clock)
    ctx = Context(db=db, clock=clock, settings=settings, storage=storage, actor=SYSTEM)
    registry = discover(autoload=False)
    for name in ("cache", "faq"):
        lifecycle.install(ctx, registry, name)
        lifecycle.activate(ctx, registry, name)
    first = ""
    for i in range(20):
        row = create_faq(
            ctx,
            FaqIn(
                question=f"Question number {i}: how does the cache stay coherent?",
                answer="Generations in Redis move on every write. " * 6,
                category="bench",
                tags=["cache", "bench"],
                sort_order=i,
            ),
        )
        first = first or row["id"]
    db.dispose()
    return url, first


def start(command: list[str], env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("wb")
    process = subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"server did not start: {log.read_text()}")


def wrk(url: str, seconds: int) -> tuple[float, float]:
    out = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    assert p99 is not None, out
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    return rps, float(p99.group(1)) * scale


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--redis", default="")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    directory = Path(tempfile.mkdtemp(prefix="sonic-bench-"))
    db_url, item = prepare(directory)
    base_env = {
        **os.environ,
        "SONIC_ENV": "bench",
        "SONIC_SECRET_KEY": SECRET,
        "SONIC_DATABASE_URL": db_url,
        "SONIC_CONFIG_FILE": str(directory / "none.toml"),
        "SONIC_WORKERS": "2",
        "SONIC_LOG_PRUNE_INTERVAL_SECONDS": "0",
    }
    variants: dict[str, dict[str, str]] = {
        "uncached": {"SONIC_CACHE_ENABLED": "false"},
        "cached (memory)": {"SONIC_CACHE_ENABLED": "true"},
    }
    if args.redis:
        variants["cached (memory + redis)"] = {
            "SONIC_CACHE_ENABLED": "true",
            "SONIC_REDIS_URL": args.redis,
            "SONIC_CACHE_REDIS_PREFIX": f"bench{os.getpid()}:",
        }
    results: list[tuple[str, str, float, float]] = []
    floor_body = directory / "floor.json"
    for name, extra in variants.items():
        port = free_port()
        server = start(
            [str(BIN / "sonic"), "serve", "--port", str(port)],
            {**base_env, **extra},
            port,
            directory / f"{name}.log",
        )
        try:
            for label, path in (("list", "/api/plugins/faq/"), ("get", f"/api/plugins/faq/{item}")):
                url = f"http://127.0.0.1:{port}{path}"
                response = httpx.get(url)
                response.raise_for_status()
                if label == "list" and not floor_body.exists():
                    floor_body.write_bytes(response.content)
                rps, p99 = wrk(url, args.seconds)
                results.append((name, label, rps, p99))
        finally:
            server.terminate()
            server.wait(timeout=30)
    port = free_port()
    floor = start(
        [
            str(BIN / "uvicorn"),
            "bench.floor_single:app",
            "--port",
            str(port),
            "--workers",
            "2",
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        {**base_env, "BENCH_FLOOR_BODY": str(floor_body)},
        port,
        directory / "floor.log",
    )
    try:
        floor_rps, floor_p99 = wrk(f"http://127.0.0.1:{port}/", args.seconds)
    finally:
        floor.terminate()
        floor.wait(timeout=30)
    print(
        f"floor (bare ASGI, same {len(floor_body.read_bytes())} bytes): "
        f"{floor_rps:,.0f} req/s, p99 {floor_p99:.1f} ms"
    )
    print(f"{'variant':<26}{'route':<6}{'req/s':>10}{'p99 ms':>9}{'of floor':>10}")
    for name, label, rps, p99 in results:
        print(f"{name:<26}{label:<6}{rps:>10,.0f}{p99:>9.1f}{rps / floor_rps:>10.0%}")
    shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
