"""A real `sonic serve` process on a free loopback port, for tests that talk HTTP to it.

The process is the CLI's own `serve` command (uvicorn, one worker, the app factory), started
through :mod:`tests.utils.serve_cheap_hashing` so that password hashing costs what it costs in the
rest of the suite (argon2id at minimum cost) instead of ~0.4 s a hash: a fuzzer that posts
hundreds of passwords would otherwise spend minutes in argon2.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.utils.redis_server import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = Path(__file__).with_name("serve_cheap_hashing.py")
SECRET = "live-server-secret-0123456789abcdefghijklmnop"
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit)\b")


@dataclass(frozen=True)
class LiveServer:
    """Where the server answers, and its combined stdout/stderr log."""

    url: str
    log: Path
    process: subprocess.Popen[bytes]

    def log_tail(self, chars: int = 6000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def logged_exceptions(self) -> dict[str, int]:
        """The final line of every traceback in the log ("OverflowError: ..."), counted."""
        found: dict[str, int] = {}
        for line in self.log.read_text(errors="replace").splitlines():
            if _EXCEPTION_LINE.match(line):
                found[line[:300]] = found.get(line[:300], 0) + 1
        return found


def _wait_until_healthy(server: LiveServer, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{server.url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert server.process.poll() is None, server.log_tail()
        assert time.monotonic() < deadline, f"server did not start in {seconds} s"
        time.sleep(0.2)


@contextmanager
def live_server(
    db_url: str,
    directory: Path,
    *,
    port: int | None = None,
    separate_stderr: bool = False,
    python_path: tuple[Path, ...] = (),
    **settings: str,
) -> Iterator[LiveServer]:
    """`sonic serve` on an already migrated ``db_url``; ``settings`` are extra SONIC_* values
    (lower-case names without the prefix). Local state (media, backups) lives in ``directory``.
    ``port`` is free_port()'s unless given (a test that must name the server's own origin in
    its settings picks it first). ``separate_stderr``: the log holds stdout alone, stderr goes
    to ``server-<port>.stderr`` beside it. ``python_path``: directories put before the
    repository on the server's PYTHONPATH (a test plugin's distribution)."""
    port = port or free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([*map(str, python_path), str(REPO_ROOT)]),
        "SONIC_ENV": "test",
        "SONIC_SECRET_KEY": SECRET,
        "SONIC_DATABASE_URL": db_url,
        "SONIC_CONFIG_FILE": str(directory / "none.toml"),
        "SONIC_AUTO_MIGRATE": "false",
        "SONIC_COLLECTIONS_SYNC_ON_START": "false",
        "SONIC_COLLECTIONS_DIR": str(directory / "collections"),
        "SONIC_DATA_DIR": str(directory / "data"),
        "SONIC_MEDIA_LOCAL_DIR": str(directory / "media"),
        "SONIC_BACKUP_DIR": str(directory / "backups"),
        "SONIC_SCHEDULER_INTERVAL_SECONDS": "0",
        "SONIC_LOG_PRUNE_INTERVAL_SECONDS": "0",
        "SONIC_REDIS_URL": "",
    }
    env.update({f"SONIC_{name.upper()}": value for name, value in settings.items()})
    log = directory / f"server-{port}.log"
    errors = log.with_suffix(".stderr") if separate_stderr else None
    with log.open("wb") as handle, (errors or Path(os.devnull)).open("wb") as error_handle:
        process = subprocess.Popen(
            [sys.executable, str(LAUNCHER), "serve", "--port", str(port)],
            cwd=directory,
            env=env,
            stdout=handle,
            stderr=error_handle if errors else subprocess.STDOUT,
        )
        server = LiveServer(f"http://127.0.0.1:{port}", log, process)
        try:
            _wait_until_healthy(server, 90)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def wait_for(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Block until ``url``'s /health answers 200; fail with the server's log if it exits or
    does not come up in 90 s."""
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "server did not start in 90 s"
        time.sleep(0.2)
