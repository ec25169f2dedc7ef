"""The hook bus: SonicJS's hook names, a filter phase inside the caller's transaction and an
action phase after commit.

Filter handlers run in ascending priority (default 10, ties by plugin name, then handler name),
each receiving the previous one's result; one may :class:`Cancel` with a reason, which the caller
gets as a 4xx naming the plugin. Action handlers run after commit and never fail the request.
A handler that raises anything else marks its plugin ``error`` (through ``on_error``), is logged,
and is skipped; only a filter handler its plugin declared ``required`` fails the call (503).
Handlers are synchronous: filters share the caller's connection, which lives in one thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from sonic_cms.actors import Actor
from sonic_cms.errors import ServiceError
from sonic_cms.plugins.hookspecs import SPECS, Hook, Phase

logger = logging.getLogger("sonic_cms.plugins")

#: Every standard hook and who fires it (docs/plugins.md shows this table; a test checks it).
HOOKS: dict[str, str] = {spec.name: spec.fired_by for spec in SPECS}


class Cancel(Exception):
    """Raised by a filter handler to refuse the operation; ``status`` is a 4xx."""

    def __init__(self, reason: str, status: int = 422) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status if 400 <= status < 500 else 422


class HookCancelled(ServiceError):
    """A plugin's filter handler refused the operation."""

    code = "cancelled_by_plugin"

    def __init__(self, plugin: str, hook: str, reason: str, status: int) -> None:
        super().__init__(
            f"Plugin {plugin!r} refused {hook}: {reason}",
            details=[{"plugin": plugin, "hook": hook, "reason": reason}],
        )
        self.status = status
        self.plugin = plugin


class RequiredHookFailed(ServiceError):
    """A filter handler its plugin declared required raised (503: the operation cannot run)."""

    status = 503
    code = "plugin_failed"


@dataclass(frozen=True)
class HookContext:
    """What a handler learns besides the payload."""

    hook: str
    phase: Phase
    plugin: str
    actor: Actor | None = None
    conn: Connection | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    resources: dict[str, Any] = field(default_factory=dict)


HandlerFn = Callable[[Any, HookContext], Any]


@dataclass(frozen=True)
class HookHandler:
    """One registered handler."""

    plugin: str
    hook: str
    fn: HandlerFn
    phase: Phase = "action"
    priority: int = 10
    required: bool = False
    name: str = ""

    @property
    def handler_name(self) -> str:
        """The name recorded in plugin_hooks."""
        return self.name or getattr(self.fn, "__qualname__", repr(self.fn))

    def sort_key(self) -> tuple[int, str, str]:
        """Ascending priority, then plugin name, then handler name."""
        return (self.priority, self.plugin, self.handler_name)


ErrorCallback = Callable[[str, str, BaseException], None]
#: Opens a read transaction (``Database.read``): loads an action's payload after commit.
Reader = Callable[[], AbstractContextManager[Connection]]
#: Builds an action's payload from a connection that sees the committed write.
Loader = Callable[[Connection], Any]
#: Writes an event into the caller's transaction for delivery outside the process (the webhook
#: outbox): ``(conn, hook, build the data, collection id)``; the data is built only if wanted.
Outbox = Callable[[Connection, Hook, Callable[[], Any], str | None], None]


