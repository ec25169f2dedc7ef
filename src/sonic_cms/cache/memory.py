"""The per-process tier: an LRU with per-entry TTL and a byte budget.

Values are bytes (serialized responses), so the budget counts what is really held. Time comes
from the injectable clock, so expiry is testable without sleeping.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from sonic_cms.cache.base import CacheStore, TierStats, matches, namespace_of
from sonic_cms.clock import Clock


@dataclass
class _Entry:
    value: bytes
    expires_ms: int


class MemoryStore(CacheStore):
    """LRU bounded by entry count and bytes; thread-safe (services call it from workers)."""

    name = "memory"

    def __init__(self, clock: Clock, max_entries: int, max_bytes: int) -> None:
        self.clock = clock
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.stats = TierStats()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get_now(self, key: str, *, count_miss: bool = True) -> bytes | None:
        """Synchronous lookup, counted as a hit or miss.

        ``count_miss=False`` is for a second look within one request (after an await, another
        request may have filled the key): its miss was already counted by the first look.
        """
        namespace = namespace_of(key)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.expires_ms <= self.clock.now_ms():
                if entry is not None:
                    self._drop(key)
                if count_miss:
                    self.stats.count("misses", namespace)
                return None
            self._entries.move_to_end(key)
            self.stats.count("hits", namespace)
            return entry.value

    def set_now(self, key: str, value: bytes, ttl_seconds: int) -> None:
        """Synchronous store; a value larger than the whole budget is not cached."""
        if len(value) > self.max_bytes:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = _Entry(value, self.clock.now_ms() + ttl_seconds * 1000)
            self._bytes += len(value)
            self.stats.count("sets", namespace_of(key))
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                oldest = next(iter(self._entries))
                self._drop(oldest)
                self.stats.count("evictions", namespace_of(oldest))

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key)
        self._bytes -= len(entry.value)

    async def get(self, key: str) -> bytes | None:
        """The value, or None when absent or expired."""
        return self.get_now(key)

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        """Store ``value`` for ``ttl_seconds``."""
        self.set_now(key, value, ttl_seconds)

    async def delete(self, key: str) -> None:
        """Drop one key."""
        with self._lock:
            if key in self._entries:
                self._drop(key)

    def delete_matching_now(self, pattern: str) -> int:
        """Synchronous pattern delete."""
        with self._lock:
            doomed = [key for key in self._entries if matches(key, pattern)]
            for key in doomed:
                self._drop(key)
        return len(doomed)

    async def delete_matching(self, pattern: str) -> int:
        """Drop every key matching the glob ``pattern``."""
        return self.delete_matching_now(pattern)

    def clear_now(self) -> None:
        """Drop everything (after a Redis outage, memory may hold what others changed)."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    async def size(self) -> dict[str, int]:
        """Entries and bytes held."""
        with self._lock:
            return {"entries": len(self._entries), "bytes": self._bytes}
