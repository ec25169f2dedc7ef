"""TOTP two-factor authentication (RFC 6238, pyotp).

Enrolment returns a provisioning URI once (the only time the secret leaves the server); the
secret is kept in ``users.two_factor_secret`` and is never part of any response afterwards.
Login then requires a current code; disabling requires one too.
"""

from __future__ import annotations

import hmac

import pyotp
from sqlalchemy import Connection, Row, select, update

from sonic_cms.actors import Actor
from sonic_cms.auth import throttling
from sonic_cms.auth.throttling import insert_missing
from sonic_cms.context import Context
from sonic_cms.db.schema import AuthTotpStep, User
from sonic_cms.errors import Conflict, NotFound, Unauthorized, ValidationFailed

#: Codes from one step before or after are accepted, for clock drift.
VALID_WINDOW = 1


def matched_step(secret: str, code: str, *, now_ms: int) -> int | None:
    """The time step (± one, for drift) whose TOTP equals ``code``, or None."""
    if not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now = now_ms // 1000
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        moment = now + offset * totp.interval
        if hmac.compare_digest(totp.at(moment), code):
            return int(moment // totp.interval)
    return None


def code_is_valid(secret: str, code: str, *, now_ms: int) -> bool:
    """Whether ``code`` is the current TOTP (± one step) for ``secret`` at ``now_ms``."""
    return matched_step(secret, code, now_ms=now_ms) is not None


def consume_code(conn: Connection, user_id: str, secret: str, code: str, *, now_ms: int) -> bool:
    """Accept ``code`` once: its step must be newer than the last one this user used.

    Runs in the caller's write transaction, so two concurrent sign-ins with one code cannot
    both pass.
    """
    step = matched_step(secret, code, now_ms=now_ms)
    if step is None:
        return False
    insert_missing(conn, AuthTotpStep, {"user_id": user_id, "last_step": -1})
    last = conn.execute(
        select(AuthTotpStep.last_step).where(AuthTotpStep.user_id == user_id).with_for_update()
    ).scalar_one()
    if step <= last:
        return False
    conn.execute(update(AuthTotpStep).where(AuthTotpStep.user_id == user_id).values(last_step=step))
    return True


def _self(actor: Actor) -> str:
    if actor.kind != "user" or actor.user_id is None:
        raise Unauthorized("Sign in to manage two-factor authentication")
    return actor.user_id


def enroll(ctx: Context) -> str:
    """Start enrolment: store a new secret (not yet enabled); returns the provisioning URI."""
    user_id = _self(ctx.actor)
    secret = pyotp.random_base32()
    with ctx.db.write() as conn:
        row = conn.execute(
            select(User.email, User.two_factor_enabled).where(User.id == user_id)
        ).one()
        if row.two_factor_enabled:
            raise Conflict("Two-factor authentication is already enabled", code="2fa_enabled")
        conn.execute(update(User).where(User.id == user_id).values(two_factor_secret=secret))
    issuer = ctx.settings.totp_issuer
    return pyotp.TOTP(secret).provisioning_uri(name=row.email, issuer_name=issuer)


def _two_factor_state(conn: Connection, user_id: str) -> Row[str | None, bool | None]:
    return conn.execute(
        select(User.two_factor_secret, User.two_factor_enabled).where(User.id == user_id)
    ).one()


def _accept_code(
    conn: Connection,
    user_id: str,
    secret: str,
    code: str,
    limits: list[throttling.Limit],
    *,
    now_ms: int,
) -> None:
    """A right, unused code: it counts as used, and its throttle attempt is given back."""
    _require_fresh_code(conn, user_id, secret, code, now_ms=now_ms)
    throttling.forgive(conn, limits)


def confirm(ctx: Context, code: str, ip: str | None = None) -> None:
    """Enable 2FA once the user proves their app produces the right codes."""
    user_id = _self(ctx.actor)
    limits = _charge_code_check(ctx, user_id, ip)
    with ctx.db.write() as conn:
        row = _two_factor_state(conn, user_id)
        if row.two_factor_enabled:
            raise Conflict("Two-factor authentication is already enabled", code="2fa_enabled")
        if not row.two_factor_secret:
            raise Conflict("Start enrolment first", code="2fa_not_enrolled")
        _accept_code(conn, user_id, row.two_factor_secret, code, limits, now_ms=ctx.clock.now_ms())
        conn.execute(update(User).where(User.id == user_id).values(two_factor_enabled=True))


def disable(ctx: Context, code: str, ip: str | None = None) -> None:
    """Turn 2FA off; needs a current code so a stolen session alone cannot do it."""
    user_id = _self(ctx.actor)
    limits = _charge_code_check(ctx, user_id, ip)
    with ctx.db.write() as conn:
        row = _two_factor_state(conn, user_id)
        if not row.two_factor_enabled or not row.two_factor_secret:
            raise Conflict("Two-factor authentication is not enabled", code="2fa_disabled")
        _accept_code(conn, user_id, row.two_factor_secret, code, limits, now_ms=ctx.clock.now_ms())
        conn.execute(
            update(User)
            .where(User.id == user_id)
            .values(two_factor_enabled=False, two_factor_secret=None)
        )


def _charge_code_check(ctx: Context, user_id: str, ip: str | None) -> list[throttling.Limit]:
    """Count a code check against the sign-in throttle before it runs (429 while locked).

    A right code only gives its own attempt back (``forgive``), never clears the account's
    password failures: a stolen session could otherwise enrol a secret of its own and confirm
    it to wipe the counter between password guesses.
    """
    limits = throttling.credential_limits(ctx.settings, throttling.account_key(user_id), ip)
    throttling.charge(ctx, limits)
    return limits


def _require_fresh_code(
    conn: Connection, user_id: str, secret: str, code: str, *, now_ms: int
) -> None:
    """422 unless ``code`` is a current code not used before."""
    if not consume_code(conn, user_id, secret, code, now_ms=now_ms):
        raise ValidationFailed(
            "Validation failed", details=[{"path": "code", "message": "invalid code"}]
        )


def admin_reset(ctx: Context, user_id: str) -> None:
    """Turn a user's 2FA off for them (lost device); needs ``users.update``."""
    ctx.actor.require("users.update")
    with ctx.db.write() as conn:
        result = conn.execute(
            update(User)
            .where(User.id == user_id)
            .values(two_factor_enabled=False, two_factor_secret=None)
        )
    if result.rowcount == 0:
        raise NotFound("User not found", code="user_not_found")
