"""The store interface every tier implements, the key format and the per-tier counters.

Keys follow SonicJS's ``namespace:type:identifier:version``. The version part is the
namespace's *generation*: invalidating a namespace moves its generation, so every key built
before the move becomes unreachable in every tier and every process at once.
"""

from __future__ import annotations

import fnmatch
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field

#: SonicJS's cache namespaces; each has a default TTL setting ``cache_ttl_<namespace>``.
NAMESPACES = ("content", "user", "config", "media", "api", "session", "plugin", "collection")


@dataclass(frozen=True)
class CacheKey:
    """``namespace:type:identifier`` before its generation is known."""

    namespace: str
    type: str
    identifier: str

    def __post_init__(self) -> None:
        if self.namespace not in NAMESPACES:
            raise ValueError(f"unknown cache namespace {self.namespace!r}")
        for part in (self.type, self.identifier):
            if not part:
                raise ValueError("cache key parts must not be empty")

    def render(self, version: str) -> str:
        """The full key, ``namespace:type:identifier:version``."""
        return f"{self.namespace}:{self.type}:{self.identifier}:{version}"


@dataclass(frozen=True)
class Loaded:
    """A loader's value with a shorter lifetime than its namespace's TTL.

    ``ttl_seconds`` 0 means "answer with it, but do not keep it" (the data changes within a
    second, e.g. an item's embargo ends).
    """

    value: bytes
    ttl_seconds: int


@dataclass
class TierStats:
    """Counters of one tier, overall and per namespace."""

    hits: int = 0
    misses: int = 0
    sets: int = 0
    evictions: int = 0
    errors: int = 0
    by_namespace: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Told of every count (``what``, ``namespace``): the Prometheus counters, when metrics are
    #: on (sonic_cms.metrics.recorders.cache_recorder).
    observer: Callable[[str, str | None], None] | None = None

    def count(self, what: str, namespace: str | None = None) -> None:
        """Add one to counter ``what`` overall and under ``namespace``."""
        setattr(self, what, getattr(self, what) + 1)
        if namespace is not None:
            counters = self.by_namespace.setdefault(namespace, {})
            counters[what] = counters.get(what, 0) + 1
        if self.observer is not None:
            self.observer(what, namespace)

    def as_dict(self, namespace: str | None = None) -> dict[str, int | float]:
        """The counters (of one namespace when given) with the hit rate."""
        if namespace is None:
            counts = {
                "hits": self.hits,
                "misses": self.misses,
                "sets": self.sets,
                "evictions": self.evictions,
                "errors": self.errors,
            }
        else:
            got = self.by_namespace.get(namespace, {})
            counts = {k: got.get(k, 0) for k in ("hits", "misses", "sets", "evictions", "errors")}
        lookups = counts["hits"] + counts["misses"]
        return {**counts, "hit_rate": round(counts["hits"] / lookups, 4) if lookups else 0.0}

    def reset(self) -> None:
        """Zero every counter."""
        self.hits = self.misses = self.sets = self.evictions = self.errors = 0
        self.by_namespace.clear()


def namespace_of(key: str) -> str:
    """The namespace part of a rendered key."""
    return key.split(":", 1)[0]


def matches(key: str, pattern: str) -> bool:
    """Glob match (``content:item:*``), the pattern language Redis SCAN uses too."""
    return fnmatch.fnmatchcase(key, pattern)


class CacheStore(ABC):
    """One tier: bytes in, bytes out, with a TTL in seconds."""

    name: str
    stats: TierStats

    @abstractmethod
    async def get(self, key: str) -> bytes | None:
        """The value, or None when absent or expired."""

    @abstractmethod
    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        """Store ``value`` for ``ttl_seconds``."""

    @abstractmethod
    async def delete(self, key: str) -> None:
        """Drop one key."""

    @abstractmethod
    async def delete_matching(self, pattern: str) -> int:
        """Drop every key matching the glob ``pattern``; returns how many."""

    @abstractmethod
    async def size(self) -> dict[str, int]:
        """Entry count (and bytes, where the tier knows them)."""
