"""The core cache plugin: memory -> Redis -> database for public reads.

The tiers themselves live in ``sonic_cms.cache`` and are built by the app; this plugin is the
switch (deactivated: every read goes to the database), its settings, and action handlers that
move the generations after content and media writes, as SonicJS's cache plugin does. Core
services also call ``cache.invalidate`` directly, so correctness never depends on a plugin.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from sonic_cms.plugins.hooks import HookContext
from sonic_cms.plugins.spec import HookSpec, PluginSpec

#: Which cache namespaces each hook's write makes stale.
INVALIDATES: dict[str, tuple[str, ...]] = {
    "content:create": ("content", "collection", "api"),
    "content:update": ("content", "collection", "api"),
    "content:delete": ("content", "collection", "api"),
    "content:publish": ("content", "collection", "api"),
    "content:save": ("content", "collection", "api"),
    "media:upload": ("media", "api"),
    "media:delete": ("media", "api"),
    "media:transform": ("media", "api"),
    "plugin:activate": ("plugin", "api"),
    "plugin:deactivate": ("plugin", "api"),
    "plugin:install": ("plugin",),
    "plugin:uninstall": ("plugin", "api"),
}


class CacheSettings(BaseModel):
    """Shown and edited through the plugin settings API (TTLs themselves are SONIC_* settings)."""

    warm_on_start: bool = Field(False, description="Reserved: preload popular keys at start")


def invalidate_after_write(payload: Any, context: HookContext) -> None:
    """Move the generations of what the write made stale (runs after commit)."""
    cache = context.resources.get("cache")
    if cache is not None:
        cache.invalidate_sync(*INVALIDATES[context.hook])


plugin = PluginSpec(
    name="cache",
    display_name="Cache",
    version="1.0.0",
    author="sonic-cms",
    category="performance",
    description="Three-tier cache (memory, Redis, database) for public reads",
    settings_model=CacheSettings,
    is_core=True,
    hooks=tuple(
        HookSpec(hook, invalidate_after_write, phase="action", priority=0) for hook in INVALIDATES
    ),
)
