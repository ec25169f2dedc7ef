"""One-time sign-in codes by email: issue, check, and trade for a session.

Storage. ``otp_codes.code`` holds HMAC-SHA256 of ``<row id>:<code>`` under the server key
(``digests.keyed_digest``, purpose ``otp_code``), never the code. Why not argon2: a code has
10^4 to 10^8 values, so no hash makes a stolen digest safe on its own; what protects a code is
the server key (a database without it reveals nothing, and whoever holds the key can mint
access tokens anyway), the expiry and the attempt limit. argon2 would add ~0.4 s of CPU to every
check, a lever for exhausting the server, and nothing else. The row id in the message keeps
two equal codes from having equal digests. Digests are compared with ``hmac.compare_digest``.

Rules. A new code replaces the address's live one; a code works once, until it expires, and
dies after ``maxAttempts`` wrong guesses. Requests count per address and per client, verifies
like password sign-in (per account or unknown name, and per client), so unknown and inactive
addresses get the same answers as real ones and no mail. A user with TOTP enrolled must give the
current TOTP code as well: the mailed code replaces the password, never the second factor.
"""

from __future__ import annotations

import hmac
import secrets

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from sqlalchemy import insert, select, update

from sonic_cms.auth.login import (
    LoginResult,
    charge_attempt,
    check_second_factor,
    has_second_factor,
    sign_in,
)
from sonic_cms.auth.mail import MailMessage
from sonic_cms.builtin_plugins.otp_login.tables import otp_codes
from sonic_cms.builtin_plugins.passwordless import (
    Caller,
    can_sign_in,
    charge_request,
    find_user,
    prune_spent,
)
from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.digests import keyed_digest
from sonic_cms.errors import Unauthorized
from sonic_cms.ids import new_id

PURPOSE = "otp_code"
INVALID = "Invalid or expired code"


class OtpSettings(BaseModel):
    """SonicJS's settings and limits (stored with its camelCase names)."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, serialize_by_alias=True)

    code_length: int = Field(6, ge=4, le=8, description="Digits in a code")
    code_expiry_minutes: int = Field(10, ge=5, le=60, description="How long a code works")
    max_attempts: int = Field(3, ge=3, le=10, description="Wrong guesses before a code dies")
    rate_limit_per_hour: int = Field(5, ge=3, le=20, description="Codes per address per hour")


def new_code(length: int) -> str:
    """``length`` uniformly random digits (no modulo bias)."""
    return f"{secrets.randbelow(10**length):0{length}d}"


def code_digest(settings: Settings, code_id: str, code: str) -> str:
    """What ``otp_codes.code`` stores for ``code`` in row ``code_id``."""
    return keyed_digest(settings, PURPOSE, f"{code_id}:{code}")


def request_code(
    ctx: Context, options: OtpSettings, address: str, who: Caller
) -> MailMessage | None:
    """Store a fresh code for an active account at ``address`` (replacing its live one); the
    mail to send, if any. The route answers the same either way.

    Raises:
        TooManyRequests: the address or the client asked too often (any address alike).
    """
    charge_request(ctx, "otp-request", address, who.ip, options.rate_limit_per_hour)
    now = ctx.clock.now_ms()
    code, code_id = new_code(options.code_length), new_id()
    with ctx.db.write() as conn:
        user = find_user(conn, address)
        if not can_sign_in(user):
            return None
        mine = otp_codes.c.user_email == address
        live = (otp_codes.c.used == 0) & (otp_codes.c.expires_at > now)
        conn.execute(update(otp_codes).where(mine, live).values(expires_at=now))
        prune_spent(conn, otp_codes, now)
        conn.execute(
            insert(otp_codes).values(
                id=code_id,
                user_email=address,
                code=code_digest(ctx.settings, code_id, code),
                expires_at=now + options.code_expiry_minutes * 60_000,
                used=0,
                attempts=0,
                ip_address=who.ip,
                user_agent=(who.user_agent or "")[:500] or None,
                created_at=now,
            )
        )
    return _mail(address, code, options)


def _mail(address: str, code: str, options: OtpSettings) -> MailMessage:
    body = (
        f"Your sign-in code is {code}\n\n"
        f"It works once, for {options.code_expiry_minutes} minutes, and stops working after "
        f"{options.max_attempts} wrong tries.\n\n"
        "If you did not ask for it, ignore this mail: nobody can sign in without the code.\n"
    )
    return MailMessage(to=address, subject="Your sign-in code", body=body)


def verify_code(
    ctx: Context,
    options: OtpSettings,
    address: str,
    code: str,
    totp_code: str | None,
    who: Caller,
) -> LoginResult:
    """Trade a live code (and the TOTP code when 2FA is on) for a session.

    Raises:
        TooManyRequests: the account (or unknown name) or the client is locked out.
        Unauthorized: ``invalid_otp_code`` for a wrong, expired, spent or exhausted code and
            for an unknown or inactive address alike; the 2FA codes of ``check_second_factor``.
    """
    with ctx.db.write() as conn:
        user = find_user(conn, address)
        limits = charge_attempt(ctx, conn, user, address, who.ip)
    code_id = _check(ctx, options, address, code)
    if code_id is None or user is None or not can_sign_in(user):
        raise Unauthorized(INVALID, code="invalid_otp_code")
    check_second_factor(ctx, user, totp_code, limits)
    now = ctx.clock.now_ms()
    with ctx.db.write() as conn:
        spent = conn.execute(
            update(otp_codes)
            .where(otp_codes.c.id == code_id, otp_codes.c.used == 0, otp_codes.c.expires_at > now)
            .values(used=1, used_at=now, attempts=otp_codes.c.attempts + 1)
        ).rowcount
    if not spent:  # a concurrent verify took it first
        raise Unauthorized(INVALID, code="invalid_otp_code")
    method = "otp+totp" if has_second_factor(user) else "otp"
    return sign_in(ctx, user, method=method, limits=limits, ip=who.ip, user_agent=who.user_agent)


def _check(ctx: Context, options: OtpSettings, address: str, code: str) -> str | None:
    """The id of the address's live code if ``code`` is it; a wrong guess is counted (and
    committed, as the caller raises afterwards)."""
    now = ctx.clock.now_ms()
    with ctx.db.write() as conn:
        row = conn.execute(
            select(otp_codes.c.id, otp_codes.c.code)
            .where(
                otp_codes.c.user_email == address,
                otp_codes.c.used == 0,
                otp_codes.c.expires_at > now,
                otp_codes.c.attempts < options.max_attempts,
            )
            .order_by(otp_codes.c.created_at.desc(), otp_codes.c.id)
            .limit(1)
            .with_for_update()
        ).first()
        if row is None:
            return None
        if hmac.compare_digest(row.code, code_digest(ctx.settings, row.id, code)):
            return str(row.id)
        conn.execute(
            update(otp_codes)
            .where(otp_codes.c.id == row.id)
            .values(attempts=otp_codes.c.attempts + 1)
        )
    return None
