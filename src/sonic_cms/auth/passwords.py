"""Password hashing: argon2id for new hashes; SonicJS's PBKDF2 and salted SHA-256 verified once.

A SonicJS user's legacy hash verifies at their next login and is then replaced by argon2id
(``needs_rehash`` says so), so moving in from SonicJS needs no password resets.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()
_LEGACY_SHA256_SALT = "salt-change-in-production"
#: Bounds hashing cost: argon2 reads the whole input, so a 1 MB "password" would be a DoS.
MAX_PASSWORD_LENGTH = 1024
#: Verified against for unknown users so that both paths cost the same. Made on first use, not
#: at import: one argon2 hash costs every process start (each CLI call) ~0.1-0.2 s otherwise.
DUMMY_HASH: str | None = None


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _HASHER.hash(password)


def password_columns(password: str, now_ms: int) -> dict[str, object]:
    """The users columns a new password sets: its hash, and a pending reset link burnt (a
    link mailed before the change must not undo it)."""
    return {
        "password_hash": hash_password(password),
        "password_reset_token": None,
        "password_reset_expires": None,
        "updated_at": now_ms,
    }


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash`` (argon2id, or a SonicJS legacy hash).

    Unknown users should be checked against :data:`DUMMY_HASH` so timing does not tell them
    apart from wrong passwords.
    """
    if not stored_hash or len(password) > MAX_PASSWORD_LENGTH:
        _spend_one_verification()
        return False
    if stored_hash.startswith("$argon2"):
        try:
            return _HASHER.verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
    if stored_hash.startswith("pbkdf2:"):
        return _verify_pbkdf2(stored_hash, password)
    if len(stored_hash) == 64:
        digest = hashlib.sha256((password + _LEGACY_SHA256_SALT).encode()).hexdigest()
        return hmac.compare_digest(digest, stored_hash.lower())
    return False


def _spend_one_verification() -> None:
    """Cost what a real verification costs, so a missing hash answers no faster."""
    global DUMMY_HASH
    if DUMMY_HASH is None:
        DUMMY_HASH = _HASHER.hash("sonic-cms dummy password for timing")
    with contextlib.suppress(VerifyMismatchError):
        _HASHER.verify(DUMMY_HASH, "not the dummy password")


def _verify_pbkdf2(stored_hash: str, password: str) -> bool:
    try:
        _, iterations, salt_hex, hash_hex = stored_hash.split(":")
        expected = bytes.fromhex(hash_hex)
        derived = hashlib.pbkdf2_hmac(
            "sha256", password.encode(), bytes.fromhex(salt_hex), int(iterations), len(expected)
        )
    except ValueError:
        return False
    return hmac.compare_digest(derived, expected)


def needs_rehash(stored_hash: str) -> bool:
    """Whether a verified hash should be replaced: legacy format or outdated argon2 parameters."""
    if not stored_hash.startswith("$argon2"):
        return True
    return _HASHER.check_needs_rehash(stored_hash)
