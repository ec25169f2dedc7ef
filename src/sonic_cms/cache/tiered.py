"""Memory -> Redis -> loader, as the seed's ``CachedQuery`` reads, made safe across processes.

Every read first learns its namespace's generation (from Redis when configured, one round
trip), so a write on process A that moved the generation before its response returned is seen
by a read on process B that starts afterwards: B builds a key no tier has yet and loads from
the database. Redis down: generations become per-process, memory entries live at most
``cache_degraded_ttl_seconds``, a warning is logged once; when Redis answers again the process
drops its memory and moves every generation, so nothing cached before or during the outage is
served afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Literal

from sonic_cms.cache.base import NAMESPACES, CacheKey, Loaded, TierStats
from sonic_cms.cache.generations import open_generations
from sonic_cms.cache.invalidation import namespaces_for_tables
from sonic_cms.cache.memory import MemoryStore
from sonic_cms.cache.redis import RedisStore, RedisUnavailable
from sonic_cms.cache.shared_stats import (
    CounterDeltas,
    fresh_sizes,
    process_id,
    size_record,
    unflatten,
)
from sonic_cms.clock import Clock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from sonic_cms.metrics.recorders import cache_recorder

logger = logging.getLogger("sonic_cms.cache")

Source = Literal["memory", "redis", "database"]


@dataclass(frozen=True)
class CacheResult:
    """A value and where it came from (for X-Cache-Status / X-Cache-Source)."""

    value: bytes
    source: Source

    @property
    def hit(self) -> bool:
        """Whether a cache tier answered."""
        return self.source != "database"


class TieredCache:
    """The application's cache; one per process, built by the app factory."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.enabled = settings.cache_enabled
        self.memory = MemoryStore(
            clock, settings.cache_memory_max_entries, settings.cache_memory_max_bytes
        )
        self.redis: RedisStore | None = None
        if settings.redis_url:
            self.redis = RedisStore(
                settings.redis_url,
                settings.cache_redis_timeout_ms,
                settings.cache_redis_retry_seconds,
                settings.cache_redis_prefix,
            )
        self.database = TierStats()
        #: Generations without Redis (or while it is down): shared by this host's processes
        #: through a file, or private to this process for an in-memory database.
        self.local = open_generations(settings.database_url, settings.cache_generations_file)
        self._degraded = False
        #: Tables the known plugins declared: their writes move only the ``plugin`` namespace.
        self.plugin_tables: frozenset[str] = frozenset()
        #: Loads in progress in this process, by full key (see :meth:`_load_once`).
        self._loading: dict[str, asyncio.Future[bytes]] = {}
        #: Counters not yet added to Redis's sums (cache/shared_stats.py).
        self._deltas = CounterDeltas()
        self.process = process_id()
        if settings.metrics_enabled:
            for tier, stats in self._local_tiers().items():
                stats.observer = cache_recorder(tier)

    def ttl(self, namespace: str) -> int:
        """The namespace's TTL setting (``cache_ttl_<namespace>``), in seconds."""
        return int(getattr(self.settings, f"cache_ttl_{namespace}"))

    # -- generations ----------------------------------------------------------------------
    async def _generation(self, namespace: str) -> tuple[str, bool]:
        """(token, shared): shared is False when Redis is absent or down."""
        if self.redis is None:
            return self.local.get(namespace), self.local.shared
        if not self.redis.available:
            self._enter_degraded()
            return self.local.get(namespace), False
        try:
            if self.redis.was_down:
                await self._recover()
            return await self.redis.generation(namespace), True
        except RedisUnavailable:
            self._enter_degraded()
            return self.local.get(namespace), False

    def _enter_degraded(self) -> None:
        if not self._degraded:
            self.memory.clear_now()
            self.local.bump(NAMESPACES)
        self._degraded = True

    async def _recover(self) -> None:
        """Redis is back: forget memory, move every generation (writes may have been missed)."""
        assert self.redis is not None
        await self.redis.bump(list(NAMESPACES))
        self.memory.clear_now()
        self.local.bump(NAMESPACES)
        self.redis.was_down = False
        self._degraded = False
        logger.warning("redis cache tier reachable again; generations moved, memory dropped")

    async def heal(self) -> bool:
        """After an outage, move the generations as soon as Redis answers, not at the next
        read: a write this process could not announce must not wait for traffic. The app calls
        it every ``cache_redis_retry_seconds``. Returns whether Redis is in use now."""
        if self.redis is None or not self.redis.was_down:
            return self.redis is not None
        if not self.redis.available:
            return False
        try:
            await self._recover()
        except RedisUnavailable:
            self._enter_degraded()
            return False
        return True

    # -- reads ----------------------------------------------------------------------------
    async def get_or_load(
        self,
        key: CacheKey,
        loader: Callable[[], Awaitable[bytes | Loaded]],
        ttl: int | None = None,
    ) -> CacheResult:
        """The cached bytes for ``key``, loading and storing them on a miss.

        A loader returning :class:`Loaded` shortens the lifetime of what it loaded.
        """
        if not self.enabled:
            self.database.count("hits", key.namespace)
            return CacheResult(_value(await loader()), "database")
        ttl = ttl or self.ttl(key.namespace)
        version, shared = await self._generation(key.namespace)
        full = key.render(version)
        memory_ttl = (
            ttl
            if shared or self.redis is None
            else min(ttl, self.settings.cache_degraded_ttl_seconds)
        )
        cached = await self._from_tiers(full, shared, memory_ttl)
        if cached is not None:
            return cached
        value = await self._load_once(key.namespace, full, loader, ttl, memory_ttl, shared)
        return CacheResult(value, "database")

    async def _from_tiers(self, full: str, shared: bool, memory_ttl: int) -> CacheResult | None:
        """``full`` from memory, else from Redis (kept in memory for ``memory_ttl``)."""
        value = self.memory.get_now(full)
        if value is not None:
            return CacheResult(value, "memory")
        if shared and self.redis is not None:
            value = await self._redis_get(full)
            if value is not None:
                self.memory.set_now(full, value, memory_ttl)
                return CacheResult(value, "redis")
            # While Redis answered, another request of this process may have loaded the key
            # and stopped being pending; without this second look we would load it again.
            value = self.memory.get_now(full, count_miss=False)
            if value is not None:
                return CacheResult(value, "memory")
        return None

    async def _load_once(
        self,
        namespace: str,
        full: str,
        loader: Callable[[], Awaitable[bytes | Loaded]],
        ttl: int,
        memory_ttl: int,
        shared: bool,
    ) -> bytes:
        """Load ``full`` and store it; concurrent misses of the same key in this process wait
        for the one load instead of each querying the database. Without this, a cold worker
        meeting 32 concurrent requests for one page ran the query 32 times (p99 over 1 s on
        PostgreSQL in bench/content_load.py)."""
        loop = asyncio.get_running_loop()
        pending = self._loading.get(full)
        if pending is not None and pending.get_loop() is loop:
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not pending.cancelled() or (task is not None and task.cancelling()):
                    raise
                # the request that was loading went away: load for ourselves
        future: asyncio.Future[bytes] = loop.create_future()
        self._loading[full] = future
        try:
            loaded = await loader()
            value = _value(loaded)
            if isinstance(loaded, Loaded):
                ttl, memory_ttl = min(ttl, loaded.ttl_seconds), min(memory_ttl, loaded.ttl_seconds)
            if ttl > 0:
                self.memory.set_now(full, value, memory_ttl)
                if shared and self.redis is not None:
                    await self._redis_set(full, value, ttl)
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waited
            raise
        except BaseException:
            future.cancel()
            raise
        else:
            self.database.count("hits", namespace)
            future.set_result(value)
            return value
        finally:
            if self._loading.get(full) is future:
                del self._loading[full]

    async def peek(self, key: CacheKey) -> CacheResult | None:
        """The cached bytes for ``key`` from memory or Redis, or None (never loads)."""
        if not self.enabled:
            return None
        version, shared = await self._generation(key.namespace)
        return await self._from_tiers(key.render(version), shared, self.ttl(key.namespace))

    async def _redis_get(self, full: str) -> bytes | None:
        assert self.redis is not None
        try:
            return await self.redis.get(full)
        except RedisUnavailable:
            self._enter_degraded()
            return None

    async def _redis_set(self, full: str, value: bytes, ttl: int) -> None:
        assert self.redis is not None
        try:
            await self.redis.set(full, value, ttl)
        except RedisUnavailable:
            self._enter_degraded()

    # -- invalidation ---------------------------------------------------------------------
    async def invalidate(self, *namespaces: str) -> None:
        """Make every cached read of ``namespaces`` unreachable, in every process.

        Call it after the write commits and before its response returns.
        """
        names = _checked(namespaces)
        self.local.bump(names)
        if self.redis is not None:
            try:
                await self.redis.bump(names)
            except RedisUnavailable:
                self._enter_degraded()

    def invalidate_sync(self, *namespaces: str) -> None:
        """:meth:`invalidate` for synchronous callers (services in worker threads, the CLI)."""
        names = _checked(namespaces)
        self.local.bump(names)
        if self.redis is not None:
            try:
                self.redis.bump_sync(names)
            except RedisUnavailable:
                self._enter_degraded()

    def attach(self, db: Database) -> None:
        """Follow ``db``'s commits: invalidate what they touched."""
        db.commit_listeners.append(self.invalidate_tables)

    def detach(self, db: Database) -> None:
        """Undo :meth:`attach` (the cache is closing; the database may live on)."""
        with contextlib.suppress(ValueError):
            db.commit_listeners.remove(self.invalidate_tables)

    def invalidate_tables(self, tables: frozenset[str]) -> None:
        """The database's commit listener: drop what a committed write may have changed."""
        names = namespaces_for_tables(tables, self.plugin_tables)
        if names:
            self.invalidate_sync(*names)

    async def invalidate_pattern(self, pattern: str) -> dict[str, int | list[str]]:
        """Drop keys matching a glob; moves the generation of every namespace it can touch."""
        head = pattern.split(":", 1)[0]
        names = [ns for ns in NAMESPACES if _glob_may_match(head, ns)]
        removed_memory = self.memory.delete_matching_now(pattern)
        removed_redis = 0
        if self.redis is not None:
            try:
                removed_redis = await self.redis.delete_matching(pattern)
            except RedisUnavailable:
                self._enter_degraded()
        if names:
            await self.invalidate(*names)
        return {"memory": removed_memory, "redis": removed_redis, "namespaces": names}

    async def clear(self, namespace: str | None = None) -> dict[str, int | list[str]]:
        """Drop a namespace (or everything) from every tier."""
        return await self.invalidate_pattern(f"{namespace}:*" if namespace else "*")

    # -- stats ----------------------------------------------------------------------------
    def _local_tiers(self) -> dict[str, TierStats]:
        tiers = {"memory": self.memory.stats, "database": self.database}
        if self.redis is not None:
            tiers["redis"] = self.redis.stats
        return tiers

    async def flush_stats(self) -> bool:
        """Add what this process counted since its last flush to Redis's sums (and record its
        memory size); False without Redis or when it does not answer (the counts wait for the
        next flush). Called every ``cache_stats_flush_seconds``, by :meth:`stats` and at close.
        """
        if self.redis is None or not self.redis.available:
            return False
        async with self._deltas.lock:
            now, deltas = self._deltas.pending(self._local_tiers())
            record = size_record(await self.memory.size(), time.time())
            try:
                await self.redis.add_counters(deltas, self.process, record)
            except RedisUnavailable:
                return False
            self._deltas.done(now)
        return True

    async def _summed(self) -> tuple[dict[str, TierStats], dict[str, int], int] | None:
        """Every process's counters and memory size from Redis, or None when it is not
        configured or not answering (the caller then shows this process's own)."""
        if self.redis is None or not await self.flush_stats():
            return None
        try:
            counters, sizes = await self.redis.read_counters()
            stale_after = 3 * self.settings.cache_stats_flush_seconds
            size, processes, stale = fresh_sizes(sizes, time.time(), stale_after)
            await self.redis.forget_processes(stale)
        except RedisUnavailable:
            return None
        return unflatten(counters), size, processes

    async def stats(self, namespace: str | None = None) -> dict[str, object]:
        """Counters per tier (of one namespace when given), with each namespace's counters
        when none is given. With Redis they are summed over every process (``scope``
        ``cluster``, ``processes`` counting those that reported lately); without it, or while
        it does not answer, they are this process's (``scope`` ``process``)."""
        summed = await self._summed()
        if summed is None:
            tiers, size, processes, scope = (
                self._local_tiers(),
                await self.memory.size(),
                1,
                "process",
            )
        else:
            tiers, size, processes = summed
            scope = "cluster"
        redis: dict[str, object] = {"configured": self.redis is not None}
        if self.redis is not None:
            redis.update(tiers["redis"].as_dict(namespace))
            redis["connected"] = self.redis.available and not self.redis.was_down
            if summed is not None:
                with contextlib.suppress(RedisUnavailable):
                    redis.update(await self.redis.server_stats())
        result: dict[str, object] = {
            "enabled": self.enabled,
            "namespace": namespace,
            "ttl_seconds": self.ttl(namespace) if namespace else None,
            "scope": scope,
            "processes": processes,
            "memory": {**tiers["memory"].as_dict(namespace), **size},
            "redis": redis,
            "database": {"loads": tiers["database"].as_dict(namespace)["hits"]},
        }
        if namespace is None:
            result["namespaces"] = {
                ns: {
                    "ttl_seconds": self.ttl(ns),
                    "memory": tiers["memory"].as_dict(ns),
                    "redis": tiers["redis"].as_dict(ns) if "redis" in tiers else None,
                    "database": {"loads": tiers["database"].as_dict(ns)["hits"]},
                }
                for ns in NAMESPACES
            }
        return result

    async def close(self) -> None:
        """Add the last counts to Redis's sums, close the Redis clients and the generations
        file."""
        if self.redis is not None:
            await self.flush_stats()
            await self.redis.close()
        self.local.close()

    def close_sync(self) -> None:
        """:meth:`close` for synchronous owners (the CLI never opened the async client)."""
        if self.redis is not None:
            self.redis.sync_client.close()
        self.local.close()


def _value(loaded: bytes | Loaded) -> bytes:
    return loaded.value if isinstance(loaded, Loaded) else loaded


def _checked(namespaces: tuple[str, ...]) -> list[str]:
    for ns in namespaces:
        if ns not in NAMESPACES:
            raise ValueError(f"unknown cache namespace {ns!r}")
    return list(namespaces) or list(NAMESPACES)


def _glob_may_match(head: str, namespace: str) -> bool:
    return fnmatchcase(namespace, head)
