"""Upload a 200 MB file through the API to a real uvicorn process; report its peak RSS growth.

The server runs as its own process (uvicorn, one worker, SQLite + local media folder), so the
figure is the server's alone. Its RSS is sampled every 10 ms during the upload and its
high-water mark (VmHWM) read from /proc afterwards; growth is measured from the RSS after a
warm-up upload. The budget is 50 MB. For scale the run also times the floor: copying the same
file on the same disk, which is the least any upload path must do.

Run: ``.venv/bin/python -m bench.media_upload_memory [--mb 200]``
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil

from sonic_cms.actors import SYSTEM
from sonic_cms.auth.sessions import open_session
from sonic_cms.auth.users import create_user
from sonic_cms.clock import SystemClock
from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.db import migrate
from sonic_cms.db.engine import Database
from sonic_cms.storage import build_storage

BUDGET_MB = 50.0
SECRET = "bench-secret-key-0123456789abcdefghijklmnop"
MP4_HEADER = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _make_file(path: Path, megabytes: int) -> None:
    chunk = os.urandom(1024 * 1024)
    with path.open("wb") as out:
        out.write(MP4_HEADER)
        for _ in range(megabytes):
            out.write(chunk)


def _environment(work: Path, megabytes: int) -> dict[str, str]:
    return {
        **os.environ,
        "SONIC_ENV": "bench",
        "SONIC_SECRET_KEY": SECRET,
        "SONIC_DATABASE_URL": f"sqlite:///{work / 'bench.db'}",
        "SONIC_MEDIA_LOCAL_DIR": str(work / "media"),
        "SONIC_MEDIA_MAX_BYTES": str((megabytes + 8) * 1024 * 1024),
        "SONIC_CONFIG_FILE": str(work / "none.toml"),
        "TMPDIR": str(work / "tmp"),
    }


def _token(env: dict[str, str]) -> str:
    settings = Settings(
        env="bench",
        secret_key=SECRET,
        database_url=env["SONIC_DATABASE_URL"],
        config_file=Path(env["SONIC_CONFIG_FILE"]),
    )
    db = Database(settings)
    migrate.upgrade(db)
    clock = SystemClock()
    storage = build_storage(settings, clock)
    ctx = Context(db=db, clock=clock, settings=settings, storage=storage, actor=SYSTEM)
    user = create_user(
        ctx, email="bench@example.com", username="bench", password=None, role="editor"
    )
    # An access token names a live session (``sid``): without one the server answers 401.
    with db.write() as conn:
        tokens = open_session(
            conn, settings, now_ms=clock.now_ms(), user_id=user.id, role=user.role
        )
    db.dispose()
    return tokens.access_token


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("server exited")
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


class _Sampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.peak = 0
        self.running = True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.01)


def _hwm_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def _upload(url: str, headers: dict[str, str], name: str, source: io.BufferedReader) -> float:
    started = time.perf_counter()
    response = httpx.post(
        url + "/api/media/upload",
        headers=headers,
        files={"file": (name, source, "video/mp4")},
        timeout=600,
    )
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"upload failed: {response.status_code} {response.text[:200]}")
    return elapsed


def run(megabytes: int) -> float:
    """Run the benchmark; returns the peak RSS growth in MB."""
    with tempfile.TemporaryDirectory(prefix="sonic-bench-") as tmp:
        work = Path(tmp)
        (work / "tmp").mkdir()
        big, small = work / "big.mp4", work / "small.mp4"
        _make_file(big, megabytes)
        _make_file(small, 1)
        started = time.perf_counter()
        shutil.copyfile(big, work / "floor-copy.bin")
        floor_seconds = time.perf_counter() - started
        (work / "floor-copy.bin").unlink()
        env = _environment(work, megabytes)
        headers = {"Authorization": f"Bearer {_token(env)}"}
        port = _free_port()
        command = [
            sys.executable, "-m", "uvicorn", "sonic_cms.api.app:app_from_environment",
            "--factory", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
        ]  # fmt: skip
        server = subprocess.Popen(command, env=env)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(url, server)
            with small.open("rb") as fh:
                _upload(url, headers, "warmup.mp4", fh)
            baseline: int = psutil.Process(server.pid).memory_info().rss
            sampler = _Sampler(server.pid)
            sampler.start()
            with big.open("rb") as fh:
                seconds = _upload(url, headers, "big.mp4", fh)
            sampler.running = False
            sampler.join()
            peak = max(sampler.peak, _hwm_bytes(server.pid))
        finally:
            server.terminate()
            server.wait(timeout=30)
    growth_mb = (peak - baseline) / 1024 / 1024
    size_mb = megabytes + len(MP4_HEADER) / 1024 / 1024
    print(f"file: {size_mb:.0f} MB through POST /api/media/upload (uvicorn, SQLite, local)")
    print(f"server RSS after warm-up: {baseline / 1024 / 1024:.1f} MB")
    print(f"server peak RSS growth:   {growth_mb:.1f} MB (budget {BUDGET_MB:.0f} MB, "
          f"{growth_mb / BUDGET_MB:.0%} of it)")  # fmt: skip
    print(f"upload: {seconds:.2f} s, {size_mb / seconds:.0f} MB/s; floor (disk copy of the "
          f"same file): {floor_seconds:.2f} s, {size_mb / floor_seconds:.0f} MB/s; upload runs "
          f"at {floor_seconds / seconds:.0%} of the floor")  # fmt: skip
    return growth_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=200, help="file size in MB")
    growth = run(parser.parse_args().mb)
    if growth >= BUDGET_MB:
        raise SystemExit(f"peak RSS growth {growth:.1f} MB is over the {BUDGET_MB:.0f} MB budget")


if __name__ == "__main__":
    main()
