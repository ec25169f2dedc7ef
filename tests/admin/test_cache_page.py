"""The cache page (/admin/cache) over the app (TestClient), on both engines, with and without a
real Redis; and the counters summed across two real server processes sharing one Redis."""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import redis as redis_sync
from fastapi.testclient import TestClient

from sonic_cms.api.app import create_app
from sonic_cms.clock import FrozenClock
from sonic_cms.db.engine import Database
from tests.admin.test_item_panel import person, signed_in
from tests.conftest import make_settings
from tests.utils.auth import TEST_PASSWORD, create_random_user
from tests.utils.live_server import live_server
from tests.utils.redis_server import RedisProcess

PATH = "/admin/cache"


@contextmanager
def app_client(
    db_url: str, db: Database, clock: FrozenClock, **settings: object
) -> Iterator[TestClient]:
    app = create_app(
        make_settings(db_url, auth_cookie_secure=False, **settings), db=db, clock=clock
    )
    with TestClient(app, headers={"Origin": "http://testserver"}) as client:
        yield client


def row(html: str, namespace: str) -> list[str]:
    """The numbers of a namespace's row: TTL, memory (4), Redis (4 or none), database."""
    found = re.search(rf'data-cache-namespace="{namespace}">(.*?)</tr>', html, re.S)
    assert found, html
    return re.findall(r'<td class="num">([^<]*)</td>', found.group(1))


def test_without_redis_the_page_shows_this_processs_counters(
    db_url: str, db: Database, clock: FrozenClock
):
    with app_client(db_url, db, clock) as client:
        for _ in range(3):  # cached reads are anonymous ones
            assert client.get("/api/collections").status_code == 200
        signed_in(client, person(db, clock, "admin"))
        html = client.get(PATH).text
        assert 'data-cache-scope="process"' in html and "This process" in html
        assert "Redis is not configured" in html
        _ttl, hits, misses, evictions, rate, loads = row(html, "collection")
        assert (hits, misses, evictions, rate, loads) == ("2", "1", "0", "67%", "1")
        assert "not configured" in re.search(
            r'data-cache-namespace="collection">(.*?)</tr>', html, re.S
        ).group(1)  # type: ignore[union-attr]
        api = client.get("/admin/cache/stats").json()["data"]
        assert api["scope"] == "process" and api["processes"] == 1
        assert api["namespaces"]["collection"]["memory"]["hits"] == 2 + 0  # the page's reads
        assert api["namespaces"]["collection"]["database"] == {"loads": 1}


def test_clearing_a_namespace_and_everything(db_url: str, db: Database, clock: FrozenClock):
    with app_client(db_url, db, clock) as client:
        admin = person(db, clock, "admin")

        def anonymous_read() -> str:
            client.cookies.clear()
            return str(client.get("/api/collections").headers["x-cache-status"])

        anonymous_read()
        assert anonymous_read() == "HIT"
        csrf = signed_in(client, admin)
        answer = client.post(
            PATH, data={"csrf_token": csrf, "namespace": "collection"}, follow_redirects=False
        )
        assert answer.status_code == 303
        page = client.get(answer.headers["location"]).text
        assert "Cleared the collection namespace: 1 memory entries" in page
        assert anonymous_read() == "MISS"
        assert anonymous_read() == "HIT"
        csrf = signed_in(client, admin)
        everything = client.post(PATH, data={"csrf_token": csrf}, follow_redirects=False)
        assert "Cleared the whole cache" in client.get(everything.headers["location"]).text
        assert anonymous_read() == "MISS"
        csrf = signed_in(client, admin)
        for nasty in ("nope", "content:*", "<script>", "collection\x00"):
            refused = client.post(PATH, data={"csrf_token": csrf, "namespace": nasty})
            assert refused.status_code == 404, nasty
        # a forged toast is not shown
        forged = client.get(f"{PATH}?done=cleared&ns=<b>x</b>&memory=1&redis=2").text
        assert "Cleared" not in forged


