"""The core cache plugin: memory -> Redis -> database for public reads.

The tiers live in ``sonic_cms.cache`` and are built by the app; this plugin is the switch
(deactivated: every read goes to the database). It needs no hook handlers to stay correct, unlike
SonicJS's: every committed write invalidates what it touched through the database's commit
listener (``sonic_cms.cache.invalidation``), whichever path wrote, plugins included.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from sonic_cms.plugins.spec import PluginSpec


class CacheSettings(BaseModel):
    """No settings of its own: TTLs, sizes and Redis are SONIC_* settings (docs/cache.md)."""

    model_config = ConfigDict(extra="forbid")


plugin = PluginSpec(
    name="cache",
    display_name="Cache",
    version="1.0.0",
    author="sonic-cms",
    category="performance",
    description="Three-tier cache (memory, Redis, database) for public reads",
    settings_model=CacheSettings,
    is_core=True,
)