class HookBus:
    """The handlers of the active plugins of this process."""

    def __init__(self, on_error: ErrorCallback | None = None) -> None:
        self.on_error = on_error
        #: App collaborators handlers may use (``cache``, ``settings``), set by the app factory.
        self.resources: dict[str, Any] = {}
        #: The webhook outbox (sonic_cms.webhooks.outbox), set by the composition root.
        self.outbox: Outbox | None = None
        self._handlers: dict[tuple[str, Phase], list[HookHandler]] = {}
        self._lock = threading.Lock()

    def register(self, handler: HookHandler) -> None:
        """Add a handler (a plugin's, when it becomes active)."""
        if handler.hook not in HOOKS:
            raise ValueError(f"unknown hook {handler.hook!r}")
        with self._lock:
            bucket = [*self._handlers.get((handler.hook, handler.phase), []), handler]
            self._handlers[(handler.hook, handler.phase)] = sorted(bucket, key=HookHandler.sort_key)

    def unregister_plugin(self, plugin: str) -> None:
        """Drop every handler of ``plugin`` (deactivated, uninstalled or failed)."""
        with self._lock:
            self._handlers = {
                key: [h for h in handlers if h.plugin != plugin]
                for key, handlers in self._handlers.items()
            }

    def handlers(self, hook: str, phase: Phase) -> list[HookHandler]:
        """The handlers that would run, in order."""
        return list(self._handlers.get((hook, phase), ()))

    def has(self, hook: Hook, phase: Phase) -> bool:
        """Whether any handler would run: callers skip building a payload nobody reads."""
        return bool(self._handlers.get((hook.name, phase)))

    def scope(self, conn: Connection, actor: Actor | None, reader: Reader) -> HookScope:
        """The hooks of one write transaction on ``conn`` (see :class:`HookScope`);
        ``reader`` (``db.read``) loads the payloads only the committed rows can give."""
        return HookScope(self, conn, actor, reader)

    def plugins(self) -> set[str]:
        """Plugins with at least one handler registered."""
        return {h.plugin for handlers in self._handlers.values() for h in handlers}

    def filter(
        self,
        hook: Hook,
        payload: Any,
        *,
        conn: Connection | None = None,
        actor: Actor | None = None,
        **extra: Any,
    ) -> Any:
        """Run the filter chain inside the caller's transaction; returns the final payload.

        Raises:
            HookCancelled: a handler cancelled (roll the transaction back, answer its 4xx).
            RequiredHookFailed: a required handler raised.
        """
        name = hook.name
        # the stored list is replaced, never mutated, so it can be walked without a copy
        for handler in self._handlers.get((name, "filter"), ()):
            context = HookContext(
                name, "filter", handler.plugin, actor, conn, extra, self.resources
            )
            try:
                result = handler.fn(payload, context)
            except Cancel as cancel:
                raise HookCancelled(handler.plugin, name, cancel.reason, cancel.status) from None
            except Exception as exc:
                self._failed(handler, exc)
                if handler.required:
                    raise RequiredHookFailed(
                        f"Plugin {handler.plugin!r} failed in required hook {name}",
                        details=[{"plugin": handler.plugin, "hook": name}],
                    ) from exc
                continue
            if result is not None:
                payload = result
        return payload

    def filter_dict(
        self,
        hook: Hook,
        payload: dict[str, Any],
        *,
        conn: Connection | None = None,
        actor: Actor | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """:meth:`filter` for an object payload; a chain that returns anything else is a 503
        (a broken plugin must not make the caller store garbage)."""
        result = self.filter(hook, payload, conn=conn, actor=actor, **extra)
        if not isinstance(result, dict):
            raise RequiredHookFailed(
                f"The {hook} filters returned {type(result).__name__}, not an object",
                details=[{"hook": hook}],
            )
        return result

    def action(self, hook: Hook, payload: Any, *, actor: Actor | None = None, **extra: Any) -> None:
        """Run the action handlers after commit; never raises."""
        for handler in self._handlers.get((hook.name, "action"), ()):
            context = HookContext(
                hook.name, "action", handler.plugin, actor, None, extra, self.resources
            )
            try:
                handler.fn(payload, context)
            except Exception as exc:  # noqa: BLE001 (an action never fails the request)
                self._failed(handler, exc)

    def _failed(self, handler: HookHandler, exc: BaseException) -> None:
        logger.error(
            "plugin %s handler %s failed in %s: %s",
            handler.plugin,
            handler.handler_name,
            handler.hook,
            exc,
            exc_info=exc,
            extra={"category": "plugin"},
        )
        self.unregister_plugin(handler.plugin)
        if self.on_error is not None:
            self.on_error(handler.plugin, handler.hook, exc)


class HookScope:
    """The hooks of one write transaction: filters run at once on its connection, actions wait
    until it has committed.

    A service opens one inside ``with db.write() as conn`` and calls :meth:`fire` after the
    block. Code deep inside the transaction (a workflow move that publishes on approval) queues
    its actions here, so they run only when the whole transaction committed and never for work
    that was rolled back; :meth:`discard` drops them when part of a transaction is undone.
    """

    def __init__(self, bus: HookBus, conn: Connection, actor: Actor | None, reader: Reader) -> None:
        self.bus = bus
        self.conn = conn
        self.actor = actor
        self._reader = reader
        self._queued: list[tuple[Hook, Any, bool, dict[str, Any]]] = []

    def wants(self, hook: Hook, phase: Phase = "filter") -> bool:
        """Whether ``hook`` has handlers in ``phase`` (so the payload is worth building)."""
        return self.bus.has(hook, phase)

    def filter(self, hook: Hook, payload: Any, **extra: Any) -> Any:
        """:meth:`HookBus.filter` on this transaction's connection, as its actor."""
        return self.bus.filter(hook, payload, conn=self.conn, actor=self.actor, **extra)

    def filter_dict(self, hook: Hook, payload: dict[str, Any], **extra: Any) -> dict[str, Any]:
        """:meth:`HookBus.filter_dict` on this transaction's connection, as its actor."""
        return self.bus.filter_dict(hook, payload, conn=self.conn, actor=self.actor, **extra)

    def after_commit(self, hook: Hook, payload: Any, **extra: Any) -> None:
        """Queue ``hook``'s action with ``payload`` for :meth:`fire`."""
        if self.bus.has(hook, "action"):
            self._queued.append((hook, payload, False, extra))

    def after_commit_read(self, hook: Hook, load: Loader, **extra: Any) -> None:
        """Queue ``hook``'s action with a payload ``load`` reads once the write committed.

        For payloads only the committed row can give (an item a transition published, after
        everything else the transaction did to it).
        """
        if self.bus.has(hook, "action"):
            self._queued.append((hook, load, True, extra))

    def record(
        self, hook: Hook, data: Callable[[], Any], *, collection_id: str | None = None
    ) -> None:
        """Write ``hook``'s event into this transaction's outbox (webhooks), unlike an action:
        it commits or rolls back with the write. ``data`` builds the event's resource as it
        will commit; it is called only when some endpoint wants the event."""
        if self.bus.outbox is not None:
            self.bus.outbox(self.conn, hook, data, collection_id)

    def discard(self) -> None:
        """Forget the queued actions (their part of the transaction was rolled back)."""
        self._queued.clear()

    def fire(self) -> None:
        """Run the queued actions in order; like every action, never raises."""
        queued, self._queued = self._queued, []
        if not queued:
            return
        payloads = self._payloads(queued)
        for (hook, _, _, extra), payload in zip(queued, payloads, strict=True):
            if payload is not _UNREADABLE:
                self.bus.action(hook, payload, actor=self.actor, **extra)

    def _payloads(self, queued: list[tuple[Hook, Any, bool, dict[str, Any]]]) -> list[Any]:
        if not any(lazy for _, _, lazy, _ in queued):
            return [payload for _, payload, _, _ in queued]
        try:
            with self._reader() as conn:
                return [load(conn) if lazy else load for _, load, lazy, _ in queued]
        except Exception as exc:
            logger.error("could not read the payload of an action hook: %s", exc, exc_info=exc)
            return [_UNREADABLE if lazy else payload for _, payload, lazy, _ in queued]


_UNREADABLE = object()
