"""Invitations: an admin invites an email with a role; the invitee sets a password once.

The invited user exists from the start (inactive, no password) with ``invited_by`` and
``invited_at``; the invitation token is stored as a keyed digest and burnt on acceptance, which
records ``accepted_invitation_at`` and activates the account.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, Row, insert, select, update

from sonic_cms.auth.mail import MailMessage, link
from sonic_cms.auth.passwords import hash_password
from sonic_cms.auth.sessions import IssuedTokens, open_session
from sonic_cms.auth.user_admin import check_role_assignable
from sonic_cms.auth.users import (
    check_password_policy,
    filter_registration,
    public_user,
    refuse_duplicates,
    validation_details,
)
from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.db.records import UserInsert
from sonic_cms.db.schema import User
from sonic_cms.digests import keyed_digest, new_secret
from sonic_cms.errors import BadRequest, ValidationFailed
from sonic_cms.ids import new_id
from sonic_cms.plugins import hookspecs

PURPOSE = "invitation"
INVALID = "Invalid or expired invitation"


def _username_for(email: str) -> str:
    local = re.sub(r"[^A-Za-z0-9_.-]", "", email.split("@")[0])[:40] or "user"
    return f"{local}_{secrets.token_hex(3)}"


def invite(
    ctx: Context,
    *,
    email: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
) -> tuple[dict[str, Any], MailMessage]:
    """Create the invited (inactive) user and the invitation mail."""
    ctx.actor.require("users.create")
    check_role_assignable(ctx, role)
    settings = ctx.settings
    token = new_secret()
    now = ctx.clock.now_ms()
    try:
        record = UserInsert(
            id=new_id(),
            email=email.strip().lower(),
            username=_username_for(email),
            first_name=first_name or "Invited",
            last_name=last_name or "User",
            role=role,
            is_active=False,
            created_at=now,
            updated_at=now,
        )
    except ValidationError as exc:
        raise ValidationFailed("Validation failed", details=validation_details(exc)) from exc
    with ctx.db.write() as conn:
        hooks = ctx.hook_scope(conn)
        record = filter_registration(hooks, record, "invitation")
        refuse_duplicates(conn, record.email, record.username)
        conn.execute(
            insert(User).values(
                **record.model_dump(),
                invitation_token=keyed_digest(settings, PURPOSE, token),
                invited_by=ctx.actor.user_id,
                invited_at=now,
            )
        )
        user = public_user(
            conn.execute(select(*User.__table__.columns).where(User.id == record.id)).one()
        )
        hooks.after_commit(hookspecs.AUTH_REGISTER, user, method="invitation")
        hooks.record(hookspecs.AUTH_REGISTER, lambda: user)
    hooks.fire()
    days = max(1, settings.invitation_ttl_seconds // 86400)
    body = (
        f"You have been invited to sonic-cms as {role}.\n\n"
        f"Open this link within {days} day(s) to choose your password:\n"
        f"{link(settings, '/auth/accept-invitation', token)}\n"
    )
    return user, MailMessage(to=record.email, subject="You are invited to sonic-cms", body=body)


def _find(conn: Connection, settings: Settings, token: str, *, now_ms: int) -> Row[Any]:
    oldest = now_ms - settings.invitation_ttl_seconds * 1000
    row = conn.execute(
        select(*User.__table__.columns).where(
            User.invitation_token == keyed_digest(settings, PURPOSE, token),
            User.invited_at > oldest,
            User.accepted_invitation_at.is_(None),
        )
    ).first()
    if row is None or len(token) > 200:
        raise BadRequest(INVALID, code="invalid_invitation")
    return row


def invitation_details(ctx: Context, token: str) -> dict[str, Any]:
    """What the acceptance page shows: who is invited, as what. 400 for a dead token."""
    with ctx.db.read() as conn:
        row = _find(conn, ctx.settings, token, now_ms=ctx.clock.now_ms())
    return {
        "email": row.email,
        "firstName": row.first_name,
        "lastName": row.last_name,
        "role": row.role,
        "username": row.username,
    }


def accept(
    ctx: Context,
    *,
    token: str,
    password: str,
    first_name: str | None = None,
    last_name: str | None = None,
) -> tuple[dict[str, Any], IssuedTokens]:
    """Set the password once, activate the account and sign the invitee in."""
    now = ctx.clock.now_ms()
    with ctx.db.write() as conn:
        row = _find(conn, ctx.settings, token, now_ms=now)
        check_password_policy(password, email=row.email, username=row.username)
        values: dict[str, Any] = {
            "password_hash": hash_password(password),
            "invitation_token": None,
            "accepted_invitation_at": now,
            "is_active": True,
            "email_verified": True,
            "updated_at": now,
            "last_login_at": now,
        }
        if first_name:
            values["first_name"] = first_name
        if last_name:
            values["last_name"] = last_name
        conn.execute(update(User).where(User.id == row.id).values(**values))
        tokens = open_session(conn, ctx.settings, now_ms=now, user_id=row.id, role=row.role)
        user = public_user(
            conn.execute(select(*User.__table__.columns).where(User.id == row.id)).one()
        )
    return user, tokens
