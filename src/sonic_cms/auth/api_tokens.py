"""API tokens: long-lived credentials for programs, scoped to a subset of the owner's rights.

Format: ``sonic_`` + 40 random base62 characters + a 6-character base62 CRC32 of them. The prefix
lets secret scanners spot a leak; the checksum lets a typo or a forgery be refused without a
database lookup. Only ``HMAC-SHA256(server key, token)`` is stored (the seed stores plaintext).
At use, the token's permissions are intersected with its owner's current role permissions, so
they shrink at once when the owner loses one, and a deactivated owner's tokens stop working.
"""

from __future__ import annotations

import re
import secrets
import string
import zlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, or_, select, update

from sonic_cms.actors import Actor
from sonic_cms.auth.roles import role_permissions
from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.db.schema import ApiToken, User
from sonic_cms.digests import LEGACY_API_TOKEN_PURPOSE, keyed_digest
from sonic_cms.errors import Forbidden, NotFound, Unauthorized, ValidationFailed
from sonic_cms.ids import new_id

PREFIX = "sonic_"
_ALPHABET = string.digits + string.ascii_letters
_BODY_LENGTH = 40
_CHECK_LENGTH = 6
_SHAPE = re.compile(rf"^{PREFIX}[0-9A-Za-z]{{{_BODY_LENGTH + _CHECK_LENGTH}}}$")
_PURPOSE = "api_token"
_INVALID = "Invalid or expired token"


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, rest = divmod(number, 62)
        digits.append(_ALPHABET[rest])
    return "".join(reversed(digits))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), _CHECK_LENGTH)


def generate_token() -> str:
    """A new token string: prefix, random body, checksum."""
    body = "".join(secrets.choice(_ALPHABET) for _ in range(_BODY_LENGTH))
    return PREFIX + body + _checksum(body)


def looks_like_api_token(value: str) -> bool:
    """Whether ``value`` is an API token rather than a JWT access token.

    sonic-cms tokens start with the prefix; a SonicJS token moved in by the importer has no
    prefix, but neither has it the two dots of a JWT.
    """
    return value.startswith(PREFIX) or value.count(".") != 2


def legacy_digest(settings: Settings, value: str) -> str:
    """The stored form of a token imported from SonicJS."""
    return keyed_digest(settings, LEGACY_API_TOKEN_PURPOSE, value)


def _stored_digest(settings: Settings, value: str) -> str:
    """The digest to look a presented token up by; 401 for a malformed sonic-cms token."""
    if not value.startswith(PREFIX):
        if not 16 <= len(value) <= 256:
            raise Unauthorized(_INVALID, code="invalid_token")
        return legacy_digest(settings, value)
    if not is_well_formed(value):
        raise Unauthorized(_INVALID, code="invalid_token")
    return keyed_digest(settings, _PURPOSE, value)


def is_well_formed(value: str) -> bool:
    """Shape and checksum are right; no database lookup needed to refuse the rest."""
    if not _SHAPE.match(value):
        return False
    body = value[len(PREFIX) : len(PREFIX) + _BODY_LENGTH]
    return secrets.compare_digest(_checksum(body), value[-_CHECK_LENGTH:])


@dataclass(frozen=True)
class TokenUse:
    """The actor behind a token, when the token expires and when it was last used."""

    actor: Actor
    expires_at: int | None
    last_used_at: int | None


def public_token(row: Any) -> dict[str, Any]:
    """A token as the API shows it: never the secret, never the digest."""
    return {
        "id": row.id,
        "name": row.name,
        "user_id": row.user_id,
        "permissions": list(row.permissions or []),
        "expires_at": row.expires_at,
        "last_used_at": row.last_used_at,
        "created_at": row.created_at,
    }


def create_token(
    ctx: Context,
    *,
    name: str,
    permissions: list[str],
    expires_at: int | None = None,
    user_id: str | None = None,
) -> tuple[dict[str, Any], str]:
    """Create a token for the actor (the system may name any user); returns (row, secret).

    The secret is returned once and never stored. Permissions beyond the owner's are refused
    (403): a token can never do more than the person who made it.
    """
    actor = ctx.actor
    actor.require("api_tokens.create")
    if actor.kind == "token":
        raise Forbidden("API tokens cannot create API tokens", code="token_cannot_create_tokens")
    owner = user_id if actor.is_system else actor.user_id
    if owner is None:
        raise ValidationFailed(
            "Validation failed", details=[{"path": "user_id", "message": "required"}]
        )
    now = ctx.clock.now_ms()
    _validate_new(name, permissions, expires_at, now_ms=now)
    with ctx.db.write() as conn:
        user = conn.execute(select(User.role, User.is_active).where(User.id == owner)).first()
        if user is None or not user.is_active:
            raise NotFound("User not found", code="user_not_found")
        allowed = role_permissions(ctx, user.role, conn)
        if not actor.is_system:
            allowed = allowed & actor.permissions
        beyond = sorted(set(permissions) - allowed)
        if beyond:
            raise Forbidden(
                "A token cannot hold permissions its creator lacks",
                code="token_escalation",
                details=[{"path": "permissions", "message": p} for p in beyond],
            )
        secret = generate_token()
        values = {
            "id": new_id(),
            "name": name,
            "token": keyed_digest(ctx.settings, _PURPOSE, secret),
            "user_id": owner,
            "permissions": sorted(set(permissions)),
            "expires_at": expires_at,
            "last_used_at": None,
            "created_at": now,
        }
        conn.execute(insert(ApiToken).values(**values))
        row = conn.execute(select(ApiToken.__table__).where(ApiToken.id == values["id"])).one()
    return public_token(row), secret


