"""The cache tiers: memory LRU/TTL/bytes, Redis, generations across processes, outages."""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import pytest

from sonic_cms.cache import CacheKey, CacheResult, TieredCache
from sonic_cms.cache.memory import MemoryStore
from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from tests.conftest import START_MS, _service_url
from tests.utils.redis_server import RedisProcess


def cache_settings(
    redis_url: str = "",
    prefix: str | None = None,
    database_url: str = "sqlite://",
    **more: object,
) -> Settings:
    return Settings(  # type: ignore[call-arg]
        env="test",
        database_url=database_url,
        secret_key="test-secret-key-0123456789abcdefghijklmnop",
        config_file=Path("/nonexistent.toml"),
        redis_url=redis_url,
        cache_redis_prefix=prefix or f"t{uuid.uuid4().hex[:10]}:",
        **more,
    )


# -- memory tier ---------------------------------------------------------------------------


def test_memory_evicts_least_recently_used_beyond_max_entries():
    store = MemoryStore(FrozenClock(START_MS), max_entries=2, max_bytes=10_000)
    store.set_now("content:a:1:g", b"a", 60)
    store.set_now("content:b:1:g", b"b", 60)
    assert store.get_now("content:a:1:g") == b"a"  # a is now the most recent
    store.set_now("content:c:1:g", b"c", 60)
    assert store.get_now("content:b:1:g") is None
    assert store.get_now("content:a:1:g") == b"a"
    assert store.stats.evictions == 1
    assert store.stats.by_namespace["content"]["evictions"] == 1


def test_memory_keeps_within_its_byte_budget():
    store = MemoryStore(FrozenClock(START_MS), max_entries=100, max_bytes=1024)
    for i in range(10):
        store.set_now(f"api:x:{i}:g", b"x" * 300, 60)
    size = anyio.run(store.size)
    assert size["bytes"] <= 1024 and size["entries"] == 3
    store.set_now("api:big:1:g", b"y" * 2000, 60)  # larger than the whole budget: not kept
    assert store.get_now("api:big:1:g") is None


def test_memory_entries_expire_with_the_clock():
    clock = FrozenClock(START_MS)
    store = MemoryStore(clock, max_entries=10, max_bytes=10_000)
    store.set_now("user:u:1:g", b"v", ttl_seconds=900)
    clock.advance(899_999)
    assert store.get_now("user:u:1:g") == b"v"
    clock.advance(1)
    assert store.get_now("user:u:1:g") is None
    assert store.stats.hits == 1 and store.stats.misses == 1


def test_keys_are_namespace_type_identifier_version():
    assert CacheKey("content", "item", "abc").render("g1") == "content:item:abc:g1"
    with pytest.raises(ValueError, match="namespace"):
        CacheKey("nope", "item", "abc")


def test_default_ttls_are_sonicjs_values():
    cache = TieredCache(cache_settings(), FrozenClock(START_MS))
    assert {
        ns: cache.ttl(ns)
        for ns in ("content", "user", "config", "media", "api", "session", "plugin", "collection")
    } == {
        "content": 3600,
        "user": 900,
        "config": 7200,
        "media": 3600,
        "api": 300,
        "session": 1800,
        "plugin": 3600,
        "collection": 7200,
    }


# -- tiered, on every backend --------------------------------------------------------------


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def backend_url(request: pytest.FixtureRequest) -> str:
    if request.param == "memory":
        return ""
    return _service_url("SONIC_TEST_REDIS_URL", "Redis")


class Source:
    """The "database": a value and a count of loads."""

    def __init__(self) -> None:
        self.value = "v1"
        self.loads = 0

    async def load(self) -> bytes:
        self.loads += 1
        return self.value.encode()


@pytest.fixture
async def pair(backend_url: str) -> AsyncIterator[tuple[TieredCache, TieredCache]]:
    """Two caches as two processes would have them: own memory, shared Redis (if any)."""
    async for caches in _pair(backend_url):
        yield caches


@pytest.fixture
async def redis_pair() -> AsyncIterator[tuple[TieredCache, TieredCache]]:
    """Two caches sharing the test Redis."""
    async for caches in _pair(_service_url("SONIC_TEST_REDIS_URL", "Redis")):
        yield caches


async def _pair(backend_url: str) -> AsyncIterator[tuple[TieredCache, TieredCache]]:
    prefix = f"t{uuid.uuid4().hex[:10]}:"
    clock = FrozenClock(START_MS)
    # Both "processes" serve the same SQLite file, so they share its generations file.
    url = f"sqlite:///{tempfile.mkdtemp(prefix='sonic-cache-')}/sonic.db"
    a = TieredCache(cache_settings(backend_url, prefix, url), clock)
    b = TieredCache(cache_settings(backend_url, prefix, url), clock)
    yield a, b
    await a.clear()
    await a.close()
    await b.close()


KEY = CacheKey("content", "list", "page-1")


