"""Credentials to actors from this process's memory, so a signed-in or token read does not pay
a database lookup (and a JWT decode) before its own query.

A resolved credential is remembered (:meth:`sonic_cms.context.Context.remember`) under the
``user`` and ``session`` generations read before it was resolved: a write to users, roles,
permissions or API tokens moves ``user``, a write to sessions (logout, revocation, refresh) moves
``session`` (cache/invalidation.py), so a revocation, a deactivation or a demotion is refused by
the next request of every process on the host, as the permission cache sees role changes. It is
kept at most ``permission_cache_ttl_seconds`` (the bound across hosts; ``0`` turns it off) and
never past the credential's own expiry. Keys are BLAKE2b digests: the memory holds no secret.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sonic_cms.actors import Actor
from sonic_cms.cache.memo import Stamp
from sonic_cms.context import Context

#: Namespaces whose writes can change who a credential is or what it may do.
NAMESPACES = ("user", "session")


def credential_key(credential: str) -> tuple[str, bytes]:
    """The memory key of a credential: a digest, not the secret."""
    return ("actor", hashlib.blake2b(credential.encode(), digest_size=16).digest())


@dataclass(slots=True)
class CachedActor:
    """One resolved credential."""

    actor: Actor
    #: An API token's last_used_at as this process last knew or set it.
    touched_ms: int | None = None


def recall_actor(ctx: Context, key: tuple[str, bytes]) -> CachedActor | None:
    """The remembered resolution of a credential, when it may still be trusted."""
    found: CachedActor | None = ctx.recall(key)
    return found


def read_stamp(ctx: Context) -> Stamp | None:
    """The generations to remember a resolution under: read before resolving."""
    return ctx.stamp(NAMESPACES)


def remember_actor(
    ctx: Context,
    key: tuple[str, bytes],
    entry: CachedActor,
    read_under: Stamp | None,
    expires_ms: int | None,
) -> None:
    """Remember a resolution until a write, the memory's age limit or ``expires_ms``."""
    ctx.remember(key, entry, NAMESPACES, read_under, until_ms=expires_ms)
