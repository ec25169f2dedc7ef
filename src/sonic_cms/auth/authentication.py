"""Turning credentials into an Actor: the one place a request's identity is decided.

Remembering resolutions (:func:`recall_actor`, :func:`remember_actor`): a signed-in or token
read should not pay a database lookup (and a JWT decode) before its own query. A resolved
credential is remembered (:meth:`sonic_cms.context.Context.remember`) under the ``user`` and
``session`` generations read before it was resolved: a write to users, roles, permissions or API
tokens moves ``user``, a write to sessions (logout, revocation, refresh) moves ``session``
(cache/invalidation.py), so a revocation, a deactivation or a demotion is refused by the next
request of every process on the host, as the permission cache sees role changes. It is kept at
most ``permission_cache_ttl_seconds`` (the bound across hosts; ``0`` turns it off) and never past
the credential's own expiry. Keys are BLAKE2b digests: the memory holds no secret.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import select

from sonic_cms.actors import Actor
from sonic_cms.auth.access_tokens import decode_access_token
from sonic_cms.auth.roles import role_permissions
from sonic_cms.auth.sessions import live_session_user
from sonic_cms.cache.memo import Stamp
from sonic_cms.context import Context
from sonic_cms.db.schema import User
from sonic_cms.errors import Unauthorized

_INVALID = "Invalid or expired token"


def actor_for_user(ctx: Context, user_id: str) -> Actor:
    """The Actor of an active user, with its role's permissions; 401 if gone or inactive."""
    with ctx.db.read() as conn:
        row = conn.execute(
            select(User.id, User.role, User.is_active).where(User.id == user_id)
        ).first()
        if row is None or not row.is_active:
            raise Unauthorized(_INVALID, code="invalid_token")
        permissions = role_permissions(ctx, row.role, conn)
    return Actor(kind="user", user_id=row.id, role=row.role, permissions=permissions)


@dataclass(frozen=True)
class SessionUse:
    """The actor behind a signed access token and when it stops being valid (epoch ms)."""

    actor: Actor
    expires_ms: int


def actor_for_bearer(ctx: Context, token: str) -> SessionUse:
    """The Actor behind a signed access token whose session is live and user active.

    The role comes from the database, not the token, so a demotion applies at once. Valid until
    the token's ``exp`` or the session's end, whichever comes first.
    """
    now = ctx.clock.now_ms()
    claims = decode_access_token(ctx.settings, token, now_ms=now)
    user_id, session_id = str(claims["sub"]), str(claims["sid"])
    with ctx.db.read() as conn:
        live = live_session_user(conn, session_id, user_id, now_ms=now)
        if live is None:
            raise Unauthorized(_INVALID, code="invalid_token")
        role, session_ends = live
        permissions = role_permissions(ctx, role, conn)
    actor = Actor(
        kind="user", user_id=user_id, role=role, permissions=permissions, session_id=session_id
    )
    return SessionUse(actor, min(int(claims["exp"]) * 1000, session_ends))


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
