"""Keyed digests and random secrets for every token sonic-cms hands out.

A token's secret is shown once and only its HMAC-SHA256 (keyed with the server key, and with a
purpose label so that a digest of one kind never matches another kind) is stored: a leaked
database hands out no working refresh, reset, invitation, verification or API token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sonic_cms.config import Settings

#: The purpose label of API tokens moved in from SonicJS (stored only as this digest).
LEGACY_API_TOKEN_PURPOSE = "sonicjs_api_token"  # noqa: S105 - a label, not a secret


def keyed_digest(settings: Settings, purpose: str, secret: str) -> str:
    """Hex HMAC-SHA256 of ``secret`` under the server key, bound to ``purpose``."""
    message = f"{purpose}:{secret}".encode()
    return hmac.new(settings.effective_secret_key.encode(), message, hashlib.sha256).hexdigest()


def new_secret(prefix: str = "") -> str:
    """A 256-bit URL-safe random secret, with an optional recognisable prefix."""
    return prefix + secrets.token_urlsafe(32)
