"""The cache as administrators manage it: counters, clearing, invalidation by key pattern.

Admin only, where SonicJS left these open: the permission is checked here, like every service
checks its own, so no caller can reach the cache's administration without it.
"""

from __future__ import annotations

from sonic_cms.cache import NAMESPACES
from sonic_cms.cache.tiered import TieredCache
from sonic_cms.context import Context
from sonic_cms.errors import NotFound

#: Clearing the cache changes what every reader sees next; it is a site setting in effect.
PERMISSION = "settings.update"


def _known(namespace: str | None) -> str | None:
    if namespace is not None and namespace not in NAMESPACES:
        raise NotFound(f"Unknown cache namespace {namespace!r}", code="unknown_namespace")
    return namespace


async def stats(
    ctx: Context, cache: TieredCache, namespace: str | None = None
) -> dict[str, object]:
    """Hits, misses, sets, evictions and errors per tier (of one namespace when given)."""
    ctx.actor.require(PERMISSION)
    return await cache.stats(_known(namespace))


async def clear(
    ctx: Context, cache: TieredCache, namespace: str | None = None
) -> dict[str, int | list[str]]:
    """Drop one namespace or everything, in every tier and, through the generations, in every
    process."""
    ctx.actor.require(PERMISSION)
    return await cache.clear(_known(namespace))


async def invalidate(ctx: Context, cache: TieredCache, pattern: str) -> dict[str, int | list[str]]:
    """Drop the keys matching the glob ``pattern`` and move the generations it touches."""
    ctx.actor.require(PERMISSION)
    return await cache.invalidate_pattern(pattern)
