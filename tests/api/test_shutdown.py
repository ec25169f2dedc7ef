"""Graceful shutdown of a real `sonic serve` process: on SIGTERM it stops accepting, lets the
request in flight finish, writes the log records still queued, and exits 0.

The request in flight is the test-only ``slow`` plugin's route (tests/utils/slow_plugin.py),
held until the test releases it, so nothing here depends on how long anything takes.
"""

from __future__ import annotations

import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select

from sonic_cms.actors import SYSTEM
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import SystemLog
from sonic_cms.extensions import lifecycle
from sonic_cms.plugins.registry import discover
from tests.utils.live_server import LiveServer, live_server
from tests.utils.slow_plugin import DIRECTORY_VARIABLE, SLOW, install_distribution

HOLD = "/api/plugins/slow/hold"


def wait_until(condition: str, check: object, seconds: float = 60) -> None:
    """Poll ``check()`` until it is true; fail naming ``condition`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"never: {condition}"
        time.sleep(0.05)


def refuses_connections(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=1):
            return False
    except ConnectionRefusedError:
        return True


class HeldRequest:
    """A POST to the slow route, sent from a thread; its answer or error once it ends."""

    def __init__(self, server: LiveServer) -> None:
        self.response: httpx.Response | None = None
        self.error: Exception | None = None
        self.thread = threading.Thread(target=self._send, args=(server.url,), daemon=True)
        self.thread.start()

    def _send(self, url: str) -> None:
        try:
            self.response = httpx.post(f"{url}{HOLD}", timeout=120)
        except httpx.HTTPError as exc:
            self.error = exc


def hold_then_terminate(server: LiveServer, signals: Path) -> HeldRequest:
    """Send a request to the slow route and, once the route holds it, SIGTERM the server."""
    held = HeldRequest(server)
    wait_until("the slow route started", (signals / "entered").exists)
    server.process.send_signal(signal.SIGTERM)
    return held


@contextmanager
def slow_server(
    db_url: str, ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deadline: str
) -> Iterator[tuple[LiveServer, Path]]:
    """A `sonic serve` process with the slow plugin active; yields it and the plugin's folder."""
    registry = discover(autoload=False, extra=[SLOW])
    system = ctx.acting_as(SYSTEM)
    lifecycle.install(system, registry, "slow")
    lifecycle.activate(system, registry, "slow")
    signals = tmp_path / "signals"
    signals.mkdir()
    monkeypatch.setenv(DIRECTORY_VARIABLE, str(signals))
    site = install_distribution(tmp_path / "site")
    # Log records stay queued (no flush for a minute, batches larger than the test writes):
    # only the writer's flush at shutdown puts them in the database.
    with live_server(
        db_url,
        tmp_path,
        python_path=(site,),
        log_flush_interval_ms="60000",
        log_batch_size="10000",
        shutdown_timeout_seconds=deadline,
    ) as server:
        yield server, signals


def test_sigterm_finishes_the_request_in_flight_writes_the_logs_and_exits_0(
    db_url: str, ctx: Context, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with slow_server(db_url, ctx, tmp_path, monkeypatch, deadline="60") as (server, signals):
        held = hold_then_terminate(server, signals)
        wait_until("new connections are refused", lambda: refuses_connections(server.url))
        assert held.thread.is_alive() and server.process.poll() is None  # still in flight
        (signals / "release").touch()
        held.thread.join(timeout=60)
        assert server.process.wait(timeout=60) == 0, server.log_tail()
    assert held.error is None, held.error
    assert held.response is not None and held.response.status_code == 200
    assert held.response.json() == {"data": "released"}
    request_id = held.response.headers["X-Request-ID"]
    with db.read() as conn:
        rows = conn.execute(
            select(SystemLog.category, SystemLog.message, SystemLog.request_id)
        ).all()
    assert ("api", f"POST {HOLD} 200", request_id) in rows, rows
    assert ("plugin", "held request released", None) in rows, rows


def test_a_request_past_the_deadline_is_cancelled_and_the_process_still_exits_0(
    db_url: str, ctx: Context, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with slow_server(db_url, ctx, tmp_path, monkeypatch, deadline="1") as (server, signals):
        held = hold_then_terminate(server, signals)
        assert server.process.wait(timeout=60) == 0, server.log_tail()
        held.thread.join(timeout=60)
    assert held.response is None or held.response.status_code >= 500
    assert "timeout graceful shutdown exceeded" in server.log_tail()
    with db.read() as conn:
        released = conn.execute(
            select(SystemLog.id).where(SystemLog.message == "held request released")
        ).first()
    assert released is None  # the request never got to finish
