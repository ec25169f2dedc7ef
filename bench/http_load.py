"""Load generation in a separate process: wrk when installed, else an asyncio + httpx client.

Both keep ``concurrency`` requests in flight for ``duration`` seconds, cycling through a list of
paths (so "get by slug" reads many items, not one), and report requests/s, p50 and p99 in ms.
Run as a module, the Python generator prints its result as JSON:
``python -m bench.http_load BASE_URL PATHS_FILE --duration 8 --concurrency 32``.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import orjson


@dataclass
class LoadResult:
    """What one load run measured."""

    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


def versus(real: LoadResult, floor: LoadResult) -> str:
    """One line comparing a run of the app with its floor's: rates, p50, p99, the ratio, and
    the errors of either."""
    ratio = real.requests_per_s / floor.requests_per_s if floor.requests_per_s else 0.0
    errors = f"  ERRORS {real.errors}/{floor.errors}" if real.errors or floor.errors else ""
    return (
        f"{real.requests_per_s:8.0f} req/s  p50 {real.p50_ms:6.1f} ms  p99 {real.p99_ms:6.1f} ms"
        f" | floor {floor.requests_per_s:8.0f} req/s  p50 {floor.p50_ms:5.1f}  "
        f"p99 {floor.p99_ms:5.1f} | ratio {ratio:5.1%}{errors}"
    )


def has_wrk() -> bool:
    """Whether wrk is on PATH."""
    return shutil.which("wrk") is not None


def run(
    base_url: str,
    paths: list[str],
    duration: float,
    concurrency: int,
    tool: str,
    headers: dict[str, str] | None = None,
    cpu: str | None = None,
) -> LoadResult:
    """One load run with ``tool`` (``wrk`` or ``python``), each in its own process; every
    request carries ``headers`` (an API token, a session cookie). ``cpu`` pins wrk, with one
    thread, to that CPU (``taskset``), so that it never shares a core with a pinned server."""
    headers = headers or {}
    with tempfile.TemporaryDirectory() as tmp:
        if tool == "wrk":
            return _run_wrk(base_url, paths, duration, concurrency, Path(tmp), headers, cpu)
        paths_file = Path(tmp) / "paths.json"
        paths_file.write_bytes(orjson.dumps(paths))
        command = [sys.executable, "-m", "bench.http_load", base_url, str(paths_file)]
        command += ["--duration", str(duration), "--concurrency", str(concurrency)]
        command += [f"--header={name}:{value}" for name, value in headers.items()]
        done = subprocess.run(command, check=True, capture_output=True, timeout=duration + 60)
        return LoadResult(**orjson.loads(done.stdout))


_LUA = """local paths = %s
local headers = %s
local i = math.random(#paths)
request = function()
  i = (i %% #paths) + 1
  return wrk.format("GET", paths[i], headers)
end
"""


def lua_string(text: str) -> str:
    """``text`` as a Lua string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _run_wrk(
    base_url: str,
    paths: list[str],
    duration: float,
    concurrency: int,
    tmp: Path,
    headers: dict[str, str],
    cpu: str | None = None,
) -> LoadResult:
    script = tmp / "paths.lua"
    quoted = ", ".join(lua_string(p) for p in paths)
    table = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items())
    script.write_text(_LUA % ("{" + quoted + "}", "{" + table + "}"))
    command = [
        *(["taskset", "-c", cpu] if cpu else []),
        "wrk",
        "-t1" if cpu else "-t2",
        f"-c{concurrency}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "30s",
        "--latency",
        "-s",
        str(script),
    ]
    done = subprocess.run(
        [*command, base_url], check=True, capture_output=True, text=True, timeout=duration + 60
    )
    return parse_wrk(done.stdout)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def parse_wrk(output: str) -> LoadResult:
    """The figures of wrk's ``--latency`` report."""
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    total = re.search(r"^\s+(\d+) requests in", output, re.M)
    if not (p50 and p99 and rps and total):
        raise RuntimeError(f"cannot read wrk's report:\n{output}")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sock = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors = (int(bad.group(1)) if bad else 0) + (sum(map(int, sock.groups())) if sock else 0)
    return LoadResult(
        requests_per_s=float(rps.group(1)),
        p50_ms=_ms(p50.group(1)),
        p99_ms=_ms(p99.group(1)),
        requests=int(total.group(1)),
        errors=errors,
    )


async def _python_load(
    base_url: str, paths: list[str], duration: float, concurrency: int, headers: dict[str, str]
) -> LoadResult:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=30, headers=headers
    ) as client:
        deadline = time.perf_counter() + duration

        async def worker(offset: int) -> None:
            nonlocal errors
            i = offset
            while time.perf_counter() < deadline:
                i = (i + 1) % len(paths)
                started = time.perf_counter()
                response = await client.get(paths[i])
                latencies.append((time.perf_counter() - started) * 1000)
                errors += response.status_code >= 400

        started = time.perf_counter()
        await asyncio.gather(*(worker(n * 7) for n in range(concurrency)))
        elapsed = time.perf_counter() - started
    p50, p99 = p50_p99(latencies)
    return LoadResult(len(latencies) / elapsed, p50, p99, len(latencies), errors)


def p50_p99(latencies: list[float]) -> tuple[float, float]:
    """The median and 99th percentile of ``latencies`` (0 for fewer than two)."""
    if len(latencies) < 2:
        return (latencies[0], latencies[0]) if latencies else (0.0, 0.0)
    cuts = statistics.quantiles(latencies, n=100)
    return cuts[49], cuts[98]


def main() -> None:
    """Entry point of the Python load process: prints a LoadResult as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("base_url")
    parser.add_argument("paths_file", type=Path)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--header", action="append", default=[], help="NAME:VALUE, repeatable")
    args = parser.parse_args()
    paths: list[str] = orjson.loads(args.paths_file.read_bytes())
    headers = dict(h.split(":", 1) for h in args.header)
    result = asyncio.run(
        _python_load(args.base_url, paths, args.duration, args.concurrency, headers)
    )
    sys.stdout.write(orjson.dumps(asdict(result)).decode())


if __name__ == "__main__":
    main()
