"""JSON lines on stdout: one per request (cached hits included) and the app's own records,
read from a real `sonic serve` process's stdout."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from sonic_cms.api.app import create_app
from sonic_cms.clock import FrozenClock
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Collection
from sonic_cms.logs.stdout import BATCH_BYTES, REQUEST_LOGGER, RequestLines
from tests.conftest import make_settings
from tests.utils.auth import TEST_PASSWORD, create_random_user
from tests.utils.content_rows import make_collection
from tests.utils.live_server import live_server


def stdout_lines(log: Path) -> list[dict[str, Any]]:
    """Every line the server printed, each parsed as JSON (a line that is not fails here)."""
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def test_one_json_line_per_request_with_route_template_user_and_request_id(
    db_url: str, db: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    user = create_random_user(db, clock, "admin")
    collection_id = make_collection(db, clock)
    with db.read() as conn:
        name = conn.execute(select(Collection.name).where(Collection.id == collection_id)).scalar()
    listing = f"/api/collections/{name}/content"
    with live_server(
        db_url,
        tmp_path,
        separate_stderr=True,
        log_format="json",
        trusted_proxies="127.0.0.1",
    ) as server:
        miss = httpx.get(f"{server.url}{listing}")
        hit = httpx.get(f"{server.url}{listing}", headers={"X-Request-ID": "from-the-proxy-1"})
        missing = httpx.get(f"{server.url}/api/content/no-such-item?token=s3cret-value")
        login = httpx.post(
            f"{server.url}/auth/login", json={"email": user.email, "password": TEST_PASSWORD}
        )
        bearer = {"Authorization": f"Bearer {login.json()['token']}"}
        signed_in = httpx.get(f"{server.url}/admin/api/plugins", headers=bearer)
        server.process.terminate()
        assert server.process.wait(timeout=30) == 0
    assert miss.status_code == 200, miss.text
    assert hit.headers["X-Cache-Status"] == "HIT", hit.headers
    assert hit.headers["X-Request-ID"] == "from-the-proxy-1"  # a trusted proxy's id is kept
    assert signed_in.status_code == 200, signed_in.text
    lines = stdout_lines(server.log)
    requests = [line for line in lines if line["logger"] == REQUEST_LOGGER]
    by_id = {line["request_id"]: line for line in requests}
    assert len(by_id) == len(requests), "a request printed twice"
    expected = {
        miss: ("GET", "/api/collections/{name}/content", 200, None),
        hit: ("GET", "/api/collections/{name}/content", 200, None),
        missing: ("GET", "/api/content/{item_id}", 400, None),  # 400: unknown parameter
        login: ("POST", "/auth/login", 200, None),
        signed_in: ("GET", "/admin/api/plugins", 200, user.id),
    }
    for response, (method, route, status, user_id) in expected.items():
        line = by_id[response.headers["X-Request-ID"]]
        assert (line["method"], line["route"], line["status"]) == (method, route, status), line
        assert line["user_id"] == user_id, line
        assert line["level"] == ("warning" if status >= 400 else "info")
        assert isinstance(line["duration_ms"], float | int) and line["duration_ms"] >= 0
        assert line["ts"].endswith("Z")
    # uvicorn's access log is off in JSON mode; its own records and the app's are JSON lines
    loggers = {line["logger"] for line in lines}
    assert "uvicorn.access" not in loggers
    assert "uvicorn.error" in loggers
    assert any(line["message"].startswith("Started server process") for line in lines)
    output = server.log.read_text()
    assert "s3cret-value" not in output and "no-such-item" not in output  # templates only


def test_an_x_request_id_from_anyone_but_a_trusted_proxy_is_replaced(
    db_url: str, db: Database
) -> None:
    settings = make_settings(db_url)  # no trusted proxies
    with TestClient(create_app(settings, db=db)) as client:
        answered = client.get("/health", headers={"X-Request-ID": "chosen-by-the-client"})
    assert answered.headers["X-Request-ID"] != "chosen-by-the-client"
    assert len(answered.headers["X-Request-ID"]) == 32
    trusting = make_settings(db_url, trusted_proxies="testclient")
    with TestClient(create_app(trusting, db=db)) as client:
        answered = client.get("/health", headers={"X-Request-ID": "chosen-by-the-proxy"})
    assert answered.headers["X-Request-ID"] == "chosen-by-the-proxy"


def test_request_lines_below_the_level_are_not_written() -> None:
    read_end, write_end = os.pipe()
    try:
        lines = RequestLines(logging.WARNING, fd=write_end)
        scope: dict[str, Any] = {"method": "GET", "path": "/x", "state": {"request_id": "r"}}
        lines.emit(scope, 200, 1.0)
        lines.emit(scope, 404, 1.0)
        os.close(write_end)
        written = os.read(read_end, 65536).decode().splitlines()
    finally:
        os.close(read_end)
    assert [json.loads(line)["status"] for line in written] == [404]


class _Writes(RequestLines):
    """Request lines whose writes are recorded, one entry per ``write``."""

    def __init__(self) -> None:
        super().__init__(logging.INFO, fd=-1)
        self.writes: list[bytes] = []

    def _write(self, data: bytes) -> None:
        self.writes.append(data)


def test_lines_of_one_turn_of_the_loop_share_writes_of_whole_lines() -> None:
    lines = _Writes()
    scope: dict[str, Any] = {"method": "GET", "path": "/x", "state": {"request_id": "r" * 200}}

    async def burst() -> list[bytes]:
        for status in range(200, 240):
            lines.emit(scope, status, 1.0)
        held = list(lines.writes)
        await asyncio.sleep(0)  # the loop turns: what was held is written
        return held

    held = asyncio.run(burst())
    assert len(held) < len(lines.writes)  # the last lines waited for the end of the turn
    assert 1 < len(lines.writes) < 40  # batched, in more than one write: each is bounded
    assert all(len(write) <= BATCH_BYTES and write.endswith(b"\n") for write in lines.writes)
    statuses = [json.loads(line)["status"] for line in b"".join(lines.writes).splitlines()]
    assert statuses == list(range(200, 240))


def test_lines_held_for_a_loop_that_ended_go_out_with_the_next_line() -> None:
    lines = _Writes()
    scope: dict[str, Any] = {"method": "GET", "path": "/x", "state": {}}

    async def emit_and_stop() -> None:
        lines.emit(scope, 200, 1.0)
        asyncio.get_running_loop().stop()  # the loop ends before the end of this turn

    loop = asyncio.new_event_loop()
    try:
        task = loop.create_task(emit_and_stop())
        loop.run_forever()
        assert task.done()
    finally:
        loop.close()
    assert lines.writes == []  # held, and its loop is gone
    lines.emit(scope, 201, 1.0)  # off any loop
    written = b"".join(lines.writes).splitlines()
    assert [json.loads(line)["status"] for line in written] == [200, 201]


def test_batched_lines_reach_a_real_pipe() -> None:
    read_end, write_end = os.pipe()
    try:
        lines = RequestLines(logging.INFO, fd=write_end)
        scope: dict[str, Any] = {"method": "GET", "path": "/x", "state": {}}

        async def three() -> None:
            for status in (200, 201, 202):
                lines.emit(scope, status, 1.0)
            await asyncio.sleep(0)

        asyncio.run(three())
        os.close(write_end)
        written = os.read(read_end, 65536).decode().splitlines()
    finally:
        os.close(read_end)
    assert [json.loads(line)["status"] for line in written] == [200, 201, 202]
    assert lines.failed_writes == 0


def test_a_line_off_the_event_loop_is_written_at_once() -> None:
    lines = _Writes()
    lines.emit({"method": "GET", "path": "/x", "state": {}}, 200, 1.0)
    assert len(lines.writes) == 1


def test_text_format_prints_no_json_request_lines(db_url: str, tmp_path: Path) -> None:
    """SONIC_ENV=test picks text (auto): uvicorn's access line is the request line."""
    with live_server(db_url, tmp_path, separate_stderr=True) as server:
        answered = httpx.get(f"{server.url}/api/collections")
        server.process.terminate()
        server.process.wait(timeout=30)
    output = server.log.read_text()
    assert answered.status_code == 200
    assert output.count('"GET /api/collections HTTP/1.1" 200') == 1, output
    assert REQUEST_LOGGER not in output