def test_roles_without_the_permission(db_url: str, db: Database, clock: FrozenClock):
    with app_client(db_url, db, clock) as client:
        csrf = signed_in(client, person(db, clock, "editor"))
        assert 'href="/admin/cache"' not in client.get("/admin").text
        assert client.get(PATH).status_code == 403
        assert client.post(PATH, data={"csrf_token": csrf}).status_code == 403
        signed_in(client, person(db, clock, "admin"))
        assert client.post(PATH, data={"namespace": "content"}).status_code == 403  # no CSRF


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("SONIC_TEST_REDIS_URL", "")
    if not url:
        pytest.skip("SONIC_TEST_REDIS_URL is not set")
    return url


def test_with_redis_the_counters_are_summed_and_labelled(
    db_url: str, db: Database, clock: FrozenClock, redis_url: str
):
    prefix = f"t{uuid.uuid4().hex[:8]}:"
    with app_client(db_url, db, clock, redis_url=redis_url, cache_redis_prefix=prefix) as client:
        for _ in range(2):
            client.get("/api/collections")
        signed_in(client, person(db, clock, "admin"))
        html = client.get(PATH).text
        assert 'data-cache-scope="cluster"' in html and "All processes" in html
        numbers = row(html, "collection")
        assert numbers[1:5] == ["1", "1", "0", "50%"]  # memory: the second read hit
        assert numbers[5:9] == ["0", "1", "0", "0%"]  # redis: the first read missed
        assert numbers[9] == "1"
    keys = redis_sync.Redis.from_url(redis_url)
    try:
        assert keys.hget(prefix + "stats", "memory|collection|hits") == b"1"
    finally:
        keys.delete(prefix + "stats", prefix + "stats:sizes")
        keys.close()


def _admin_token(url: str, email: str) -> dict[str, str]:
    answer = httpx.post(f"{url}/auth/login", json={"email": email, "password": TEST_PASSWORD})
    return {"Authorization": f"Bearer {answer.json()['token']}"}


@pytest.mark.parametrize("engine_name", ["sqlite"])
def test_two_server_processes_sum_their_counters_through_redis(
    db_url: str, db: Database, clock: FrozenClock, tmp_path: Path
):
    redis = RedisProcess(tmp_path)
    redis.start()
    try:
        admin = create_random_user(db, clock, "admin")
        shared = {"redis_url": redis.url, "cache_stats_flush_seconds": "0.5"}
        one_dir, two_dir = tmp_path / "one", tmp_path / "two"
        one_dir.mkdir(), two_dir.mkdir()
        with (
            live_server(db_url, one_dir, **shared) as one,
            live_server(db_url, two_dir, **shared) as two,
        ):
            for _ in range(3):
                assert httpx.get(f"{one.url}/api/collections").status_code == 200
            for _ in range(5):
                assert httpx.get(f"{two.url}/api/collections").status_code == 200
            headers = _admin_token(one.url, admin.email)
            # process two adds its counts within its flush interval; process one on this read
            deadline = time.monotonic() + 15
            while True:
                stats = httpx.get(f"{one.url}/admin/cache/stats", headers=headers).json()["data"]
                collection = stats["namespaces"]["collection"]
                lookups = collection["memory"]["hits"] + collection["memory"]["misses"]
                if lookups >= 8 or time.monotonic() > deadline:
                    break
                time.sleep(0.25)
            assert stats["scope"] == "cluster" and stats["processes"] == 2
            # 8 reads: each process missed its memory once (2), the rest hit (6); Redis was
            # asked twice: the first process to load found nothing, the other found its value
            assert collection["memory"]["hits"] == 6 and collection["memory"]["misses"] == 2
            assert collection["redis"]["hits"] + collection["redis"]["misses"] == 2
            assert collection["database"]["loads"] in {1, 2}
            # the other server answers the same sums
            other = httpx.get(f"{two.url}/admin/cache/stats", headers=headers).json()["data"]
            assert other["namespaces"]["collection"]["memory"] == collection["memory"]
            assert other["scope"] == "cluster" and other["processes"] == 2
    finally:
        redis.stop()
