"""Password reset: one answer whether the email exists or not, single-use hashed tokens.

The token is stored as a keyed digest with ``password_reset_expires``; using it sets the new
password, clears the token and revokes every session of the user (a thief's too).
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select, update

from sonic_cms.auth import throttling
from sonic_cms.auth.mail import MailMessage, link
from sonic_cms.auth.passwords import password_columns
from sonic_cms.auth.sessions import revoke_all_sessions
from sonic_cms.auth.users import check_password_policy
from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.db.schema import User
from sonic_cms.digests import keyed_digest, new_secret
from sonic_cms.errors import BadRequest

PURPOSE = "password_reset"
INVALID = "Invalid or expired reset token"


def request_reset(ctx: Context, email: str, ip: str | None = None) -> MailMessage | None:
    """Store a reset token for an active user with this email; the mail to send, if any.

    The caller answers the same way either way. Requests count per address and per client
    (existing or not, so the limit reveals nothing): past the limit, 429 instead of mail.
    """
    settings = ctx.settings
    token = new_secret()
    digest = keyed_digest(settings, PURPOSE, token)
    limits = throttling.mail_request_limits(
        "reset", email, ip, settings.password_reset_requests_per_hour
    )
    with ctx.db.write() as conn:
        throttling.record_failure(conn, limits, now_ms=ctx.clock.now_ms())
    expires = ctx.clock.now_ms() + settings.password_reset_ttl_seconds * 1000
    with ctx.db.write() as conn:
        row = conn.execute(
            select(User.id, User.email).where(
                func.lower(User.email) == email.strip().lower(),
                User.is_active == True,  # noqa: E712
            )
        ).first()
        if row is None:
            return None
        conn.execute(
            update(User)
            .where(User.id == row.id)
            .values(password_reset_token=digest, password_reset_expires=expires)
        )
    minutes = settings.password_reset_ttl_seconds // 60
    body = (
        "Someone asked to reset the password of your account.\n\n"
        f"Open this link within {minutes} minutes to choose a new one:\n"
        f"{link(settings, '/auth/reset-password', token)}\n\n"
        "If it was not you, ignore this mail; your password stays as it is.\n"
    )
    return MailMessage(to=row.email, subject="Reset your password", body=body)


def check_token(ctx: Context, token: str) -> None:
    """400 unless ``token`` is a live reset token."""
    with ctx.db.read() as conn:
        _find(conn, ctx.settings, token, now_ms=ctx.clock.now_ms())


def _find(conn: Connection, settings: Settings, token: str, *, now_ms: int) -> tuple[str, str, str]:
    row = conn.execute(
        select(User.id, User.email, User.username).where(
            User.password_reset_token == keyed_digest(settings, PURPOSE, token),
            User.password_reset_expires > now_ms,
            User.is_active == True,  # noqa: E712
        )
    ).first()
    if row is None or len(token) > 200:
        raise BadRequest(INVALID, code="invalid_reset_token")
    return str(row.id), str(row.email), str(row.username)


def reset_password(ctx: Context, token: str, password: str) -> None:
    """Set the new password, burn the token and sign the user out everywhere."""
    now = ctx.clock.now_ms()
    with ctx.db.write() as conn:
        user_id, email, username = _find(conn, ctx.settings, token, now_ms=now)
        check_password_policy(password, email=email, username=username)
        conn.execute(
            update(User)
            .where(User.id == user_id)
            .values(
                **password_columns(password, now),
                email_verified=True,  # the mail reached its owner
            )
        )
        revoke_all_sessions(conn, user_id, now_ms=now)
