"""Email verification: a mailed single-use link that sets ``email_verified``.

The seed has no expiry column for ``email_verification_token``, so the token carries its issue
time (``<ms>.<random>``); the stored keyed digest covers both, so the time cannot be altered.
"""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from sonic_cms.auth.mail import MailMessage, link
from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.db.schema import User
from sonic_cms.digests import keyed_digest, new_secret
from sonic_cms.errors import BadRequest, Conflict, Unauthorized

PURPOSE = "email_verification"
INVALID = "Invalid or expired verification token"


def issue(conn: Connection, settings: Settings, user_id: str, *, now_ms: int) -> MailMessage:
    """Store a new verification token for ``user_id``; the mail that carries it."""
    token = f"{now_ms}.{new_secret()}"
    conn.execute(
        update(User)
        .where(User.id == user_id)
        .values(email_verification_token=keyed_digest(settings, PURPOSE, token))
    )
    email = conn.execute(select(User.email).where(User.id == user_id)).scalar_one()
    body = (
        "Confirm your email address by opening this link:\n"
        f"{link(settings, '/auth/verify-email', token)}\n"
    )
    return MailMessage(to=email, subject="Confirm your email address", body=body)


def resend(ctx: Context) -> MailMessage:
    """A new verification mail for the signed-in user (409 when already verified)."""
    actor = ctx.actor
    if actor.kind != "user" or actor.user_id is None:
        raise Unauthorized("Sign in to verify your email")
    with ctx.db.write() as conn:
        verified = conn.execute(
            select(User.email_verified).where(User.id == actor.user_id)
        ).scalar()
        if verified:
            raise Conflict("Email already verified", code="already_verified")
        return issue(conn, ctx.settings, actor.user_id, now_ms=ctx.clock.now_ms())


def verify(ctx: Context, token: str) -> None:
    """Mark the email verified and burn the token; 400 when unknown, used or expired."""
    issued, _, _ = token.partition(".")
    ttl_ms = ctx.settings.email_verification_ttl_seconds * 1000
    if not issued.isdigit() or len(token) > 200 or ctx.clock.now_ms() - int(issued) > ttl_ms:
        raise BadRequest(INVALID, code="invalid_verification_token")
    digest = keyed_digest(ctx.settings, PURPOSE, token)
    with ctx.db.write() as conn:
        result = conn.execute(
            update(User)
            .where(User.email_verification_token == digest)
            .values(
                email_verified=True, email_verification_token=None, updated_at=ctx.clock.now_ms()
            )
        )
        if result.rowcount == 0:
            raise BadRequest(INVALID, code="invalid_verification_token")