@pytest.mark.anyio
async def test_miss_then_memory_hit(pair: tuple[TieredCache, TieredCache]):
    a, _ = pair
    source = Source()
    first = await a.get_or_load(KEY, source.load)
    second = await a.get_or_load(KEY, source.load)
    assert (first.source, second.source) == ("database", "memory")
    assert second.value == b"v1" and source.loads == 1
    stats = await a.stats("content")
    assert stats["memory"]["hits"] == 1 and stats["database"]["loads"] == 1  # type: ignore[index]


@pytest.mark.redis
@pytest.mark.anyio
async def test_the_second_process_reads_from_redis(
    redis_pair: tuple[TieredCache, TieredCache],
):
    a, b = redis_pair
    source = Source()
    await a.get_or_load(KEY, source.load)
    got = await b.get_or_load(KEY, source.load)
    assert got.source == "redis" and source.loads == 1


@pytest.mark.anyio
async def test_invalidate_makes_the_next_read_load(pair: tuple[TieredCache, TieredCache]):
    a, _ = pair
    source = Source()
    await a.get_or_load(KEY, source.load)
    source.value = "v2"
    await a.invalidate("content")
    got = await a.get_or_load(KEY, source.load)
    assert (got.source, got.value) == ("database", b"v2")
    other = await a.get_or_load(CacheKey("user", "x", "1"), source.load)
    await a.invalidate("content")
    assert (await a.get_or_load(CacheKey("user", "x", "1"), source.load)).source == "memory"
    assert other.source == "database"


@pytest.mark.anyio
async def test_invalidate_sync_from_a_worker_thread(pair: tuple[TieredCache, TieredCache]):
    a, b = pair
    source = Source()
    await b.get_or_load(KEY, source.load)
    source.value = "v2"
    await anyio.to_thread.run_sync(a.invalidate_sync, "content")
    # With Redis through the shared generation, without it through the generations file.
    assert (await b.get_or_load(KEY, source.load)).source == "database"


@pytest.mark.redis
@pytest.mark.anyio
async def test_read_after_write_across_processes_never_stale(
    redis_pair: tuple[TieredCache, TieredCache],
):
    a, b = redis_pair
    source = Source()
    for i in range(300):
        writer, reader = (a, b) if i % 2 else (b, a)
        await reader.get_or_load(KEY, source.load)  # warm the reader's memory
        source.value = f"v{i}"
        await writer.invalidate("content")
        got = await reader.get_or_load(KEY, source.load)
        assert got.value == f"v{i}".encode(), (i, got)


@pytest.mark.anyio
async def test_clear_and_invalidate_pattern(pair: tuple[TieredCache, TieredCache]):
    a, _ = pair
    source = Source()
    await a.get_or_load(KEY, source.load)
    await a.get_or_load(CacheKey("media", "file", "1"), source.load)
    result = await a.invalidate_pattern("content:list:*")
    assert result["memory"] == 1 and result["namespaces"] == ["content"]
    assert (await a.get_or_load(KEY, source.load)).source == "database"
    assert (await a.get_or_load(CacheKey("media", "file", "1"), source.load)).source == "memory"
    cleared = await a.clear()
    assert cleared["memory"] == 2
    assert (await a.get_or_load(CacheKey("media", "file", "1"), source.load)).source == "database"


@pytest.mark.anyio
async def test_disabled_cache_always_loads():
    cache = TieredCache(cache_settings(cache_enabled=False), FrozenClock(START_MS))
    source = Source()
    for _ in range(3):
        assert (await cache.get_or_load(KEY, source.load)).source == "database"
    assert source.loads == 3


# -- Redis outages, with a redis-server of our own -----------------------------------------


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.mark.redis
@pytest.mark.anyio
async def test_redis_down_falls_back_warns_once_and_is_never_stale_after_it_returns(
    own_redis: RedisProcess, caplog: pytest.LogCaptureFixture
):
    settings = cache_settings(own_redis.url, "outage:", cache_redis_retry_seconds=0.2)
    clock = FrozenClock(START_MS)
    a, b = TieredCache(settings, clock), TieredCache(settings, clock)
    source = Source()
    try:
        assert (await a.get_or_load(KEY, source.load)).source == "database"
        assert (await b.get_or_load(KEY, source.load)).source == "redis"
        assert (await b.get_or_load(KEY, source.load)).source == "memory"

        own_redis.stop()
        with caplog.at_level(logging.WARNING, logger="sonic_cms.cache"):
            source.value = "v2"
            await a.invalidate("content")  # cannot reach Redis: degraded, local only
            for _ in range(5):
                assert (await a.get_or_load(KEY, source.load)).value == b"v2"
                assert (await b.get_or_load(KEY, source.load)).value == b"v2"
                await anyio.sleep(0.05)
        unreachable = [r for r in caplog.records if "unreachable" in r.getMessage()]
        assert len(unreachable) == 2  # once per process, not once per read
        stats = await a.stats()
        assert stats["redis"]["connected"] is False  # type: ignore[index]

        source.value = "v3"
        await a.invalidate("content")  # still down
        own_redis.start()
        await anyio.sleep(0.3)  # past the retry pause
        for cache in (b, a, b):
            got = await cache.get_or_load(KEY, source.load)
            assert got.value == b"v3", got
        assert (await a.stats())["redis"]["connected"] is True  # type: ignore[index]
        source.value = "v4"
        await a.invalidate("content")
        assert (await b.get_or_load(KEY, source.load)).value == b"v4"
    finally:
        await a.close()
        await b.close()


