"""Self-registration: off by default; when on, it creates viewers and nothing more.

Whether it is on is the Registration site setting an admin saved (``/admin/settings``), else
``SONIC_REGISTRATION_ENABLED`` (:func:`sonic_cms.site_settings.store.registration_open`).

The first admin comes from the CLI (``sonic users ensure-admin``), never from an open form.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from sonic_cms.actors import SYSTEM
from sonic_cms.auth import email_verification
from sonic_cms.auth.mail import MailMessage
from sonic_cms.auth.sessions import IssuedTokens, open_session
from sonic_cms.auth.users import create_user, public_user
from sonic_cms.context import Context
from sonic_cms.db.schema import User
from sonic_cms.errors import Forbidden
from sonic_cms.site_settings import store as site_settings


def register(
    ctx: Context,
    *,
    email: str,
    password: str,
    username: str,
    first_name: str,
    last_name: str,
) -> tuple[dict[str, Any], IssuedTokens, MailMessage]:
    """Create a viewer, sign them in and prepare the verification mail; 403 when disabled."""
    if not site_settings.registration_open(ctx):
        raise Forbidden("Registration is currently disabled", code="registration_disabled")
    user = create_user(
        ctx.acting_as(SYSTEM),
        email=email,
        username=username,
        password=password,
        role="viewer",
        first_name=first_name,
        last_name=last_name,
        method="registration",
    )
    now = ctx.clock.now_ms()
    with ctx.db.write() as conn:
        tokens = open_session(conn, ctx.settings, now_ms=now, user_id=user.id, role=user.role)
        mail = email_verification.issue(conn, ctx.settings, user.id, now_ms=now)
        stored = conn.execute(select(*User.__table__.columns).where(User.id == user.id)).one()
    return public_user(stored), tokens, mail
