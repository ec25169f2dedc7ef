"""Sign-in sessions: created at login, rotated on refresh, revoked on logout or reset.

The refresh token is an opaque random secret (prefix ``srt_``), stored as a keyed digest and
replaced on every refresh; it is not a JWT, so it can never pass as an access token.

Signing out (logout, signing one session out, signing out everywhere) fires ``auth:logout``
with ``{"user_id", "session_id", "all_sessions"}``; revocations that are not a sign-out (a
password change or reset, a deactivated account, a replayed refresh token) fire nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, insert, or_, select, update

from sonic_cms.actors import Actor
from sonic_cms.auth.access_tokens import issue_access_token
from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.db.schema import AuthSession, User
from sonic_cms.digests import keyed_digest, new_secret
from sonic_cms.errors import NotFound, Unauthorized
from sonic_cms.ids import new_id
from sonic_cms.plugins import hookspecs
from sonic_cms.plugins.hooks import HookScope

REFRESH_PREFIX = "srt_"
_PURPOSE = "refresh"


@dataclass(frozen=True)
class IssuedTokens:
    """What a client receives after login or refresh; the secrets appear nowhere else."""

    session_id: str
    access_token: str
    refresh_token: str


def open_session(
    conn: Connection,
    settings: Settings,
    *,
    now_ms: int,
    user_id: str,
    role: str,
    user_agent: str | None = None,
    ip_address: str | None = None,
) -> IssuedTokens:
    """Record a new session for ``user_id`` and issue its tokens (inside the caller's txn)."""
    session_id = new_id()
    refresh_token = new_secret(REFRESH_PREFIX)
    conn.execute(
        insert(AuthSession).values(
            id=session_id,
            user_id=user_id,
            refresh_token_hash=keyed_digest(settings, _PURPOSE, refresh_token),
            created_at=now_ms,
            expires_at=now_ms + settings.refresh_token_ttl_seconds * 1000,
            user_agent=(user_agent or "")[:500] or None,
            ip_address=ip_address,
        )
    )
    access = issue_access_token(
        settings, now_ms=now_ms, user_id=user_id, role=role, session_id=session_id
    )
    return IssuedTokens(session_id, access, refresh_token)


def refresh(ctx: Context, refresh_token: str) -> IssuedTokens:
    """A new access token and a rotated refresh token for a live session; 401 otherwise.

    A refresh token that was already rotated out and comes back means two parties hold it
    (one of them a thief): the whole session is revoked.
    """
    if not refresh_token.startswith(REFRESH_PREFIX) or len(refresh_token) > 200:
        raise Unauthorized("Invalid or expired refresh token", code="invalid_token")
    settings = ctx.settings
    digest = keyed_digest(settings, _PURPOSE, refresh_token)
    now = ctx.clock.now_ms()
    with ctx.db.write() as conn:
        row = conn.execute(
            select(AuthSession.id, AuthSession.user_id, User.role)
            .join(User, User.id == AuthSession.user_id)
            .where(
                AuthSession.refresh_token_hash == digest,
                AuthSession.revoked_at.is_(None),
                AuthSession.expires_at > now,
                User.is_active == True,  # noqa: E712
            )
        ).first()
        if row is None:
            replayed = update(AuthSession).where(
                AuthSession.previous_refresh_hash == digest, AuthSession.revoked_at.is_(None)
            )
            conn.execute(replayed.values(revoked_at=now))
        else:
            rotated = new_secret(REFRESH_PREFIX)
            conn.execute(
                update(AuthSession)
                .where(AuthSession.id == row.id)
                .values(
                    refresh_token_hash=keyed_digest(settings, _PURPOSE, rotated),
                    previous_refresh_hash=digest,
                    last_used_at=now,
                )
            )
    if row is None:
        # Raised after the commit, so a replay's revocation is kept.
        raise Unauthorized("Invalid or expired refresh token", code="invalid_token")
    access = issue_access_token(
        settings, now_ms=now, user_id=row.user_id, role=row.role, session_id=row.id
    )
    return IssuedTokens(row.id, access, rotated)


def revoke_session(
    ctx: Context,
    *,
    session_id: str | None = None,
    refresh_token: str | None = None,
) -> None:
    """Revoke a session named by id or by its refresh token; unknown ones are ignored."""
    conditions = []
    if session_id:
        conditions.append(AuthSession.id == session_id)
    if refresh_token:
        conditions.append(
            AuthSession.refresh_token_hash == keyed_digest(ctx.settings, _PURPOSE, refresh_token)
        )
    if not conditions:
        return
    with ctx.db.write() as conn:
        # No actor: a logout may come with nothing but a refresh token.
        hooks = ctx.hooks.scope(conn, None, ctx.db.read)
        if hooks.wants(hookspecs.AUTH_LOGOUT) or hooks.wants(hookspecs.AUTH_LOGOUT, "action"):
            live = conn.execute(
                select(AuthSession.id, AuthSession.user_id).where(
                    or_(*conditions), AuthSession.revoked_at.is_(None)
                )
            ).all()
            for session in live:
                _logout_hooks(hooks, session.user_id, session.id)
        for condition in conditions:
            conn.execute(
                update(AuthSession)
                .where(condition, AuthSession.revoked_at.is_(None))
                .values(revoked_at=ctx.clock.now_ms())
            )
    hooks.fire()


def _logout_hooks(hooks: HookScope, user_id: str, session_id: str | None) -> None:
    """``auth:logout``: the filter now (a plugin may refuse), the action after the commit.

    ``session_id`` None means every session of the user.
    """
    event = {"user_id": user_id, "session_id": session_id, "all_sessions": session_id is None}
    hooks.filter(hookspecs.AUTH_LOGOUT, dict(event))
    hooks.after_commit(hookspecs.AUTH_LOGOUT, event)


def revoke_all_sessions(
    conn: Connection, user_id: str, *, now_ms: int, except_session: str | None = None
) -> None:
    """Revoke every live session of ``user_id`` (password change or reset, deactivation)."""
    query = update(AuthSession).where(
        AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
    )
    if except_session:
        query = query.where(AuthSession.id != except_session)
    conn.execute(query.values(revoked_at=now_ms))


def live_session_user(
    conn: Connection, session_id: str, user_id: str, *, now_ms: int
) -> tuple[str, int] | None:
    """The role of ``user_id`` and when the session expires, if the session is live and the
    user active, else None."""
    row = conn.execute(
        select(User.role, AuthSession.expires_at)
        .join(AuthSession, AuthSession.user_id == User.id)
        .where(
            AuthSession.id == session_id,
            AuthSession.user_id == user_id,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now_ms,
            User.is_active == True,  # noqa: E712
        )
    ).first()
    return None if row is None else (str(row.role), int(row.expires_at))


def _signed_in(actor: Actor) -> str:
    if actor.kind != "user" or actor.user_id is None:
        raise Unauthorized("Sign in to manage your sessions")
    return actor.user_id


def list_sessions(ctx: Context) -> list[dict[str, object]]:
    """The actor's live sessions (never a token), the current one marked."""
    user_id = _signed_in(ctx.actor)
    with ctx.db.read() as conn:
        rows = conn.execute(
            select(
                AuthSession.id,
                AuthSession.created_at,
                AuthSession.expires_at,
                AuthSession.last_used_at,
                AuthSession.user_agent,
                AuthSession.ip_address,
            )
            .where(
                AuthSession.user_id == user_id,
                AuthSession.revoked_at.is_(None),
                AuthSession.expires_at > ctx.clock.now_ms(),
            )
            .order_by(AuthSession.created_at.desc(), AuthSession.id)
        ).all()
    return [{**row._mapping, "current": row.id == ctx.actor.session_id} for row in rows]


def revoke_own_session(ctx: Context, session_id: str) -> None:
    """Sign one of one's own sessions out; 404 for anybody else's."""
    user_id = _signed_in(ctx.actor)
    own_live = (
        AuthSession.id == session_id,
        AuthSession.user_id == user_id,
        AuthSession.revoked_at.is_(None),
    )
    with ctx.db.write() as conn:
        hooks = ctx.hook_scope(conn)
        if conn.execute(select(AuthSession.id).where(*own_live)).first() is None:
            raise NotFound("Session not found", code="session_not_found")
        _logout_hooks(hooks, user_id, session_id)
        conn.execute(update(AuthSession).where(*own_live).values(revoked_at=ctx.clock.now_ms()))
    hooks.fire()


def revoke_user_sessions(ctx: Context, user_id: str) -> None:
    """Sign a user out everywhere: oneself always, anyone with ``users.update``."""
    actor = ctx.actor
    if actor.user_id != user_id or actor.kind != "user":
        actor.require("users.update")
    with ctx.db.write() as conn:
        hooks = ctx.hook_scope(conn)
        _logout_hooks(hooks, user_id, None)
        revoke_all_sessions(conn, user_id, now_ms=ctx.clock.now_ms())
    hooks.fire()
