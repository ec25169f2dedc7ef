"""Endpoint secrets: made in the Standard Webhooks ``whsec_`` form, kept encrypted at rest, and
used to sign each delivery with the ``standardwebhooks`` library.

The project stores secrets hashed where it can (passwords, API tokens, reset links), but a
signing secret must be read back to sign with, so a hash cannot serve. It is encrypted instead
(Fernet: AES-128-CBC with HMAC-SHA256) under a key derived by HKDF from SONIC_SECRET_KEY, so a
copy of the database or a backup alone does not give a forger the secrets. Changing
SONIC_SECRET_KEY makes the stored secrets unreadable: deliveries then fail until each endpoint
is given a new secret (docs/webhooks.md).
"""

from __future__ import annotations

import base64
import binascii
import secrets
from datetime import UTC, datetime

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from standardwebhooks import Webhook

from sonic_cms.config import Settings
from sonic_cms.errors import ValidationFailed

SECRET_PREFIX = "whsec_"  # noqa: S105 - the form's prefix, not a secret
#: Bytes of a generated secret (Standard Webhooks asks for 24 to 64).
SECRET_BYTES = 32
_MIN_BYTES, _MAX_BYTES = 24, 64
_HKDF_INFO = b"sonic-cms webhook endpoint secrets v1"


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted (SONIC_SECRET_KEY changed since it was stored)."""


def new_secret() -> str:
    """A fresh random secret in the ``whsec_<base64>`` form receivers' libraries read."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def checked_secret(value: object) -> str:
    """A client-given secret, if it is ``whsec_`` + base64 of 24 to 64 bytes.

    Raises:
        ValidationFailed: 422 on the ``secret`` field.
    """
    if isinstance(value, str) and value.startswith(SECRET_PREFIX) and len(value) <= 200:
        try:
            raw = base64.b64decode(value.removeprefix(SECRET_PREFIX), validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if _MIN_BYTES <= len(raw) <= _MAX_BYTES:
            return value
    problem = "must be whsec_ followed by the base64 of 24 to 64 random bytes"
    raise ValidationFailed("Validation failed", details=[{"path": "secret", "message": problem}])


def _fernet(settings: Settings) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        settings.effective_secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def seal(settings: Settings, secret: str) -> str:
    """``secret`` encrypted for storage."""
    return _fernet(settings).encrypt(secret.encode()).decode()


def unseal(settings: Settings, sealed: str) -> str:
    """The secret a stored value holds.

    Raises:
        SecretUnreadable: the value was sealed under another SONIC_SECRET_KEY.
    """
    try:
        return _fernet(settings).decrypt(sealed.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("the endpoint's secret was stored under another secret key") from exc


def signature_headers(secret: str, message_id: str, sent_at_ms: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers of one delivery attempt (the timestamp is the
    attempt's, in whole seconds, as the specification asks)."""
    sent_at = datetime.fromtimestamp(sent_at_ms // 1000, tz=UTC)
    signature = Webhook(secret).sign(message_id, sent_at, body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(sent_at_ms // 1000),
        "webhook-signature": signature,
    }
