"""The three-tier cache: per-process memory LRU, then Redis when configured, then the loader."""

from sonic_cms.cache.base import NAMESPACES, CacheKey, CacheStore, Loaded, TierStats
from sonic_cms.cache.tiered import CacheResult, TieredCache

__all__ = [
    "NAMESPACES",
    "CacheKey",
    "CacheResult",
    "CacheStore",
    "Loaded",
    "TierStats",
    "TieredCache",
]
