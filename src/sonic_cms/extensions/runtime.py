"""One process's view of the plugins: which are active, their handlers on the bus, their routes.

Plugin state lives in the database, so several server processes agree: each process re-reads
the active set at most every ``plugin_status_ttl_ms`` (and at once after its own lifecycle
calls). A handler failure is recorded off the failing call's thread, because a filter runs
inside the caller's transaction and on SQLite a second writer would wait for it.

The composition root (``sonic_cms.runtime``) builds one for the server and for every CLI
command, so ``sonic content import`` or ``sonic scheduler run`` fire the same hooks as the
server.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sqlalchemy import inspect

from sonic_cms.actors import SYSTEM
from sonic_cms.context import Context
from sonic_cms.errors import Conflict, NotFound
from sonic_cms.extensions import lifecycle
from sonic_cms.metrics.recorders import hook_failed
from sonic_cms.plugins.hooks import HookBus
from sonic_cms.plugins.registry import PluginRegistry

logger = logging.getLogger("sonic_cms.plugins")


class PluginRuntime:
    """Keeps the hook bus in step with the plugins table.

    ``context`` is the composition root's, so the bus kept in step is the one every service of
    the process fires on; the lifecycle steps it takes itself (core plugins) act as the system.
    """

    def __init__(self, context: Context, registry: PluginRegistry) -> None:
        self.context = context
        self.registry = registry
        self.active: dict[str, dict[str, Any]] = {}
        self._checked_at = -1.0
        self._tables_exist = False
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="plugin-errors")
        self._pending: list[Future[None]] = []
        self._warned_env: set[str] = set()
        context.hooks.on_error = self._handler_failed

    @property
    def hooks(self) -> HookBus:
        """The bus services fire hooks on."""
        return self.context.hooks

    def is_active(self, name: str) -> bool:
        """Whether ``name`` is active, as of the last refresh."""
        return name in self.active

    def plugin_settings(self, name: str) -> dict[str, Any]:
        """The active plugin's settings."""
        return self.active.get(name, {})

    def stale(self) -> bool:
        """Whether the active set is older than ``plugin_status_ttl_ms``."""
        ttl = self.context.settings.plugin_status_ttl_ms / 1000
        return time.monotonic() - self._checked_at >= ttl

    def refresh(self, force: bool = False) -> None:
        """Re-read the active set when it is older than the TTL; (un)register handlers."""
        if not force and not self.stale():
            return
        with self._lock:
            if not force and not self.stale():  # another thread refreshed it meanwhile
                return
            if not self._tables_exist:
                self._tables_exist = _has_tables(self.context)
                if not self._tables_exist:
                    return
            active = self._allowed(lifecycle.active_plugins(self.context))
            self._checked_at = time.monotonic()
            self._apply(active)

    def _allowed(self, active: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """The active rows minus plugins not allowed in this ``SONIC_ENV``, each warned once.

        Activation refuses them, but a row can still say ``active`` (a database copied from
        development to production): such a plugin gets no hooks and its routes answer 404.
        """
        env = self.context.settings.env
        allowed = {}
        for name, settings in active.items():
            spec = self.registry.get(name)
            if spec is None or spec.allowed_in(env):
                allowed[name] = settings
            elif name not in self._warned_env:
                self._warned_env.add(name)
                logger.warning(
                    "plugin %s is marked active but only runs with SONIC_ENV in (%s); "
                    "SONIC_ENV=%s, so it stays off: deactivate it (sonic plugins deactivate %s)",
                    name,
                    ", ".join(spec.environments),
                    env,
                    name,
                )
        return allowed

    def _apply(self, active: dict[str, dict[str, Any]]) -> None:
        """Only plugins known to the registry are managed here; handlers registered directly
        on the bus (core behaviour, tests) are left alone."""
        bus = self.context.hooks
        registered = bus.plugins()
        for name in registered | set(self.active):
            if name not in active and self.registry.get(name) is not None:
                bus.unregister_plugin(name)
        for name in active:
            spec = self.registry.get(name)
            if spec is not None and (name not in self.active or name not in registered):
                bus.unregister_plugin(name)
                for hook in spec.hooks:
                    bus.register(hook.bind(name))
        self.active = active

    def ensure_core(self) -> None:
        """Install and activate the core built-ins (the cache plugin) on first start.

        Skipped on a database that was never migrated (the server then fails or migrates first).
        Workers of one server start together: the one that loses the race to install leaves
        the activation to the winner.
        """
        if not _has_tables(self.context):
            return
        system = self.context.acting_as(SYSTEM)
        for spec in self.registry.specs.values():
            if not spec.is_core:
                continue
            try:
                lifecycle.get_plugin(system, spec.name)
            except NotFound:
                try:
                    lifecycle.install(system, self.registry, spec.name)
                except Conflict:
                    continue  # another worker starting at the same moment installed it
                lifecycle.activate(system, self.registry, spec.name)
        self.refresh(force=True)

    def _handler_failed(self, plugin: str, hook: str, exc: BaseException) -> None:
        self.active.pop(plugin, None)
        if self.context.settings.metrics_enabled:
            hook_failed(plugin, hook)
        message = f"{hook}: {type(exc).__name__}: {exc}"
        future = self._executor.submit(lifecycle.mark_error, self.context, plugin, message)
        self._pending.append(future)

    def drain(self) -> None:
        """Wait until every recorded failure is written."""
        pending, self._pending = self._pending, []
        for future in pending:
            try:
                future.result(timeout=60)
            except Exception:
                logger.exception("could not record a plugin failure")

    def close(self) -> None:
        """Write pending failures and stop the recorder thread."""
        self.drain()
        self._executor.shutdown(wait=True)


def _has_tables(context: Context) -> bool:
    with context.db.engine.connect() as conn:
        return inspect(conn).has_table("plugins")
