"""The shared tier: Redis (the seed's KV namespace), plus the namespace generations.

Generations are random tokens, never counters: a Redis that restarts empty hands out new
tokens, so no key built before the restart (in Redis or in any process's memory) can be hit
again. Reads use the asyncio client; invalidations also come from services running in worker
threads and from the CLI, so they have a small synchronous client of their own.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import cast

import redis as redis_sync
import redis.asyncio as redis_async
from redis.exceptions import RedisError

from sonic_cms.cache.base import CacheStore, TierStats, namespace_of

logger = logging.getLogger("sonic_cms.cache")


class RedisUnavailable(RuntimeError):
    """Redis did not answer (or is in its retry pause after a failure)."""


def new_token() -> str:
    """A fresh generation token."""
    return uuid.uuid4().hex[:12]


class RedisStore(CacheStore):
    """Redis behind a circuit: after a failure it is skipped for ``retry_seconds``."""

    name = "redis"

    def __init__(self, url: str, timeout_ms: int, retry_seconds: float, prefix: str) -> None:
        self.url = url
        self.key_prefix = prefix + "c:"
        self.generation_prefix = prefix + "gen:"
        self.stats_key = prefix + "stats"
        self.sizes_key = prefix + "stats:sizes"
        self.retry_seconds = retry_seconds
        timeout = timeout_ms / 1000
        self.client = redis_async.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self.sync_client = redis_sync.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self.stats = TierStats()
        self.down_until = 0.0
        self.was_down = False

    # -- circuit --------------------------------------------------------------------------
    @property
    def available(self) -> bool:
        """False while in the pause after a failure."""
        return time.monotonic() >= self.down_until

    def _failed(self, exc: BaseException) -> RedisUnavailable:
        self.stats.count("errors")
        if not self.was_down:
            logger.warning("redis cache tier unreachable (%s); serving memory + database", exc)
        self.was_down = True
        self.down_until = time.monotonic() + self.retry_seconds
        return RedisUnavailable(str(exc))

    def _check(self) -> None:
        if not self.available:
            raise RedisUnavailable("redis is in its retry pause")

    async def ping(self) -> None:
        """Ask Redis itself, around the circuit (a readiness probe must not wait for the retry
        pause to end, nor open it): raises RedisUnavailable, caused by the driver's error."""
        try:
            await self.client.ping()
        except (RedisError, OSError) as exc:
            raise RedisUnavailable(str(exc)) from exc

    # -- values ---------------------------------------------------------------------------
    async def get(self, key: str) -> bytes | None:
        """The value, or None; raises RedisUnavailable when Redis fails."""
        self._check()
        try:
            value = await self.client.get(self.key_prefix + key)
        except (RedisError, OSError) as exc:
            raise self._failed(exc) from exc
        self.stats.count("hits" if value is not None else "misses", namespace_of(key))
        return cast(bytes | None, value)

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        """Store with an expiry."""
        self._check()
        try:
            await self.client.set(self.key_prefix + key, value, ex=ttl_seconds)
        except (RedisError, OSError) as exc:
            raise self._failed(exc) from exc
        self.stats.count("sets", namespace_of(key))

    async def delete(self, key: str) -> None:
        """Drop one key."""
        self._check()
        try:
            await self.client.delete(self.key_prefix + key)
        except (RedisError, OSError) as exc:
            raise self._failed(exc) from exc

    async def delete_matching(self, pattern: str) -> int:
        """SCAN + DEL, never KEYS (which blocks Redis on a large keyspace)."""
        self._check()
        count = 0
        try:
            async for key in self.client.scan_iter(match=self.key_prefix + pattern, count=500):
                count += int(await self.client.delete(key))
        except (RedisError, OSError) as exc:
            raise self._failed(exc) from exc
        return count

    async def size(self) -> dict[str, int]:
        """Keys this cache holds in Redis (a SCAN count)."""
        self._check()
        count = 0
        try:
            async for _ in self.client.scan_iter(match=self.key_prefix + "*", count=500):
                count += 1
        except (RedisError, OSError) as exc:
            raise self._failed(exc) from exc
        return {"entries": count}

    # -- generations ----------------------------------------------------------------------
    async def generation(self, namespace: str) -> str:
        """The namespace's current token, created when Redis has none (first use or restart)."""
        self._check()
        key = self.generation_prefix + namespace
        try:
            token = await self.client.get(key)
            if token is None:
                await self.client.set(key, new_token(), nx=True)
                token = await self.client.get(key)
        except (RedisError, OSError) as exc:
            raise self._failed(exc) from exc
        if token is None:
            return new_token()
        return token.decode() if isinstance(token, bytes) else str(token)

    def bump_sync(self, namespaces: list[str]) -> None:
        """Move the generations (blocking; for worker threads and the CLI)."""
        self._check()
        try:
            self.sync_client.mset({self.generation_prefix + ns: new_token() for ns in namespaces})
        except (RedisError, OSError) as exc:
            raise self._failed(exc) from exc

    async def bump(self, namespaces: list[str]) -> None:
        """Move the generations."""
        self._check()
        try:
            await self.client.mset({self.generation_prefix + ns: new_token() for ns in namespaces})
        except (RedisError, OSError) as exc:
            raise self._failed(exc) from exc

    # -- counters summed across processes (cache/shared_stats.py) -------------------------
    async def add_counters(self, deltas: dict[str, int], process: str, size: bytes) -> None:
        """Add this process's counter ``deltas`` and record its memory ``size``, in one
        pipelined round trip."""
        self._check()
        try:
            pipe = self.client.pipeline(transaction=False)
            for field, delta in deltas.items():
                pipe.hincrby(self.stats_key, field, delta)
            pipe.hset(self.sizes_key, process, size)
            await pipe.execute()
        except (RedisError, OSError) as exc:
            raise self._failed(exc) from exc

    async def read_counters(self) -> tuple[dict[str, int], dict[bytes, bytes]]:
        """(every process's summed counters, the processes' memory sizes)."""
        self._check()
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.hgetall(self.stats_key)
            pipe.hgetall(self.sizes_key)
            counters, sizes = await pipe.execute()
        except (RedisError, OSError) as exc:
            raise self._failed(exc) from exc
        summed = {k.decode(): int(v) for k, v in counters.items()}
        return summed, sizes

    async def forget_processes(self, processes: list[bytes]) -> None:
        """Drop the sizes of processes that stopped reporting."""
        if not processes:
            return
        self._check()
        try:
            await self.client.hdel(self.sizes_key, *processes)
        except (RedisError, OSError) as exc:
            raise self._failed(exc) from exc

    async def server_stats(self) -> dict[str, int]:
        """Redis's own eviction and expiry counts (the whole server, every client)."""
        self._check()
        try:
            info = await self.client.info("stats")
        except (RedisError, OSError) as exc:
            raise self._failed(exc) from exc
        return {
            "server_evicted_keys": int(info.get("evicted_keys", 0)),
            "server_expired_keys": int(info.get("expired_keys", 0)),
        }

    async def close(self) -> None:
        """Close both clients."""
        await self.client.aclose()
        self.sync_client.close()
