"""Side by side with SonicJS 2.11: the same 10,000 items, the same four URLs, one worker each.

SonicJS comes from ../shared/bench/sonicjs/ (its README): ``run.sh`` installs the published
``@sonicjs-cms/core`` 2.11.0 from npm into ``--sonicjs-work`` (default /tmp/sonicjs-anchor),
seeds 10,000 items and builds the bundle; this module runs it only when that work directory
holds no finished run, then serves the bundle with ``mf-serve.cjs`` (Miniflare, one workerd
process). sonic-cms gets the same items (``sonic_bench.item(i)``: the same titles, slugs,
excerpts and bodies; SonicJS's free-text ``author`` and ``tags`` are left out, which the
blog-posts schema does not have or holds as an enum) and serves them from one uvicorn worker
with the shipped defaults (response cache on).

Each of the README's URLs (list of 20, newest first, item by id, item by slug through ``where``)
is read anonymously and with a token: a sonic-cms API token, and the JWT SonicJS's
``POST /auth/login`` returns (``Authorization: Bearer``), both a viewer's. ``wrk -t2 -c16``,
``--runs`` runs of ``--duration`` seconds alternating servers; the table gives medians and
sonic-cms/SonicJS. Needs node, npm and wrk; exits 1 when SonicJS cannot be installed or served.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx

from bench.content_load import ROOT, free_port, serve, server_env, settle
from bench.content_seed import bench_settings, seed
from bench.http_load import LoadResult, run
from bench.read_routes import LIST, NEWEST, bearer, by_slug, make_account
from sonic_cms.db.engine import Database

APP = "sonic_cms.api.app:app_from_environment"
SLUG = "benchmark-post-00500"
LAST_SLUG = "benchmark-post-10000"
COLLECTION = "blog-posts"


class SonicJSUnavailable(RuntimeError):
    """SonicJS could not be installed, seeded or served here."""


def load_sonic_bench(sonicjs_dir: Path) -> ModuleType:
    """The README's ``sonic_bench.py`` (deterministic items), imported from its file."""
    spec = importlib.util.spec_from_file_location("sonic_bench", sonicjs_dir / "sonic_bench.py")
    if spec is None or spec.loader is None:
        raise SonicJSUnavailable(f"no sonic_bench.py in {sonicjs_dir}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def same_items(sonic_bench: ModuleType, count: int) -> Iterator[dict[str, Any]]:
    """SonicJS's items 1..count as sonic-cms's blog posts."""
    for number in range(1, count + 1):
        item = sonic_bench.item(number)
        data = {k: item["data"][k] for k in ("title", "slug", "excerpt", "content")}
        yield {"title": item["title"], "slug": item["slug"], "status": item["status"], "data": data}


def finished_run(work: Path) -> bool:
    """Whether ``run.sh`` completed in ``work`` (installed, seeded to 10,000, bundled)."""
    summaries = sorted(work.glob("results/*/summary.txt"))
    done = any("] done;" in s.read_text(errors="replace") for s in summaries)
    return done and (work / "bundle" / "index.js").exists()


def install(sonicjs_dir: Path, work: Path) -> None:
    """Run the README's ``run.sh`` (npm install, seed, short measurements) into ``work``."""
    print(f"installing SonicJS 2.11 into {work} with run.sh (several minutes)", flush=True)
    env = {**os.environ, "WORK": str(work), "MODES": "mf", "DUR": "1s", "WARM": "1s", "PYDUR": "1"}
    done = subprocess.run(
        ["bash", str(sonicjs_dir / "run.sh")], env=env, capture_output=True, text=True, timeout=1800
    )
    if not finished_run(work):
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-25:])
        raise SonicJSUnavailable(f"run.sh exited {done.returncode} without a finished run:\n{tail}")


