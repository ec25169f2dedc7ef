"""What one running app holds: settings, database, clock. Built by create_app, never global."""

from __future__ import annotations

from dataclasses import dataclass, field

from sonic_cms.cache.base import CacheKey
from sonic_cms.cache.tiered import TieredCache
from sonic_cms.clock import Clock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from sonic_cms.extensions.runtime import PluginRuntime
from sonic_cms.logs.writer import LogWriter
from sonic_cms.media.url_import import ImportSlots
from sonic_cms.plugins.hooks import HookBus


@dataclass
class AppContext:
    """The app's collaborators, reachable from requests as ``request.app.state.ctx``."""

    settings: Settings
    db: Database
    clock: Clock
    cache: TieredCache
    plugins: PluginRuntime
    logs: LogWriter
    #: URL -> the key of the cached route that answered it, for the fast path.
    cached_urls: dict[str, CacheKey] = field(default_factory=dict)
    #: URL imports in flight in this process, for their concurrency caps.
    import_slots: ImportSlots = field(default_factory=ImportSlots)

    @property
    def hooks(self) -> HookBus:
        """The hook bus services fire on (``hooks.filter`` in the transaction, ``hooks.action``
        after commit)."""
        return self.plugins.hooks
