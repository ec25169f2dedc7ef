"""The one thing every service receives: who acts, on which database, at what time, with what.

Services used to take their collaborators positionally in eight different orders, and the
database handle carried the hook bus and the cache generations so that every write path could
reach them. A :class:`Context` is built by the composition root (``sonic_cms.runtime``) for the
server, every CLI command, the scheduler and the tests alike; a request or a command narrows it
to its caller with :meth:`Context.acting_as`. ``Database`` is the database only.

Read transactions run off the event loop through :meth:`Context.run_read`, which takes the call
written out (``ctx.run_read(lambda: history.get_item(ctx, item_id))``) so that readers and tools see
which service a route calls and with what.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from sqlalchemy import Connection

from sonic_cms.actors import ANONYMOUS, Actor
from sonic_cms.cache.memo import Generations, Memo, Stamp, stamp
from sonic_cms.clock import Clock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from sonic_cms.plugins.hooks import HookBus, HookScope
from sonic_cms.storage import Storage

T = TypeVar("T")


def _no_generations(_namespace: str) -> str | None:
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    """A service call's collaborators. Frozen: narrowing to an actor makes a new one."""

    db: Database
    clock: Clock
    settings: Settings
    #: Media storage (a backend of ``sonic_cms.storage.BACKENDS``).
    storage: Storage
    #: The hook bus with the active plugins' handlers (an empty bus fires nothing).
    hooks: HookBus = field(default_factory=HookBus)
    #: The principal the call acts for: the request's caller, or SYSTEM for duties.
    actor: Actor = ANONYMOUS
    #: Cache generations, for caches kept below the HTTP layer (the permission cache).
    generations: Generations = _no_generations

    #: Facts read from the database, kept while nothing they depend on was written
    #: (cache/memo.py); shared by every context narrowed from the same root.
    memo: Memo = field(default_factory=Memo)
    #: How many PostgreSQL reads may run in worker threads at once (the composition root sizes
    #: it to the connection pool); None: anyio's default limiter (40 threads).
    read_slots: anyio.CapacityLimiter | None = None

    def stamp(self, namespaces: tuple[str, ...]) -> Stamp | None:
        """The generations to remember a fact under; read them *before* reading the fact."""
        return stamp(self.generations, namespaces)

    def recall(self, key: Hashable) -> Any | None:
        """A fact remembered under ``key`` that may still be trusted, else None."""
        max_age = self.settings.permission_cache_ttl_seconds
        return self.memo.get(key, self.generations, max_age, self.clock.now_ms())

    def remember(
        self,
        key: Hashable,
        value: Any,
        namespaces: tuple[str, ...],
        read_under: Stamp | None,
        until_ms: int | None = None,
    ) -> None:
        """Keep ``value``, read from the database under ``read_under`` (see :meth:`stamp`),
        until a write moves one of ``namespaces``, ``until_ms`` or the memory's age limit
        (``SONIC_PERMISSION_CACHE_TTL_SECONDS``; 0 keeps nothing)."""
        max_age = self.settings.permission_cache_ttl_seconds
        self.memo.put(key, value, namespaces, read_under, max_age=max_age, until_ms=until_ms)

    def acting_as(self, actor: Actor) -> Context:
        """The same collaborators, acting for ``actor``."""
        return replace(self, actor=actor)

    def hook_scope(self, conn: Connection) -> HookScope:
        """The hooks of one write transaction on ``conn``, fired for this context's actor."""
        return self.hooks.scope(conn, self.actor, self.db.read)

    async def run_read(self, call: Callable[[], T]) -> T:
        """Run a read off the event loop unless it is a sub-millisecond local SQLite read.

        A thread hop costs more than a SQLite page read from the OS cache, so SQLite reads run
        inline; a PostgreSQL round trip must never block the loop, so it goes to a thread, at
        most :attr:`read_slots` at once. More threads than pooled connections only open and
        close overflow connections (a server process forked for each) and take the GIL from
        the event loop (bench/README.md, "PostgreSQL reads without needless round trips").
        """
        if self.db.is_sqlite:
            return call()
        return await anyio.to_thread.run_sync(call, limiter=self.read_slots)

    async def run_write(self, call: Callable[[], T]) -> T:
        """Run a write in a worker thread: a SQLite writer may wait on the lock (busy_timeout)."""
        return await anyio.to_thread.run_sync(call)
