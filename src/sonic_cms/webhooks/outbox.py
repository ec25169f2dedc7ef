"""The outbox: an event for each endpoint that wants it, written in the transaction of the
change it announces.

Services call :meth:`sonic_cms.plugins.hooks.HookScope.record` inside their write transaction
(the composition root sets :class:`Outbox` as the bus's ``outbox``), with a function that builds
the resource as it will commit. The rows therefore commit or roll back with the change: a
rolled-back write sends nothing, and a committed one is never lost to a crash between the commit
and a send, because the worker (:mod:`sonic_cms.webhooks.worker`) reads the committed rows.

A write must cost nearly nothing when no endpoint wants its event: which active endpoint wants
which event is read once and remembered in this process (the context's memo) until a write to
``webhook_endpoints`` moves the ``config`` cache generation, on this process or any other of the
host (the generations file; across hosts, Redis and the memory's age limit).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import orjson
from sqlalchemy import Connection, Table, insert, select

from sonic_cms.clock import iso_utc
from sonic_cms.context import Context
from sonic_cms.db.schema import WebhookEndpoint, WebhookEvent
from sonic_cms.ids import new_id
from sonic_cms.plugins.hookspecs import Hook
from sonic_cms.webhooks.events import COLLECTION_EVENTS

ENDPOINTS = cast(Table, WebhookEndpoint.__table__)
EVENTS = cast(Table, WebhookEvent.__table__)
#: The memo key of the subscriptions, and the cache namespace whose generation voids it.
_SUBSCRIPTIONS = ("webhooks", "subscriptions")
_NAMESPACES = ("config",)
#: Standard Webhooks message ids are opaque strings; a prefix tells them from other ids in logs.
MESSAGE_ID_PREFIX = "msg_"


@dataclass(frozen=True, slots=True)
class Subscription:
    """One active endpoint's interest: its id and the collections it limits events to."""

    endpoint_id: str
    collections: frozenset[str]

    def covers(self, event: str, collection_id: str | None) -> bool:
        """Whether an ``event`` about ``collection_id`` goes to this endpoint."""
        if not self.collections or event not in COLLECTION_EVENTS:
            return True
        return collection_id in self.collections


Subscriptions = dict[str, tuple[Subscription, ...]]


def body_bytes(event: str, at_ms: int, data: Any) -> bytes:
    """The delivery body, ``{"type", "timestamp", "data"}``, as the exact bytes signed and sent."""
    envelope = {"type": event, "timestamp": iso_utc(at_ms), "data": data}
    return orjson.dumps(envelope, option=orjson.OPT_NON_STR_KEYS)


class Outbox:
    """Writes events for the endpoints that want them (``HookBus.outbox``)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def __call__(
        self,
        conn: Connection,
        hook: Hook,
        data: Callable[[], Any],
        collection_id: str | None,
    ) -> None:
        """Write one outbox row per endpoint that wants ``hook``'s event about ``data``.

        ``collection_id`` (or the data's own ``collection_id`` / ``collectionId`` when not
        given) is matched against each endpoint's collection filter.
        """
        wanted = self.subscriptions(conn).get(hook.name)
        if not wanted:
            return
        resource = data()
        if resource is None:
            return
        collection = collection_id or _collection_of(resource)
        targets = [s.endpoint_id for s in wanted if s.covers(hook.name, collection)]
        if targets:
            now = self._ctx.clock.now_ms()
            body = body_bytes(hook.name, now, resource).decode()
            conn.execute(insert(EVENTS), [_row(target, hook.name, body, now) for target in targets])

    def subscriptions(self, conn: Connection) -> Subscriptions:
        """Which active endpoints want which event, remembered until an endpoint changes."""
        known: Subscriptions | None = self._ctx.recall(_SUBSCRIPTIONS)
        if known is not None:
            return known
        read_under = self._ctx.stamp(_NAMESPACES)
        found = read_subscriptions(conn)
        self._ctx.remember(_SUBSCRIPTIONS, found, _NAMESPACES, read_under)
        return found


def read_subscriptions(conn: Connection) -> Subscriptions:
    """The active endpoints' subscriptions, by event name (one small query)."""
    rows = conn.execute(
        select(ENDPOINTS.c.id, ENDPOINTS.c.events, ENDPOINTS.c.collections).where(
            ENDPOINTS.c.is_active == True  # noqa: E712 - a bound 1 for the INTEGER flag
        )
    )
    found: dict[str, list[Subscription]] = {}
    for row in rows:
        subscription = Subscription(row.id, frozenset(row.collections or ()))
        for event in row.events or ():
            found.setdefault(str(event), []).append(subscription)
    return {event: tuple(subs) for event, subs in found.items()}


def _collection_of(resource: Any) -> str | None:
    if not isinstance(resource, dict):
        return None
    value = resource.get("collection_id", resource.get("collectionId"))
    return value if isinstance(value, str) else None


def _row(endpoint_id: str, event: str, body: str, now: int) -> dict[str, Any]:
    return {
        "id": MESSAGE_ID_PREFIX + new_id(),
        "endpoint_id": endpoint_id,
        "event_type": event,
        "body": body,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
