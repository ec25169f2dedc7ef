"""Signing in: credentials, throttling, two-factor, rehash and a new session.

Unknown users and wrong passwords get the same answer after the same work (a verification
against a dummy hash), so neither the message nor the timing tells them apart. Failures count
per account (whichever of its names was used), per unknown name and per client address (see
``throttling``); a locked key answers 429 even to the right password.

A successful check fires ``auth:login``: its filter runs in the transaction that opens the
session (a plugin may refuse the sign-in; the attempt then stays counted), its action after.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, func, or_, select, update

from sonic_cms.auth import throttling
from sonic_cms.auth.passwords import hash_password, needs_rehash, verify_password
from sonic_cms.auth.sessions import IssuedTokens, open_session
from sonic_cms.auth.two_factor import consume_code
from sonic_cms.context import Context
from sonic_cms.db.records import UserSelect
from sonic_cms.db.schema import User
from sonic_cms.errors import Unauthorized
from sonic_cms.plugins import hookspecs

BAD_CREDENTIALS = "Invalid email or password"


@dataclass(frozen=True)
class LoginResult:
    """The signed-in user and the tokens to hand over."""

    user: UserSelect
    tokens: IssuedTokens


def find_account(conn: Connection, identifier: str) -> Row[Any] | None:
    """The user an identifier names: an email (any letter case) first, else a username exactly.

    Several identifiers name one account; the throttle counts on what this returns, so every
    one of them shares the account's counter.
    """
    name = identifier.strip()
    rows = conn.execute(
        select(*User.__table__.columns).where(
            or_(func.lower(User.email) == name.lower(), User.username == name)
        )
    ).all()
    by_email = [row for row in rows if row.email.lower() == name.lower()]
    found = by_email or rows
    return found[0] if found else None


def login(
    ctx: Context,
    *,
    identifier: str,
    password: str,
    totp_code: str | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
) -> LoginResult:
    """Check credentials and open a session; 401 (same message) for any bad credential."""
    first = verify_first_factor(ctx, identifier=identifier, password=password, ip=ip)
    check_second_factor(ctx, first.user, totp_code, first.limits)
    return complete_password_login(ctx, first, password, ip=ip, user_agent=user_agent)


@dataclass(frozen=True)
class FirstFactor:
    """A proven password: the account, its stored hash, and the counters the attempt was
    charged to (the second factor, or :func:`sign_in`, settles them)."""

    user: Row[Any]
    stored_hash: str
    limits: list[throttling.Limit]


def verify_first_factor(
    ctx: Context, *, identifier: str, password: str, ip: str | None
) -> FirstFactor:
    """The password step of every password sign-in (one request, or the admin's two steps).

    Raises:
        Unauthorized: ``invalid_credentials`` (the same answer for an unknown account, a wrong
            password and an inactive account).
        TooManyRequests: a counter is locked.
    """
    with ctx.db.write() as conn:
        user = find_account(conn, identifier)
        limits = charge_attempt(ctx, conn, user, identifier, ip)
    stored = user.password_hash if user is not None else None
    if not verify_password(stored, password) or user is None or stored is None:
        raise Unauthorized(BAD_CREDENTIALS, code="invalid_credentials")
    if not user.is_active:
        raise Unauthorized(BAD_CREDENTIALS, code="invalid_credentials")
    return FirstFactor(user, stored, limits)


def charge_attempt(
    ctx: Context, conn: Connection, user: Row[Any] | None, identifier: str, ip: str | None
) -> list[throttling.Limit]:
    """Count a sign-in attempt against ``user``'s account (or, when ``identifier`` names no
    account, against that name) and the client address; returns the limits charged.

    Counted before any secret is checked, in the caller's transaction with the lookup, so
    parallel guesses cannot overshoot the limit; a success gives the attempt back.

    Raises:
        TooManyRequests: a counter is locked.
    """
    subject = (
        throttling.account_key(user.id)
        if user is not None
        else throttling.unknown_name_key(identifier)
    )
    limits = throttling.credential_limits(ctx.settings, subject, ip)
    throttling.record_failure(conn, limits, now_ms=ctx.clock.now_ms())
    return limits


def has_second_factor(user: Row[Any]) -> bool:
    """Whether signing in as ``user`` needs a TOTP code besides the first factor."""
    return bool(user.two_factor_enabled and user.two_factor_secret)


def check_second_factor(
    ctx: Context, user: Row[Any], totp_code: str | None, limits: list[throttling.Limit]
) -> None:
    """The TOTP step of any sign-in whose first factor (a password, a mailed code or link)
    was right; nothing to do when the user has no 2FA.

    Raises:
        Unauthorized: ``two_factor_required`` when the code is missing (the counted attempt is
            given back: the first factor was right, but nothing is reset before the second is
            proven too); ``invalid_two_factor_code`` when it is wrong, stale or replayed (it
            stays counted).
    """
    if not has_second_factor(user):
        return
    if not totp_code:
        with ctx.db.write() as conn:
            throttling.forgive(conn, limits)
        raise Unauthorized("Two-factor code required", code="two_factor_required")
    with ctx.db.write() as conn:
        fresh = consume_code(
            conn, user.id, user.two_factor_secret, totp_code, now_ms=ctx.clock.now_ms()
        )
    if not fresh:
        raise Unauthorized("Invalid two-factor code", code="invalid_two_factor_code")


def complete_password_login(
    ctx: Context, first: FirstFactor, password: str, *, ip: str | None, user_agent: str | None
) -> LoginResult:
    """Open the session of a password sign-in whose every factor was proven, rehashing the
    password when its hash parameters are outdated."""
    values = {"password_hash": hash_password(password)} if needs_rehash(first.stored_hash) else {}
    method = "password+totp" if has_second_factor(first.user) else "password"
    return sign_in(
        ctx,
        first.user,
        method=method,
        limits=first.limits,
        ip=ip,
        user_agent=user_agent,
        values=values,
    )


def sign_in(
    ctx: Context,
    user: Row[Any],
    *,
    method: str,
    limits: list[throttling.Limit],
    ip: str | None,
    user_agent: str | None,
    values: Mapping[str, object] | None = None,
) -> LoginResult:
    """Open a session for ``user`` once every factor was proven, whatever the method.

    The one path every sign-in ends on (password, one-time code, magic link), so the
    ``auth:login`` hooks, the throttle reset, ``last_login_at`` and the session's tokens are
    the same for all. ``limits`` are the counters the attempt was charged to (the account's
    first): the account's is cleared, the others get this attempt back. ``values`` are extra
    ``users`` columns to write (a password rehash).
    """
    now = ctx.clock.now_ms()
    columns: dict[str, object] = {**(values or {}), "last_login_at": now}
    event = {
        "user_id": user.id,
        "email": user.email,
        "username": user.username,
        "role": user.role,
        "method": method,
        "ip_address": ip,
        "user_agent": user_agent,
    }
    with ctx.db.write() as conn:
        # No actor yet: the sign-in is what makes one.
        hooks = ctx.hooks.scope(conn, None, ctx.db.read)
        hooks.filter(hookspecs.AUTH_LOGIN, dict(event))
        throttling.password_verified(conn, limits)
        conn.execute(update(User).where(User.id == user.id).values(**columns))
        tokens = open_session(
            conn,
            ctx.settings,
            now_ms=now,
            user_id=user.id,
            role=user.role,
            user_agent=user_agent,
            ip_address=ip,
        )
        hooks.after_commit(hookspecs.AUTH_LOGIN, event | {"session_id": tokens.session_id})
    hooks.fire()
    record = UserSelect.model_validate(dict(user._mapping) | {"last_login_at": now})
    return LoginResult(record, tokens)
