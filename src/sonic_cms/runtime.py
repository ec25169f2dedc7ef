"""The composition root: the one place that builds and wires a process's collaborators.

The server (``api.app``), every CLI command and the tests build the same things the same way:
the database, the hook bus with the plugins' handlers, the cache listening to the database's
commits, and the plugin runtime. A plugin therefore finds the same ``resources`` (``cache``,
``settings``, ``db``) whether its handler runs in a request or in ``sonic content import``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import anyio

from sonic_cms.cache.tiered import TieredCache
from sonic_cms.clock import Clock, SystemClock
from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.extensions.runtime import PluginRuntime
from sonic_cms.plugins.hooks import HookBus
from sonic_cms.plugins.registry import discover
from sonic_cms.plugins.spec import PluginSpec
from sonic_cms.storage import Storage, build_storage
from sonic_cms.webhooks.outbox import Outbox


@dataclass
class Runtime:
    """What one process (a server worker or a command) works with."""

    settings: Settings
    clock: Clock
    db: Database
    cache: TieredCache
    plugins: PluginRuntime
    storage: Storage
    #: What services receive, acting for nobody (anonymous) until narrowed with ``acting_as``.
    context: Context

    @property
    def hooks(self) -> HookBus:
        """The bus services fire on; the active plugins' handlers are on it."""
        return self.plugins.hooks

    def close(self) -> None:
        """Release what the runtime holds: the cache's connections, then the database's."""
        self.cache.detach(self.db)
        self.cache.close_sync()
        self.db.dispose()


def build_runtime(
    settings: Settings,
    *,
    db: Database | None = None,
    clock: Clock | None = None,
    storage: Storage | None = None,
    plugins: Iterable[PluginSpec] = (),
) -> Runtime:
    """Build and wire the collaborators of ``settings``; ``db``, ``clock``, ``storage`` and
    extra ``plugins`` may be injected (tests)."""
    database = db or Database(settings)
    clock = clock or SystemClock()
    registry = discover(settings.plugins_autoload, extra=plugins)
    bus = HookBus()
    cache = TieredCache(settings, clock)
    cache.plugin_tables = registry.tables()
    cache.attach(database)
    bus.resources.update(cache=cache, settings=settings, db=database)
    storage = storage or build_storage(settings, clock)
    context = Context(
        db=database,
        clock=clock,
        settings=settings,
        storage=storage,
        hooks=bus,
        generations=cache.local.get,
        read_slots=anyio.CapacityLimiter(settings.db_pool_size),
    )
    # Services write webhook events into their own transactions through the bus (an outbox).
    bus.outbox = Outbox(context)
    plugins_runtime = PluginRuntime(context, registry)
    return Runtime(settings, clock, database, cache, plugins_runtime, storage, context)


@contextmanager
def command_runtime(settings: Settings, *, with_plugins: bool = True) -> Iterator[Runtime]:
    """The runtime of one CLI command, disposed after it.

    Its writes move the cache generations running servers read (through Redis or the
    generations file), so what an operator changes from the CLI is what the next API read
    returns. ``with_plugins`` loads the active plugins' handlers for the command's length (a
    database without the plugins table simply gets none); on exit their failures are written.
    """
    runtime = build_runtime(settings)
    try:
        if with_plugins:
            runtime.plugins.refresh(force=True)
        yield runtime
    finally:
        if with_plugins:
            runtime.plugins.close()
        runtime.close()
