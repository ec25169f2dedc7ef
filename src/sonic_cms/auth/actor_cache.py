"""Credentials to actors from this process's memory, so a signed-in or token read does not pay
a database round trip (and a JWT decode) before its own query.

An entry is trusted while all of these hold, else the credentials are resolved again:

- the ``user`` and ``session`` cache generations are the ones read *before* the entry was
  resolved: a write to users, roles, permissions or API tokens moves ``user``, a write to
  sessions (logout, revocation, refresh) moves ``session`` (cache/invalidation.py), so a
  revocation, a deactivation or a demotion is seen by the next request of every process on this
  host, as it is by the permission cache;
- it is younger than ``permission_cache_ttl_seconds`` (the bound across hosts, whose only link is
  Redis; ``0`` turns this cache off, like the permission cache);
- its credential has not expired (a token's ``expires_at``; the access token's ``exp`` and its
  session's ``expires_at``).

Keys are BLAKE2b digests of the credentials: the map never holds a usable secret.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from sonic_cms.actors import Actor
from sonic_cms.context import Context

#: Namespaces whose writes can change who a credential is or what it may do.
NAMESPACES = ("user", "session")
#: Most credentials remembered per process; the oldest entry goes first.
MAX_ENTRIES = 10_000


def credential_key(credential: str) -> bytes:
    """The map key of a credential: a digest, not the secret."""
    return hashlib.blake2b(credential.encode(), digest_size=16).digest()


def current_generations(ctx: Context) -> tuple[str | None, ...]:
    """The generations an entry resolved now must still match to be used."""
    return tuple(ctx.generations(namespace) for namespace in NAMESPACES)


@dataclass(slots=True)
class CachedActor:
    """One resolved credential."""

    actor: Actor
    generations: tuple[str | None, ...]
    #: When the entry was stored (monotonic seconds).
    stored: float
    #: When the credential stops being valid (epoch ms), None for never.
    expires_ms: int | None
    #: An API token's last_used_at as this process last knew or set it.
    touched_ms: int | None = None


class ActorCache:
    """Resolved credentials of one process (one per app)."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: dict[bytes, CachedActor] = {}

    def get(self, ctx: Context, key: bytes) -> CachedActor | None:
        """The entry for ``key`` when it may still be trusted (see the module docstring)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        ttl = ctx.settings.permission_cache_ttl_seconds
        expired = entry.expires_ms is not None and entry.expires_ms <= ctx.clock.now_ms()
        if (
            expired
            or time.monotonic() - entry.stored >= ttl
            or entry.generations != current_generations(ctx)
        ):
            self._entries.pop(key, None)
            return None
        return entry

    def put(self, ctx: Context, key: bytes, entry: CachedActor) -> None:
        """Remember ``entry`` (resolved under ``entry.generations``) unless caching is off."""
        if ctx.settings.permission_cache_ttl_seconds <= 0:
            return
        entries = self._entries
        if key not in entries and len(entries) >= self.max_entries:
            entries.pop(next(iter(entries)))
        entries[key] = entry

    def clear(self) -> None:
        """Forget every entry."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
