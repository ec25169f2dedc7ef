"""What one running app holds: the composition root's runtime and the log writer. Built by
create_app, never global."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from starlette.routing import BaseRoute

from sonic_cms.auth.api_tokens import PendingTouches
from sonic_cms.auth.authentication import CachedActor
from sonic_cms.cache.base import CacheKey
from sonic_cms.cache.single_flight import SingleFlight
from sonic_cms.cache.tiered import TieredCache
from sonic_cms.clock import Clock
from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.extensions.runtime import PluginRuntime
from sonic_cms.logs.writer import LogWriter
from sonic_cms.media.url_import import ImportSlots
from sonic_cms.plugins.hooks import HookBus
from sonic_cms.runtime import Runtime
from sonic_cms.site_settings import store as site_settings_store
from sonic_cms.site_settings.store import SiteSettings
from sonic_cms.storage import Storage


class KnownUrl(NamedTuple):
    """What the cached-read fast path knows of a URL a cached route answered."""

    key: CacheKey
    #: The route that answered it, set on a fast-path hit's scope as the router would
    #: (``scope["route"]``: the route template in logs and metrics).
    route: BaseRoute | None


@dataclass
class AppContext:
    """The app's collaborators, reachable from requests as ``request.app.state.ctx``."""

    runtime: Runtime
    logs: LogWriter
    #: URL -> the key (and route) of the cached route that answered it, for the fast path.
    cached_urls: dict[str, KnownUrl] = field(default_factory=dict)
    #: URL imports in flight in this process, for their concurrency caps.
    import_slots: ImportSlots = field(default_factory=ImportSlots)
    #: API token uses waiting for the background writer.
    token_touches: PendingTouches = field(default_factory=PendingTouches)
    #: The one re-read of the active plugin set that the requests finding it stale share.
    plugin_refresh: SingleFlight[None] = field(default_factory=SingleFlight)
    #: The one re-read of the site settings that the requests finding them stale share.
    settings_refresh: SingleFlight[SiteSettings] = field(default_factory=SingleFlight)
    #: The one resolution of a credential that the requests carrying it share, by key and stamp.
    credential_resolution: SingleFlight[CachedActor] = field(default_factory=SingleFlight)

    def __post_init__(self) -> None:
        # Plain attributes, not properties: the hot path reads them on every request.
        self.settings: Settings = self.runtime.settings
        self.db: Database = self.runtime.db
        self.clock: Clock = self.runtime.clock
        self.cache: TieredCache = self.runtime.cache
        self.plugins: PluginRuntime = self.runtime.plugins
        self.storage: Storage = self.runtime.storage
        #: What services receive, narrowed per request to its caller.
        self.services: Context = self.runtime.context

    @property
    def hooks(self) -> HookBus:
        """The hook bus services fire on (``hooks.filter`` in the transaction, ``hooks.action``
        after commit)."""
        return self.plugins.hooks

    async def refresh_plugins(self) -> None:
        """Re-read the active plugin set (it is stale), once for all the requests that found
        it so at the same time."""
        await self.plugin_refresh.run(lambda: self.services.run_read(self.plugins.refresh))

    async def site_settings(self) -> SiteSettings:
        """The site settings from this process's cache, or read once for all the requests
        that found them stale at the same time."""
        services = self.services
        fresh = site_settings_store.cached(services)
        if fresh is not None:
            return fresh
        # Keyed on the generation: a request that sees a save never joins a read from before it.
        return await self.settings_refresh.run(
            lambda: services.run_read(lambda: site_settings_store.current(services)),
            key=services.generations("config"),
        )
