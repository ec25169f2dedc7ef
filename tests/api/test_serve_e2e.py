"""`make run`'s path for real: `sonic db migrate`, `sonic users ensure-admin`, `sonic serve`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

SONIC = str(Path(sys.executable).parent / "sonic")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_fresh_directory_migrates_creates_admin_and_serves_health(tmp_path: Path):
    env = {**os.environ, "SONIC_ENV": "development", "SONIC_CONFIG_FILE": str(tmp_path / "none")}
    env.pop("SONIC_DATABASE_URL", None)
    for command in (["db", "migrate"], ["users", "ensure-admin"]):
        done = subprocess.run(
            [SONIC, *command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "data" / "sonic.db").exists()
    port = free_port()
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [SONIC, "serve", "--port", str(port)], cwd=tmp_path, env=env, stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, (tmp_path / "server.log").read_text()
                assert time.monotonic() < deadline, "server did not answer within 60 s"
                time.sleep(0.2)
        assert response.status_code == 200
        assert response.json()["database"]["engine"] == "sqlite"
        assert httpx.get(f"http://127.0.0.1:{port}/docs", timeout=5).status_code == 200
        secret = "Zq7SecretLinkToken"
        httpx.get(f"http://127.0.0.1:{port}/auth/magic-link/verify?token={secret}", timeout=5)
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()
    output = (tmp_path / "server.log").read_text()
    # uvicorn's access log prints request targets: their secrets are masked
    assert "/auth/magic-link/verify?token=%5Bredacted%5D" in output
    assert secret not in output
