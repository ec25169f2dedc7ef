"""What the two passwordless sign-in plugins (otp-login, magic-link-auth) share.

Both mail a one-time secret to an address and later trade it for a session. The rules they
must keep alike live here once: how an address is read and matched, how requests are counted,
how a secret is stored (a keyed digest), how long a spent one is kept, and the sign-in answer
(the one password sign-in gives, so a client handles every method the same way).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import BackgroundTasks, Request
from pydantic import BaseModel, Field
from sqlalchemy import Connection, Row, Table, delete, func, select

from sonic_cms.api.bodies import StrictBody, read_body
from sonic_cms.api.context import AppContext
from sonic_cms.api.models import users as udocs
from sonic_cms.api.responses import JSONBytesResponse
from sonic_cms.api.routes.auth import client_ip, session_response
from sonic_cms.auth import throttling
from sonic_cms.auth.login import LoginResult
from sonic_cms.auth.mail import MailMessage, deliver
from sonic_cms.auth.users import public_user
from sonic_cms.context import Context
from sonic_cms.db.schema import User

SettingsT = TypeVar("SettingsT", bound=BaseModel)

#: Something@something, no spaces: the shape SonicJS's ``z.string().email()`` asks for, loose
#: enough for every address an account may hold (accounts' emails are not validated further).
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+$"


class EmailBody(StrictBody):
    """``{"email"}``: where to mail the code or link."""

    email: str = Field(min_length=3, max_length=320, pattern=EMAIL_PATTERN)


@dataclass(frozen=True)
class Caller:
    """Who is asking: the client address (throttling) and user agent (stored with the secret
    and the session)."""

    ip: str | None
    user_agent: str | None


def caller(request: Request) -> Caller:
    """The request's :class:`Caller` (the address as ``client_ip`` trusts it)."""
    return Caller(client_ip(request), request.headers.get("user-agent"))


class SignedInBySecret(udocs.SignedIn):
    """A new session, as ``POST /auth/login`` answers it, plus SonicJS's ``success`` and
    ``message``."""

    success: bool
    message: str


def normalise(email: str) -> str:
    """An address as accounts store it (trimmed, lower case), so any letter case matches."""
    return email.strip().lower()


def find_user(conn: Connection, address: str) -> Row[Any] | None:
    """The account whose email is ``address`` (normalised), active or not."""
    return conn.execute(
        select(*User.__table__.columns).where(func.lower(User.email) == address)
    ).first()


def can_sign_in(user: Row[Any] | None) -> bool:
    """Whether a mailed secret may be issued to, or used for, ``user``."""
    return user is not None and bool(user.is_active)


def charge_request(ctx: Context, kind: str, address: str, ip: str | None, per_hour: int) -> None:
    """Count a request for a mailed secret, per address (account or not) and per client.

    Raises:
        TooManyRequests: 429 ``rate_limited`` once either limit is reached, for known and
            unknown addresses alike.
    """
    throttling.charge(ctx, throttling.mail_request_limits(kind, address, ip, per_hour))


#: Spent and expired secrets are deleted a day after they expire: kept that long so a
#: "was a code sent?" question can be answered from the table, then gone.
KEEP_MS = 24 * 3_600_000


def prune_spent(conn: Connection, table: Table, now: int) -> None:
    """Delete every secret of ``table`` that expired more than ``KEEP_MS`` ago, for any
    address: pruning only the asking address's rows would keep forever the codes of
    addresses that never ask again (and of the addresses a stranger typed)."""
    conn.execute(delete(table).where(table.c.expires_at < now - KEEP_MS))


def plugin_settings(request: Request, name: str, model: type[SettingsT]) -> SettingsT:
    """The active plugin's stored settings over the model's defaults (validated at every
    update, so they parse)."""
    context: AppContext = request.app.state.ctx
    return model.model_validate({**model().model_dump(), **context.plugins.plugin_settings(name)})


async def mail_secret(
    request: Request,
    ctx: Context,
    tasks: BackgroundTasks,
    issue: Callable[[str, Caller], MailMessage | None],
) -> None:
    """Read ``{"email"}``, let ``issue`` store a secret for it (in the write pool) and mail
    what it returns after the answer is sent, so a slow mail server neither delays the answer
    nor tells which addresses are accounts."""
    body = await read_body(request, EmailBody)
    who = caller(request)
    mail = await ctx.run_write(lambda: issue(normalise(body.email), who))
    tasks.add_task(deliver, ctx.settings, mail)


def signed_in(ctx: Context, result: LoginResult) -> JSONBytesResponse:
    """Password sign-in's answer (``{user, token, refresh_token, expires_in}`` and the cookies)
    with SonicJS's keys beside it (:class:`SignedInBySecret`)."""
    user = public_user(result.user.model_dump())
    extra = {"success": True, "message": "Authentication successful"}
    return session_response(ctx.settings, result.tokens, {**extra, "user": user})
