"""Changing one's email address: a link mailed to the NEW address; the address changes only
when that link is confirmed, and the old address is then told.

No column holds a pending address, so the link carries everything (no migration): a JWT signed
with the deployment's key (HS256 pinned, its own ``typ`` and audience, so it never passes as an
access token and an access token never passes as this) naming the user, the new address, its
expiry and a keyed digest of the account's current email and ``updated_at``. Confirming changes
both, so a link works once: a second use, or any older link of the same account (another
requested address), no longer matches the account and is refused (400). A link expires after
``email_verification_ttl_seconds``.
"""

from __future__ import annotations

from typing import Any

import jwt
from pydantic import EmailStr, TypeAdapter, ValidationError
from sqlalchemy import Connection, func, select, update

from sonic_cms.auth.access_tokens import ALGORITHM, ISSUER, signing_key, verified_claims
from sonic_cms.auth.mail import MailMessage
from sonic_cms.auth.user_admin import check_current_password
from sonic_cms.auth.users import public_user
from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.db.schema import User
from sonic_cms.digests import keyed_digest
from sonic_cms.errors import BadRequest, Conflict, Unauthorized, ValidationFailed

PURPOSE = "email_change"
AUDIENCE = "sonic-cms-email-change"
TYP = "email_change"
#: Where the mailed link leads: the admin's confirmation page (a button, so that a mail
#: scanner fetching the link changes nothing); API clients post the token to
#: ``POST /auth/confirm-email-change``.
CONFIRM_PATH = "/admin/confirm-email"
INVALID = "Invalid or expired email change link"
MAX_TOKEN = 2000
_EMAIL = TypeAdapter(EmailStr)


def _fingerprint(settings: Settings, email: str, updated_at: int) -> str:
    """What changes when the link is used: the account's email and its last update."""
    return keyed_digest(settings, PURPOSE, f"{email.lower()}\n{updated_at}")


def _normalized(email: str) -> str:
    try:
        return str(_EMAIL.validate_python(email.strip())).lower()
    except ValidationError as exc:
        problem = {"path": "email", "message": "is not a valid email address"}
        raise ValidationFailed("Validation failed", details=[problem]) from exc


def _refuse_taken(conn: Connection, user_id: str, email: str) -> None:
    clash = conn.execute(
        select(User.id).where(func.lower(User.email) == email, User.id != user_id)
    ).first()
    if clash is not None:
        raise Conflict("A user with this email already exists", code="duplicate_email")


def confirm_link(settings: Settings, token: str) -> str:
    """The absolute link the mail carries."""
    return f"{settings.site_url}{CONFIRM_PATH}?token={token}"


def request_change(
    ctx: Context, *, new_email: str, password: str, ip: str | None = None
) -> MailMessage:
    """Mail a confirmation link to ``new_email`` for the signed-in user.

    The current password is required (throttled like a sign-in): a stolen session alone cannot
    move the account to another address. 422 for an invalid or unchanged address, 409 when
    another account uses it, 403 ``wrong_password``.
    """
    actor = ctx.actor
    if actor.kind != "user" or actor.user_id is None:
        raise Unauthorized("Sign in to change your email")
    email = _normalized(new_email)
    check_current_password(ctx, actor.user_id, password, ip=ip)
    settings = ctx.settings
    now = ctx.clock.now_ms()
    with ctx.db.read() as conn:
        row = conn.execute(
            select(User.email, User.updated_at).where(User.id == actor.user_id)
        ).one()
        if row.email.lower() == email:
            problem = {"path": "email", "message": "is already your address"}
            raise ValidationFailed("Validation failed", details=[problem])
        _refuse_taken(conn, actor.user_id, email)
    claims = {
        "typ": TYP,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": actor.user_id,
        "email": email,
        "fp": _fingerprint(settings, row.email, row.updated_at),
        "iat": now // 1000,
        "exp": now // 1000 + settings.email_verification_ttl_seconds,
    }
    token = jwt.encode(claims, signing_key(settings), algorithm=ALGORITHM)
    hours = max(1, settings.email_verification_ttl_seconds // 3600)
    body = (
        "Someone (hopefully you) asked to use this address for their sonic-cms account.\n\n"
        f"Open this link within {hours} hour(s) to confirm the change:\n"
        f"{confirm_link(settings, token)}\n\nIf you did not ask for this, ignore this mail.\n"
    )
    return MailMessage(to=email, subject="Confirm your new email address", body=body)


def _claims(ctx: Context, token: str) -> dict[str, Any]:
    """The link's claims when it is well-formed, signed by us and not expired; else 400."""
    if len(token) > MAX_TOKEN:
        raise BadRequest(INVALID, code="invalid_email_change_token")
    now = ctx.clock.now_ms()
    claims = verified_claims(
        ctx.settings, token, audience=AUDIENCE, typ=TYP, require=("email", "fp"), now_ms=now
    )
    if claims is None or not all(isinstance(claims.get(k), str) for k in ("email", "fp")):
        raise BadRequest(INVALID, code="invalid_email_change_token")
    return claims


def _require_live(settings: Settings, row: Any, claims: dict[str, Any]) -> Any:
    """``row``, unless the account is missing, inactive or changed since the link was made
    (400)."""
    if (
        row is None
        or not row.is_active
        or _fingerprint(settings, row.email, row.updated_at) != claims["fp"]
    ):
        raise BadRequest(INVALID, code="invalid_email_change_token")
    return row


def confirm_change(ctx: Context, token: str) -> tuple[dict[str, Any], MailMessage]:
    """Move the account named by the link to its new address (marked verified: the link
    reached it); the user and a notice for the OLD address.

    Needs no session (the link may be opened on another device): the signed token is the
    authority. 400 for an unknown, altered, expired or used link (or a deactivated account),
    409 when the address was taken in the meantime.
    """
    claims = _claims(ctx, token)
    settings = ctx.settings
    now = ctx.clock.now_ms()
    with ctx.db.write() as conn:
        row = conn.execute(
            select(User.email, User.updated_at, User.is_active)
            .where(User.id == claims["sub"])
            .with_for_update()
        ).first()
        row = _require_live(settings, row, claims)
        _refuse_taken(conn, claims["sub"], claims["email"])
        conn.execute(
            update(User)
            .where(User.id == claims["sub"])
            .values(
                email=claims["email"],
                email_verified=True,
                email_verification_token=None,
                # strictly later, so even a frozen clock makes the link's fingerprint stale
                updated_at=max(now, row.updated_at + 1),
            )
        )
        user = public_user(
            conn.execute(select(*User.__table__.columns).where(User.id == claims["sub"])).one()
        )
    notice = MailMessage(
        to=row.email,
        subject="Your sonic-cms email address was changed",
        body=(
            f"The sonic-cms account that used this address now uses {claims['email']}.\n\n"
            "If you did not make this change, contact your administrator at once.\n"
        ),
    )
    return user, notice


def pending_change(ctx: Context, token: str) -> dict[str, str]:
    """What a still-usable link would do (the confirmation page shows it before the button):
    ``{"email": <new address>}``; 400 like :func:`confirm_change` for a dead link."""
    claims = _claims(ctx, token)
    with ctx.db.read() as conn:
        row = conn.execute(
            select(User.email, User.updated_at, User.is_active).where(User.id == claims["sub"])
        ).first()
    _require_live(ctx.settings, row, claims)
    return {"email": str(claims["email"])}
