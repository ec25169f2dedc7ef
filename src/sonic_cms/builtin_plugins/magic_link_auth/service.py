"""Magic links: a single-use sign-in link mailed to the account's address.

The token is 256 random bits; ``magic_links.token`` holds its keyed digest (HMAC-SHA256 under
the server key, purpose ``magic_link``), as refresh and reset tokens are stored, so a leaked
database opens nothing. The row is found by that digest: a secret this long cannot be
guessed, so a timing difference in the lookup tells nothing useful.

A link works once, until it expires. Requests count per address and per client, alike for
unknown and inactive addresses (which get no mail); a failed use counts against the client
address as a failed password would. A user with TOTP enrolled must add the current code
(``POST /auth/magic-link/verify``): the link replaces the password, never the second factor.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from sqlalchemy import select, update

from sonic_cms.auth import throttling
from sonic_cms.auth.login import LoginResult, check_second_factor, has_second_factor, sign_in
from sonic_cms.auth.mail import MailMessage, link
from sonic_cms.builtin_plugins.magic_link_auth.tables import magic_links
from sonic_cms.builtin_plugins.passwordless import (
    Caller,
    can_sign_in,
    charge_request,
    find_user,
    prune_spent,
)
from sonic_cms.context import Context
from sonic_cms.digests import keyed_digest, new_secret
from sonic_cms.errors import Unauthorized
from sonic_cms.ids import new_id

PURPOSE = "magic_link"
INVALID = "Invalid or expired magic link"
VERIFY_PATH = "/auth/magic-link/verify"
#: Longer tokens are never ours: refused before any digest is taken.
MAX_TOKEN = 200


class MagicLinkSettings(BaseModel):
    """SonicJS's settings and limits (stored with its camelCase names)."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, serialize_by_alias=True)

    link_expiry_minutes: int = Field(15, ge=5, le=60, description="How long a link works")
    rate_limit_per_hour: int = Field(5, ge=1, le=20, description="Links per address per hour")


def request_link(
    ctx: Context, options: MagicLinkSettings, address: str, who: Caller
) -> MailMessage | None:
    """Store a new link for an active account at ``address`` (earlier live ones keep working
    until used or expired, as in SonicJS); the mail to send, if any. The route answers the same
    either way.

    Raises:
        TooManyRequests: the address or the client asked too often (any address alike).
    """
    charge_request(ctx, "magic-link-request", address, who.ip, options.rate_limit_per_hour)
    now = ctx.clock.now_ms()
    token = new_secret()
    with ctx.db.write() as conn:
        if not can_sign_in(find_user(conn, address)):
            return None
        prune_spent(conn, magic_links, now)
        conn.execute(
            magic_links.insert().values(
                id=new_id(),
                user_email=address,
                token=keyed_digest(ctx.settings, PURPOSE, token),
                expires_at=now + options.link_expiry_minutes * 60_000,
                used=0,
                ip_address=who.ip,
                user_agent=(who.user_agent or "")[:500] or None,
                created_at=now,
            )
        )
    body = (
        "Open this link to sign in:\n"
        f"{link(ctx.settings, VERIFY_PATH, token)}\n\n"
        f"It works once, for {options.link_expiry_minutes} minutes.\n"
        "If you did not ask for it, ignore this mail: nobody can sign in without it.\n"
    )
    return MailMessage(to=address, subject="Your sign-in link", body=body)


def verify_link(ctx: Context, token: str, totp_code: str | None, who: Caller) -> LoginResult:
    """Trade a live link's token (and the TOTP code when 2FA is on) for a session.

    Raises:
        TooManyRequests: the client address is locked out (too many failed sign-ins).
        Unauthorized: ``invalid_magic_link`` for an unknown, spent or expired token and for an
            account that is gone or inactive; the 2FA codes of ``check_second_factor``.
    """
    address_limits = throttling.address_limits(ctx.settings, who.ip)
    throttling.charge(ctx, address_limits)
    if len(token) > MAX_TOKEN:
        raise Unauthorized(INVALID, code="invalid_magic_link")
    digest = keyed_digest(ctx.settings, PURPOSE, token)
    now = ctx.clock.now_ms()
    with ctx.db.read() as conn:
        row = conn.execute(
            select(magic_links.c.id, magic_links.c.user_email).where(
                magic_links.c.token == digest,
                magic_links.c.used == 0,
                magic_links.c.expires_at > now,
            )
        ).first()
        user = find_user(conn, row.user_email) if row is not None else None
    if row is None or user is None or not can_sign_in(user):
        raise Unauthorized(INVALID, code="invalid_magic_link")
    # From here the account is known: its counter is the one password sign-in uses. It was
    # not charged for the link (the token named it only now), but a TOTP guess is charged to
    # it as at login, so spreading guesses over many addresses gains nothing.
    limits = throttling.credential_limits(ctx.settings, throttling.account_key(user.id), who.ip)
    if has_second_factor(user):
        throttling.charge(ctx, limits[:1])
    check_second_factor(ctx, user, totp_code, limits)
    with ctx.db.write() as conn:
        spent = conn.execute(
            update(magic_links)
            .where(
                magic_links.c.id == row.id,
                magic_links.c.used == 0,
                magic_links.c.expires_at > ctx.clock.now_ms(),
            )
            .values(used=1, used_at=ctx.clock.now_ms())
        ).rowcount
    if not spent:  # a concurrent use took it first
        raise Unauthorized(INVALID, code="invalid_magic_link")
    method = "magic_link+totp" if has_second_factor(user) else "magic_link"
    return sign_in(ctx, user, method=method, limits=limits, ip=who.ip, user_agent=who.user_agent)
