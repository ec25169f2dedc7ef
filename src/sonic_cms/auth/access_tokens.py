"""Short-lived signed access tokens (JWT, HS256 pinned) for signed-in users.

The algorithm is fixed on decode, so ``alg: none`` and key-confusion tokens are refused; the
issuer and audience bind a token to this deployment's key and name.
"""

from __future__ import annotations

import uuid
from typing import Any

import jwt

from sonic_cms.config import Settings
from sonic_cms.errors import Unauthorized

ALGORITHM = "HS256"
ISSUER = "sonic-cms"
AUDIENCE = "sonic-cms-api"


def issue_access_token(
    settings: Settings, *, now_ms: int, user_id: str, role: str, session_id: str
) -> str:
    """A signed access token for ``user_id`` valid for ``access_token_ttl_seconds``.

    ``sid`` names the sign-in session, so revoking the session (logout, password reset)
    invalidates the token before it expires.
    """
    now = now_ms // 1000
    claims = {
        "sub": user_id,
        "role": role,
        "typ": "access",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + settings.access_token_ttl_seconds,
        "jti": uuid.uuid4().hex,
        "sid": session_id,
    }
    return jwt.encode(claims, signing_key(settings), algorithm=ALGORITHM)


def decode_access_token(settings: Settings, token: str, *, now_ms: int) -> dict[str, Any]:
    """The claims of a valid access token at ``now_ms``; raises Unauthorized for anything else."""
    claims = verified_claims(
        settings, token, typ="access", require=("iat", "sub", "jti", "sid"), now_ms=now_ms
    )
    if claims is None or not isinstance(claims.get("sid"), str):
        raise Unauthorized("Invalid or expired token", code="invalid_token")
    return claims


def verified_claims(
    settings: Settings,
    token: str,
    *,
    audience: str = AUDIENCE,
    typ: str,
    require: tuple[str, ...],
    now_ms: int,
) -> dict[str, Any] | None:
    """The claims of a token this deployment signed for ``audience`` and ``typ``, unexpired at
    ``now_ms``, with ``sub`` a string and every name in ``require`` present; None for anything
    else.

    One rule for every signed token the project issues (access tokens, the pending second
    step, email change links), so each caller only chooses the error it answers with. Expiry
    is checked against the caller's clock (injectable), not the wall clock PyJWT would use.
    """
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            signing_key(settings),
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=ISSUER,
            options={"require": ["exp", "typ", "sub", *require], "verify_exp": False},
        )
    except jwt.PyJWTError:
        return None
    live = isinstance(claims.get("exp"), int) and claims["exp"] > now_ms // 1000
    if claims.get("typ") != typ or not isinstance(claims.get("sub"), str) or not live:
        return None
    return claims


def signing_key(settings: Settings) -> str:
    """The HMAC key for tokens: the configured secret (development generates one per process)."""
    return settings.effective_secret_key
