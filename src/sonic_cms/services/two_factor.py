"""TOTP two-factor authentication (RFC 6238, pyotp).

Enrolment returns a provisioning URI once (the only time the secret leaves the server); the
secret is kept in ``users.two_factor_secret`` and is never part of any response afterwards.
Login then requires a current code; disabling requires one too.
"""

from __future__ import annotations

import pyotp
from sqlalchemy import select, update

from sonic_cms.clock import Clock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import User
from sonic_cms.services.actors import Actor
from sonic_cms.services.errors import Conflict, Unauthorized, ValidationFailed

#: Codes from one step before or after are accepted, for clock drift.
VALID_WINDOW = 1


def code_is_valid(secret: str, code: str, clock: Clock) -> bool:
    """Whether ``code`` is the current TOTP (± one step) for ``secret`` at the clock's time."""
    if not code.isdigit() or len(code) != 6:
        return False
    totp = pyotp.TOTP(secret)
    return bool(totp.verify(code, for_time=clock.now_ms() // 1000, valid_window=VALID_WINDOW))


def _self(actor: Actor) -> str:
    if actor.kind != "user" or actor.user_id is None:
        raise Unauthorized("Sign in to manage two-factor authentication")
    return actor.user_id


def enroll(db: Database, actor: Actor, settings: Settings) -> str:
    """Start enrolment: store a new secret (not yet enabled); returns the provisioning URI."""
    user_id = _self(actor)
    secret = pyotp.random_base32()
    with db.write() as conn:
        row = conn.execute(
            select(User.email, User.two_factor_enabled).where(User.id == user_id)
        ).one()
        if row.two_factor_enabled:
            raise Conflict("Two-factor authentication is already enabled", code="2fa_enabled")
        conn.execute(update(User).where(User.id == user_id).values(two_factor_secret=secret))
    return pyotp.TOTP(secret).provisioning_uri(name=row.email, issuer_name=settings.totp_issuer)


def confirm(db: Database, actor: Actor, clock: Clock, code: str) -> None:
    """Enable 2FA once the user proves their app produces the right codes."""
    user_id = _self(actor)
    with db.write() as conn:
        row = conn.execute(
            select(User.two_factor_secret, User.two_factor_enabled).where(User.id == user_id)
        ).one()
        if row.two_factor_enabled:
            raise Conflict("Two-factor authentication is already enabled", code="2fa_enabled")
        if not row.two_factor_secret:
            raise Conflict("Start enrolment first", code="2fa_not_enrolled")
        if not code_is_valid(row.two_factor_secret, code, clock):
            raise ValidationFailed(
                "Validation failed", details=[{"path": "code", "message": "invalid code"}]
            )
        conn.execute(update(User).where(User.id == user_id).values(two_factor_enabled=True))


def disable(db: Database, actor: Actor, clock: Clock, code: str) -> None:
    """Turn 2FA off; needs a current code so a stolen session alone cannot do it."""
    user_id = _self(actor)
    with db.write() as conn:
        row = conn.execute(
            select(User.two_factor_secret, User.two_factor_enabled).where(User.id == user_id)
        ).one()
        if not row.two_factor_enabled or not row.two_factor_secret:
            raise Conflict("Two-factor authentication is not enabled", code="2fa_disabled")
        if not code_is_valid(row.two_factor_secret, code, clock):
            raise ValidationFailed(
                "Validation failed", details=[{"path": "code", "message": "invalid code"}]
            )
        conn.execute(
            update(User)
            .where(User.id == user_id)
            .values(two_factor_enabled=False, two_factor_secret=None)
        )
