"""Signing in over two requests: the password first, the TOTP code next.

A browser form cannot keep the password between the two steps without writing it back into
the page. Instead, once the password is proven, :func:`begin_login` hands out a short-lived
signed token saying "this account's first factor was verified"; :func:`finish_login` takes that
token and the code. The token (a JWT signed with the deployment's secret, its own audience and
type, so it never passes as an access token) is bound to:

- the user (``sub``);
- the caller's ``binding`` (the admin passes its CSRF cookie seed), so a token copied out of
  one browser is worthless in another;
- the account's state: a digest of the password hash and ``last_login_at``, so the token dies
  when the password changes and when it has been used (a sign-in moves ``last_login_at``);
- five minutes (``exp``, checked against the service clock).

Code attempts are charged to the account's and the client's throttle counters exactly as in a
one-request sign-in (:func:`sonic_cms.auth.login.check_second_factor`).
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from sqlalchemy import Row, select, update

from sonic_cms.auth import throttling
from sonic_cms.auth.access_tokens import ALGORITHM, ISSUER, signing_key, verified_claims
from sonic_cms.auth.login import (
    LoginResult,
    charge_attempt,
    check_second_factor,
    complete_password_login,
    has_second_factor,
    sign_in,
    verify_first_factor,
)
from sonic_cms.auth.passwords import hash_password, needs_rehash
from sonic_cms.context import Context
from sonic_cms.db.schema import User
from sonic_cms.digests import keyed_digest
from sonic_cms.errors import Unauthorized

AUDIENCE = "sonic-cms-second-factor"
PENDING_TYPE = "second_factor_pending"
TTL_SECONDS = 300
EXPIRED = "Your sign-in has expired; enter your password again"


@dataclass(frozen=True)
class SecondFactorPending:
    """The password was right; the account also needs its TOTP code, sent with ``token``."""

    token: str
    expires_at_ms: int


def begin_login(
    ctx: Context,
    *,
    identifier: str,
    password: str,
    binding: str,
    ip: str | None = None,
    user_agent: str | None = None,
) -> LoginResult | SecondFactorPending:
    """The password step: a session for an account without 2FA, else a pending token.

    Raises:
        Unauthorized: ``invalid_credentials``, as :func:`sonic_cms.auth.login.login`.
        TooManyRequests: a counter is locked.
    """
    first = verify_first_factor(ctx, identifier=identifier, password=password, ip=ip)
    if not has_second_factor(first.user):
        return complete_password_login(ctx, first, password, ip=ip, user_agent=user_agent)
    stored = first.stored_hash
    with ctx.db.write() as conn:
        # The first factor was right: the attempt is given back, as when a one-request
        # sign-in lacks its code; nothing is reset before the second factor is proven too.
        throttling.forgive(conn, first.limits)
        if needs_rehash(stored):  # the password is at hand only in this step
            stored = hash_password(password)
            conn.execute(update(User).where(User.id == first.user.id).values(password_hash=stored))
    now = ctx.clock.now_ms() // 1000
    claims = {
        "sub": first.user.id,
        "typ": PENDING_TYPE,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + TTL_SECONDS,
        "jti": uuid.uuid4().hex,
        "st": _state(ctx, stored, first.user.last_login_at, binding),
    }
    token = jwt.encode(claims, signing_key(ctx.settings), algorithm=ALGORITHM)
    return SecondFactorPending(token, (now + TTL_SECONDS) * 1000)


def finish_login(
    ctx: Context,
    *,
    token: str,
    totp_code: str | None,
    binding: str,
    ip: str | None = None,
    user_agent: str | None = None,
) -> LoginResult:
    """The code step: open the session when ``token`` is live for ``binding`` and the code is
    right.

    Raises:
        Unauthorized: ``sign_in_expired`` for a forged, expired, used or foreign token (or an
            account that changed meanwhile: password, deactivation, 2FA turned off);
            ``two_factor_required`` / ``invalid_two_factor_code`` as
            :func:`sonic_cms.auth.login.check_second_factor`.
        TooManyRequests: a counter is locked.
    """
    claims = _pending_claims(ctx, token)
    with ctx.db.write() as conn:
        user = conn.execute(
            select(*User.__table__.columns).where(User.id == str(claims["sub"]))
        ).first()
        live = user is not None and _still_pending(ctx, user, str(claims["st"]), binding)
        # Counted before the code is checked, as every credential check is.
        limits = charge_attempt(ctx, conn, user, user.email, ip) if live and user else []
    if not live or user is None:
        raise Unauthorized(EXPIRED, code="sign_in_expired")
    check_second_factor(ctx, user, totp_code, limits)
    return sign_in(ctx, user, method="password+totp", limits=limits, ip=ip, user_agent=user_agent)


def _pending_claims(ctx: Context, token: str) -> dict[str, Any]:
    """The claims of a well-signed, unexpired pending token; ``sign_in_expired`` otherwise."""
    now = ctx.clock.now_ms()
    claims = verified_claims(
        ctx.settings, token, audience=AUDIENCE, typ=PENDING_TYPE, require=("st",), now_ms=now
    )
    if claims is None:
        raise Unauthorized(EXPIRED, code="sign_in_expired")
    return claims


def _still_pending(ctx: Context, user: Row[Any], state: str, binding: str) -> bool:
    """Whether ``user`` is still the account the token's ``state`` was taken from, for this
    ``binding``."""
    if not user.is_active or not has_second_factor(user) or not user.password_hash:
        return False
    expected = _state(ctx, user.password_hash, user.last_login_at, binding)
    return hmac.compare_digest(state, expected)


def _state(ctx: Context, password_hash: str, last_login_at: int | None, binding: str) -> str:
    """What the token stays valid for: this password, no sign-in since, this browser."""
    return keyed_digest(ctx.settings, "second_factor", f"{password_hash}|{last_login_at}|{binding}")