@contextlib.contextmanager
def sonicjs_server(sonicjs_dir: Path, work: Path) -> Iterator[str]:
    """Serve the installed bundle with Miniflare (one workerd) until the block ends."""
    port = free_port()
    command = ["node", str(sonicjs_dir / "mf-serve.cjs"), str(work / "app"), str(work / "bundle")]
    process = subprocess.Popen(
        [*command, str(port)],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_sonicjs(base, process)
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def _wait_for_sonicjs(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SonicJSUnavailable(f"mf-serve.cjs exited with {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(base + "/health", timeout=2).status_code == 200:
                httpx.get(base + LIST, timeout=60)  # the first API request bootstraps SonicJS
                return
        time.sleep(0.5)
    raise SonicJSUnavailable("SonicJS did not answer /health within 90 s")


def item_id(base: str, slug: str, headers: dict[str, str] | None = None) -> str:
    """The id of the item with ``slug``, read through the ``where`` list (both servers)."""
    found = httpx.get(base + by_slug(slug), headers=headers, timeout=60).json()["data"]
    if not found:
        raise SonicJSUnavailable(f"{base}: no item {slug}")
    return str(found[0]["id"])


def sonicjs_token(base: str) -> dict[str, str]:
    """A new SonicJS viewer (``/auth/register``) signed in: its JWT as a Bearer header."""
    name = f"bench{secrets.token_hex(4)}"
    account = {"email": f"{name}@example.com", "password": secrets.token_urlsafe(18)}
    profile = {"username": name, "firstName": "Bench", "lastName": "Reader"}
    try:
        registered = httpx.post(base + "/auth/register", json={**account, **profile}, timeout=60)
        registered.raise_for_status()
        login = httpx.post(base + "/auth/login", json=account, timeout=60)
        login.raise_for_status()
        return {"Authorization": f"Bearer {login.json()['token']}"}
    except (httpx.HTTPError, KeyError, ValueError) as error:
        raise SonicJSUnavailable(f"cannot register and sign in a reader: {error!r}") from error


def urls(base: str) -> dict[str, str]:
    """The README's four reads on one server."""
    return {
        "list of 20": LIST,
        "list, newest first": NEWEST,
        "item by id": f"/api/content/{item_id(base, SLUG)}",
        "item by slug (where)": by_slug(SLUG),
    }


def check(base: str, paths: dict[str, str], headers: dict[str, str]) -> None:
    """Every read answers 200 with data on this server, as anonymous and with its token."""
    for name, path in paths.items():
        for sent in ({}, headers):
            response = httpx.get(base + path, headers=sent, timeout=60)
            if response.status_code != 200 or not response.json().get("data"):
                raise RuntimeError(f"{base} {name}: {response.status_code} {response.text[:200]}")


Server = tuple[str, dict[str, str], dict[str, str]]  # base URL, read paths, token headers


def measure(servers: dict[str, Server], args: argparse.Namespace) -> list[dict[str, Any]]:
    """Every read and caller on each server in turn, ``args.runs`` times."""
    results = []
    for number in range(1, args.runs + 1):
        for read in urls_of(servers):
            for caller in ("anonymous", "token"):
                row: dict[str, Any] = {"run": number, "read": read, "caller": caller}
                for name, (base, paths, token) in servers.items():
                    headers = token if caller == "token" else {}
                    row[name] = run(base, [paths[read]], args.duration, 16, "wrk", headers)
                    settle(base)
                results.append(row)
                print(f"run {number} {read:22s} {caller:9s} {_line(row)}", flush=True)
    return results


def urls_of(servers: dict[str, Server]) -> list[str]:
    """The read names (the same on every server)."""
    return list(next(iter(servers.values()))[1])


def _line(row: dict[str, Any]) -> str:
    ours, theirs = row["sonic-cms"], row["SonicJS"]
    errors = f"  ERRORS {ours.errors}/{theirs.errors}" if ours.errors or theirs.errors else ""
    return (
        f"sonic-cms {ours.requests_per_s:7.0f} req/s p99 {ours.p99_ms:6.1f} | SonicJS "
        f"{theirs.requests_per_s:6.0f} req/s p99 {theirs.p99_ms:7.1f} | "
        f"{ratio(ours, theirs)}{errors}"
    )


def print_table(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    """Medians per read and caller, as a Markdown table."""
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    print(
        f"\n{args.items:,} items, one worker each, wrk -t2 -c16, medians of {args.runs} x "
        f"{args.duration:g} s; load average {load}\n"
    )
    print(
        "| read | caller | sonic-cms req/s | p99 ms | SonicJS req/s | p99 ms | sonic-cms/SonicJS |"
    )
    print("|---|---|---|---|---|---|---|")
    for key in dict.fromkeys((r["read"], r["caller"]) for r in results):
        rows = [r for r in results if (r["read"], r["caller"]) == key]
        ours, theirs = (_median(rows, side) for side in ("sonic-cms", "SonicJS"))
        print(
            f"| {key[0]} | {key[1]} | {ours.requests_per_s:,.0f} | {ours.p99_ms:.1f} | "
            f"{theirs.requests_per_s:,.0f} | {theirs.p99_ms:.1f} | {ratio(ours, theirs)} |"
        )


def ratio(ours: LoadResult, theirs: LoadResult) -> str:
    """sonic-cms/SonicJS, or a note when SonicJS finished no request within the run (its
    slowest reads take seconds each on a busy machine: run longer)."""
    if not theirs.requests:
        return "n/a (SonicJS answered nothing in the run)"
    return f"{ours.requests_per_s / theirs.requests_per_s:.1f}x"


def _median(rows: list[dict[str, Any]], side: str) -> LoadResult:
    results: list[LoadResult] = [r[side] for r in rows]
    return LoadResult(
        statistics.median(r.requests_per_s for r in results),
        statistics.median(r.p50_ms for r in results),
        statistics.median(r.p99_ms for r in results),
        sum(r.requests for r in results),
        sum(r.errors for r in results),
    )


def missing_tools() -> list[str]:
    """The commands this benchmark needs that are not on PATH."""
    return [tool for tool in ("node", "npm", "wrk", "bash") if shutil.which(tool) is None]


def bench(args: argparse.Namespace, tmp: Path) -> list[dict[str, Any]]:
    """Install SonicJS if needed, seed sonic-cms, serve both, measure."""
    if not finished_run(args.sonicjs_work):
        install(args.sonicjs_dir, args.sonicjs_work)
    url = f"sqlite:///{tmp / 'side-by-side.db'}"
    env = server_env(url, tmp / "unused")
    db = Database(bench_settings(url))
    try:
        items = same_items(load_sonic_bench(args.sonicjs_dir), args.items)
        seeded = seed(db, args.items, 5000, items)
        print(f"sonic-cms seeded with SonicJS's {seeded.items:,} items", flush=True)
        account = make_account(db, "viewer", ["content.read"], env["SONIC_SECRET_KEY"])
    finally:
        db.dispose()
    with sonicjs_server(args.sonicjs_dir, args.sonicjs_work) as theirs:
        item_id(theirs, LAST_SLUG)  # seeded to the end
        with serve(APP, env, 1, tmp) as ours:
            servers: dict[str, Server] = {
                "sonic-cms": (ours, urls(ours), bearer(account)),
                "SonicJS": (theirs, urls(theirs), sonicjs_token(theirs)),
            }
            for base, paths, token in servers.values():
                check(base, paths, token)
            return measure(servers, args)


def main(argv: list[str] | None = None) -> int:
    """Parse the flags and run; 1 when SonicJS is unavailable."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000, help="sonic-cms's (SonicJS: 10,000)")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per wrk run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sonicjs-dir", type=Path, default=ROOT.parent / "shared/bench/sonicjs")
    parser.add_argument("--sonicjs-work", type=Path, default=Path("/tmp/sonicjs-anchor"))
    parser.add_argument("--workdir", default="/var/tmp", help="where the scratch files go")
    args = parser.parse_args(argv)
    missing = missing_tools()
    if missing:
        print(f"side_by_side: SonicJS cannot run here: {', '.join(missing)} not on PATH")
        return 1
    with tempfile.TemporaryDirectory(prefix="side-by-side-", dir=args.workdir) as tmp_name:
        try:
            results = bench(args, Path(tmp_name))
        except SonicJSUnavailable as error:
            print(f"side_by_side: SonicJS 2.11 could not be installed or served: {error}")
            return 1
    print_table(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
