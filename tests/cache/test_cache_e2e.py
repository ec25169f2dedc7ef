"""Two real `sonic serve` processes sharing one database (and Redis, or only the host's
generations file): writes on one, each followed at once by a read on the other, and never a
stale answer: 1,000 plugin writes and 300 content writes with Redis, 300 content writes
without."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sonic_cms.actors import SYSTEM
from sonic_cms.clock import SystemClock
from sonic_cms.context import Context
from sonic_cms.db import migrate
from sonic_cms.db.engine import Database
from sonic_cms.extensions import lifecycle
from sonic_cms.plugins.registry import discover
from sonic_cms.storage import build_storage
from tests.conftest import _service_url, make_settings
from tests.utils.auth import create_random_user, headers_for
from tests.utils.live_server import wait_for
from tests.utils.redis_server import free_port

SONIC = str(Path(sys.executable).parent / "sonic")
ROUNDS = 1000
SECRET = "e2e-secret-key-0123456789abcdefghijklmnopq"


@pytest.fixture
def servers(db_url: str, tmp_path: Path) -> Iterator[tuple[str, str, dict[str, str]]]:
    """Two servers sharing the database and Redis."""
    yield from _two_servers(db_url, tmp_path, _service_url("SONIC_TEST_REDIS_URL", "Redis"))


@pytest.fixture
def servers_without_redis(
    sqlite_db: Database, tmp_path: Path
) -> Iterator[tuple[str, str, dict[str, str]]]:
    """Two servers sharing one SQLite file and nothing else (the generations file)."""
    url = sqlite_db.settings.database_url
    sqlite_db.dispose()
    yield from _two_servers(url, tmp_path, "")


def _two_servers(
    db_url: str, tmp_path: Path, redis_url: str
) -> Iterator[tuple[str, str, dict[str, str]]]:
    settings = make_settings(db_url, secret_key=SECRET)
    db = Database(settings)
    migrate.upgrade(db)
    clock = SystemClock()
    storage = build_storage(settings, clock)
    ctx = Context(db=db, clock=clock, settings=settings, storage=storage, actor=SYSTEM)
    registry = discover(autoload=False)
    for name in ("cache", "faq"):
        lifecycle.install(ctx, registry, name)
        lifecycle.activate(ctx, registry, name)
    admin = create_random_user(db, SystemClock(), "admin")
    token = headers_for(db, settings, SystemClock(), admin)["Authorization"].split()[1]
    db.dispose()
    env = {
        **os.environ,
        "SONIC_ENV": "test",
        "SONIC_SECRET_KEY": SECRET,
        "SONIC_DATABASE_URL": db_url,
        "SONIC_REDIS_URL": redis_url,
        "SONIC_CACHE_REDIS_PREFIX": f"e2e{uuid.uuid4().hex[:8]}:",
        "SONIC_CONFIG_FILE": str(tmp_path / "none.toml"),
        "SONIC_LOG_PRUNE_INTERVAL_SECONDS": "0",
    }
    processes = []
    urls = []
    logs = []
    try:
        for name in ("a", "b"):
            port = free_port()
            log = tmp_path / f"{name}.log"
            logs.append(log.open("wb"))
            process = subprocess.Popen(
                [SONIC, "serve", "--port", str(port)],
                cwd=tmp_path,
                env=env,
                stdout=logs[-1],
                stderr=subprocess.STDOUT,
            )
            processes.append(process)
            urls.append(f"http://127.0.0.1:{port}")
            wait_for(urls[-1], process, log)
        yield urls[0], urls[1], {"Authorization": f"Bearer {token}"}
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
        for handle in logs:
            handle.close()


@pytest.mark.slow
@pytest.mark.redis
def test_read_after_write_across_two_server_processes(
    servers: tuple[str, str, dict[str, str]],
):
    url_a, url_b, admin = servers
    with httpx.Client(timeout=30) as http:
        created = http.post(
            f"{url_a}/api/plugins/faq/", json={"question": "Q?", "answer": "v0"}, headers=admin
        )
        assert created.status_code == 201, created.text
        item = created.json()["data"]["id"]
        sources: dict[str, int] = {}
        for i in range(1, ROUNDS + 1):
            writer, reader = (url_a, url_b) if i % 2 else (url_b, url_a)
            # warm the reader's cache with the current value, then write on the other process
            warm = http.get(f"{reader}/api/plugins/faq/")
            sources[warm.headers["X-Cache-Source"]] = (
                sources.get(warm.headers["X-Cache-Source"], 0) + 1
            )
            done = http.put(
                f"{writer}/api/plugins/faq/{item}", json={"answer": f"v{i}"}, headers=admin
            )
            assert done.status_code == 200, done.text
            listed = http.get(f"{reader}/api/plugins/faq/")
            assert listed.json()["data"][0]["answer"] == f"v{i}", (i, listed.headers)
            single = http.get(f"{reader}/api/plugins/faq/{item}")
            assert single.json()["data"]["answer"] == f"v{i}", i
        # the warm reads really were served from the cache tiers, not all from the database
        assert sources.get("memory", 0) + sources.get("redis", 0) > ROUNDS // 2, sources
    # the same servers, core content routes (the servers take 10 s to start: one test)
    content_sources = _content_round_trips(url_a, url_b, admin, rounds=300)
    assert content_sources.get("memory", 0) + content_sources.get("redis", 0) == 300


def _content_round_trips(
    url_a: str, url_b: str, admin: dict[str, str], rounds: int
) -> dict[str, int]:
    """Write a published post on one process, read it anonymously on the other, ``rounds``
    times; returns where the warm reads came from."""
    with httpx.Client(timeout=30) as http:
        collection = http.post(
            f"{url_a}/admin/api/collections",
            json={
                "name": "notes",
                "display_name": "Notes",
                "schema": {"type": "object", "properties": {"body": {"type": "text"}}},
            },
            headers=admin,
        )
        assert collection.status_code == 201, collection.text
        created = http.post(
            f"{url_a}/api/content",
            json={"collectionId": "notes", "title": "v0", "status": "published"},
            headers=admin,
        )
        assert created.status_code == 201, created.text
        item = created.json()["data"]["id"]
        sources: dict[str, int] = {}
        for i in range(1, rounds + 1):
            writer, reader = (url_a, url_b) if i % 2 else (url_b, url_a)
            http.get(f"{reader}/api/content/{item}")
            warm = http.get(f"{reader}/api/content/{item}")  # this one comes from a cache tier
            sources[warm.headers["X-Cache-Source"]] = (
                sources.get(warm.headers["X-Cache-Source"], 0) + 1
            )
            http.get(f"{reader}/api/collections/notes/content")
            done = http.put(f"{writer}/api/content/{item}", json={"title": f"v{i}"}, headers=admin)
            assert done.status_code == 200, done.text
            single = http.get(f"{reader}/api/content/{item}")
            assert single.json()["data"]["title"] == f"v{i}", (i, single.headers)
            listed = http.get(f"{reader}/api/collections/notes/content")
            assert [d["title"] for d in listed.json()["data"]] == [f"v{i}"], i
        return sources


@pytest.mark.slow
def test_content_read_after_write_across_two_processes_without_redis(
    servers_without_redis: tuple[str, str, dict[str, str]],
):
    sources = _content_round_trips(*servers_without_redis, rounds=300)
    assert sources.get("memory", 0) == 300, sources