@pytest.mark.redis
@pytest.mark.anyio
async def test_redis_unreachable_from_the_start_still_serves(tmp_path: Path):
    server = RedisProcess(tmp_path)  # never started: nothing listens on its port
    settings = cache_settings(server.url, "never:", cache_redis_retry_seconds=5)
    cache = TieredCache(settings, FrozenClock(START_MS))
    source = Source()
    try:
        assert (await cache.get_or_load(KEY, source.load)).source == "database"
        assert (await cache.get_or_load(KEY, source.load)).source == "memory"
    finally:
        await cache.close()


@pytest.mark.redis
@pytest.mark.anyio
async def test_heal_announces_missed_writes_without_waiting_for_traffic(
    own_redis: RedisProcess,
):
    settings = cache_settings(own_redis.url, "heal:", cache_redis_retry_seconds=0.2)
    clock = FrozenClock(START_MS)
    a, b = TieredCache(settings, clock), TieredCache(settings, clock)
    source = Source()
    try:
        await b.get_or_load(KEY, source.load)
        assert (await b.get_or_load(KEY, source.load)).source == "memory"
        assert a.redis is not None
        # Redis stops answering but keeps its data: a partition, not a restart. The pause
        # outlasts a slow machine's scheduling delays (at load 14, 800 ms ended before A
        # wrote), and the wait below is measured from the pause, not from A's timeout.
        paused_at = time.monotonic()
        a.redis.sync_client.execute_command("CLIENT", "PAUSE", "3000", "ALL")
        source.value = "v2"
        await a.invalidate("content")  # times out: A cannot announce the write
        assert a.redis.was_down
        await anyio.sleep(max(0.0, paused_at + 3.2 - time.monotonic()))  # the pause ends
        assert await a.heal() is True  # what the app's healer task does on its own
        assert (await b.get_or_load(KEY, source.load)).value == b"v2"
    finally:
        await a.close()
        await b.close()


@pytest.mark.anyio
async def test_concurrent_misses_of_one_key_load_once(pair: tuple[TieredCache, TieredCache]):
    """A cold process meeting many requests for one page queries the database once."""
    a, _ = pair
    calls = 0

    async def slow_load() -> bytes:
        nonlocal calls
        calls += 1
        await anyio.sleep(0.05)
        return b"page"

    results: list[bytes] = []

    async def read() -> None:
        results.append((await a.get_or_load(KEY, slow_load)).value)

    async with anyio.create_task_group() as group:
        for _ in range(10):
            group.start_soon(read)
    assert results == [b"page"] * 10 and calls == 1


@pytest.mark.redis
@pytest.mark.anyio
async def test_a_miss_whose_redis_answer_comes_after_another_load_does_not_load_again(
    redis_pair: tuple[TieredCache, TieredCache],
):
    """Request "late" misses memory and asks Redis; before Redis's (empty) answer arrives,
    request "first" loads the key and stops being pending. "late" must find it in memory
    instead of querying the database a second time (a race the concurrent test hit at random)."""
    a, _ = redis_pair
    late_asked, first_done = asyncio.Event(), asyncio.Event()
    real_get = a._redis_get

    async def held_get(full: str) -> bytes | None:
        value = await real_get(full)
        task = asyncio.current_task()
        if task is not None and task.get_name() == "late":
            late_asked.set()
            await first_done.wait()
        return value

    a._redis_get = held_get  # type: ignore[method-assign]
    source = Source()

    async def first() -> CacheResult:
        result = await a.get_or_load(KEY, source.load)
        first_done.set()
        return result

    late = asyncio.create_task(a.get_or_load(KEY, source.load), name="late")
    await late_asked.wait()
    early = await asyncio.create_task(first(), name="first")
    held = await late
    assert source.loads == 1
    assert sorted([early.source, held.source]) == ["database", "memory"]
    assert held.value == early.value == b"v1"


@pytest.mark.anyio
async def test_a_failed_load_fails_its_waiters_and_the_next_read_loads_again(
    pair: tuple[TieredCache, TieredCache],
):
    a, _ = pair
    calls = 0

    async def failing() -> bytes:
        nonlocal calls
        calls += 1
        await anyio.sleep(0.02)
        raise LookupError("gone")

    outcomes: list[str] = []

    async def read() -> None:
        try:
            await a.get_or_load(KEY, failing)
        except LookupError as exc:
            outcomes.append(str(exc))

    async with anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(read)
    assert outcomes == ["gone"] * 4 and calls == 1
    source = Source()
    assert (await a.get_or_load(KEY, source.load)).source == "database" and source.loads == 1