def _validate_new(
    name: str, permissions: list[str], expires_at: int | None, *, now_ms: int
) -> None:
    problems = []
    if not name.strip() or len(name) > 200:
        problems.append({"path": "name", "message": "must be 1 to 200 characters"})
    if not permissions:
        problems.append({"path": "permissions", "message": "must name at least one permission"})
    if expires_at is not None and expires_at <= now_ms:
        problems.append({"path": "expires_at", "message": "must be in the future"})
    if problems:
        raise ValidationFailed("Validation failed", details=problems)


def list_tokens(ctx: Context, *, all_users: bool = False) -> list[dict[str, Any]]:
    """The actor's tokens, or everyone's with ``api_tokens.manage``."""
    actor = ctx.actor
    actor.require("api_tokens.read")
    query = select(*ApiToken.__table__.columns).order_by(ApiToken.created_at.desc(), ApiToken.id)
    if all_users:
        actor.require("api_tokens.manage")
    else:
        query = query.where(ApiToken.user_id == actor.user_id)
    with ctx.db.read() as conn:
        return [public_token(row) for row in conn.execute(query)]


def revoke_token(ctx: Context, token_id: str) -> None:
    """Delete a token: one's own with ``api_tokens.delete``, anyone's with ``api_tokens.manage``."""
    actor = ctx.actor
    actor.require("api_tokens.delete")
    query = delete(ApiToken).where(ApiToken.id == token_id)
    if not actor.can("api_tokens.manage"):
        query = query.where(ApiToken.user_id == actor.user_id)
    with ctx.db.write() as conn:
        if conn.execute(query).rowcount == 0:
            raise NotFound("Token not found", code="token_not_found")


def resolve_token(ctx: Context, value: str) -> TokenUse:
    """The actor behind an API token; 401 when malformed, unknown, expired or owner inactive."""
    settings = ctx.settings
    digest = _stored_digest(settings, value)
    now = ctx.clock.now_ms()
    with ctx.db.read() as conn:
        row = conn.execute(
            select(*ApiToken.__table__.columns, User.role, User.is_active)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token == digest)
        ).first()
        if row is None or not row.is_active:
            raise Unauthorized(_INVALID, code="invalid_token")
        token = row
        if token.expires_at is not None and token.expires_at <= now:
            raise Unauthorized(_INVALID, code="invalid_token")
        granted = role_permissions(ctx, row.role, conn)
    actor = Actor(
        kind="token",
        user_id=token.user_id,
        role=row.role,
        permissions=frozenset(token.permissions or []) & granted,
        token_id=token.id,
    )
    return TokenUse(actor, token.expires_at, token.last_used_at)


def touch_due(settings: Settings, last_used_at: int | None, now_ms: int) -> bool:
    """Whether a use at ``now_ms`` should be written: at most once per touch interval."""
    interval = settings.api_token_touch_interval_seconds * 1000
    return last_used_at is None or now_ms - last_used_at >= interval


class PendingTouches:
    """Token uses waiting to be written, so that ``last_used_at`` costs no request a write: the
    server's background task hands them to :func:`write_touches` about once a second."""

    def __init__(self) -> None:
        self._pending: dict[str, int] = {}

    def add(self, token_id: str, used_at: int) -> None:
        """Record a use of ``token_id`` at ``used_at`` (epoch ms)."""
        self._pending[token_id] = used_at

    def take(self) -> dict[str, int]:
        """Every recorded use since the last call (token id -> when)."""
        taken, self._pending = self._pending, {}
        return taken

    def __len__(self) -> int:
        return len(self._pending)


def write_touches(ctx: Context, uses: dict[str, int]) -> None:
    """Write ``last_used_at`` for each token used, in one transaction, never moving it back and
    at most once per touch interval even when several processes race."""
    if not uses:
        return
    interval = ctx.settings.api_token_touch_interval_seconds * 1000
    with ctx.db.write() as conn:
        for token_id, used_at in uses.items():
            conn.execute(
                update(ApiToken)
                .where(
                    ApiToken.id == token_id,
                    or_(
                        ApiToken.last_used_at.is_(None),
                        ApiToken.last_used_at <= used_at - interval,
                    ),
                )
                .values(last_used_at=used_at)
            )
