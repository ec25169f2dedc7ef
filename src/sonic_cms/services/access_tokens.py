"""Short-lived signed access tokens (JWT, HS256 pinned) for signed-in users.

The algorithm is fixed on decode, so ``alg: none`` and key-confusion tokens are refused; the
issuer and audience bind a token to this deployment's key and name.
"""

from __future__ import annotations

import uuid
from typing import Any

import jwt

from sonic_cms.clock import Clock
from sonic_cms.config import Settings
from sonic_cms.services.errors import Unauthorized

ALGORITHM = "HS256"
ISSUER = "sonic-cms"
AUDIENCE = "sonic-cms-api"


def issue_access_token(settings: Settings, clock: Clock, *, user_id: str, role: str) -> str:
    """A signed access token for ``user_id`` valid for ``access_token_ttl_seconds``."""
    now = clock.now_ms() // 1000
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
    }
    return jwt.encode(claims, signing_key(settings), algorithm=ALGORITHM)


def decode_access_token(settings: Settings, clock: Clock, token: str) -> dict[str, Any]:
    """The claims of a valid access token; raises Unauthorized for anything else."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            signing_key(settings),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "typ", "jti"], "verify_exp": False},
        )
    except jwt.PyJWTError as exc:
        raise Unauthorized("Invalid or expired token", code="invalid_token") from exc
    # Expiry is checked against the injectable clock, not the wall clock.
    if claims.get("typ") != "access" or claims["exp"] <= clock.now_ms() // 1000:
        raise Unauthorized("Invalid or expired token", code="invalid_token")
    return claims


def signing_key(settings: Settings) -> str:
    """The HMAC key for tokens: the configured secret (development generates one per process)."""
    return settings.effective_secret_key
