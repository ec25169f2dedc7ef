"""Failure counters with lockout, shared by every worker through the auth_throttle table.

A key (``user:<id>``, ``name:<identifier>``, ``ip:<address>``, ``reset:<email>`` ...) that
collects ``limit`` failures within the window is locked for one window; while locked, even a
correct password answers 429 with Retry-After, so guessing stays slow however the attempts are
spread across processes.

Every check of a password or a second factor (sign-in, its TOTP step, password change, 2FA
confirm and disable) is charged through :func:`credential_limits`: to the ACCOUNT it names (its
user id, whichever identifier named it, so switching from the email to the username or to
another letter case gains nothing), to the client address, and, for a name that is no account,
to that name, normalised the way an account's names are (emails case-insensitively, usernames
exactly), so unknown names are throttled exactly like real ones and the answers tell nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.db.schema import AuthThrottle, Base
from sonic_cms.errors import TooManyRequests


@dataclass(frozen=True)
class Limit:
    """At most ``failures`` failures per ``window_ms`` for ``key``."""

    key: str
    failures: int
    window_ms: int


def record_failure(conn: Connection, limits: list[Limit], *, now_ms: int) -> None:
    """Count one attempt against every key, locking those that reach their limit.

    429 (and nothing counted) when a key is already locked. The rows are created if missing and
    locked in key order first, then checked and counted, all in the caller's write transaction,
    so concurrent attempts queue up and none can slip past the limit.
    """
    rows = {}
    for limit in sorted(limits, key=lambda item: item.key):
        insert_missing(
            conn, AuthThrottle, {"key": limit.key, "failures": 0, "window_started_at": now_ms}
        )
        rows[limit.key] = conn.execute(
            select(AuthThrottle.failures, AuthThrottle.window_started_at, AuthThrottle.locked_until)
            .where(AuthThrottle.key == limit.key)
            .with_for_update()
        ).one()
    locked = [r.locked_until for r in rows.values() if r.locked_until and r.locked_until > now_ms]
    if locked:
        raise TooManyRequests(
            "Too many attempts; try again later",
            retry_after=max(1, math.ceil((max(locked) - now_ms) / 1000)),
            code="rate_limited",
        )
    for limit in limits:
        row = rows[limit.key]
        expired = now_ms - row.window_started_at >= limit.window_ms
        failures = 1 if expired else row.failures + 1
        started = now_ms if expired else row.window_started_at
        until = now_ms + limit.window_ms if failures >= limit.failures else None
        conn.execute(
            update(AuthThrottle)
            .where(AuthThrottle.key == limit.key)
            .values(failures=failures, window_started_at=started, locked_until=until)
        )


def insert_missing(conn: Connection, table: type[Base], values: dict[str, object]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING: concurrent first writers of one key never collide."""
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(dialect_insert(table).values(**values).on_conflict_do_nothing())


def reset(conn: Connection, keys: list[str]) -> None:
    """Forget the failures of ``keys`` (after a successful sign-in)."""
    conn.execute(delete(AuthThrottle).where(AuthThrottle.key.in_(keys)))


def forgive(conn: Connection, limits: list[Limit]) -> None:
    """Take back one counted attempt (it succeeded), unlocking a key that falls under its limit."""
    for limit in limits:
        row = conn.execute(
            select(AuthThrottle.failures).where(AuthThrottle.key == limit.key).with_for_update()
        ).first()
        if row is None:
            continue
        failures = max(0, row.failures - 1)
        values: dict[str, object] = {"failures": failures}
        if failures < limit.failures:
            values["locked_until"] = None
        conn.execute(update(AuthThrottle).where(AuthThrottle.key == limit.key).values(**values))


# -- requests that mail a secret -------------------------------------------------------------

HOUR_MS = 3_600_000


def mail_request_limits(kind: str, email: str, ip: str | None, per_hour: int) -> list[Limit]:
    """The limits of a request that mails a secret (a reset link, a sign-in code or link).

    Counted per address, whether it is an account or not (so reaching the limit reveals
    nothing), as ``<kind>:<email>``, and per client at ten times that, as ``<kind>-ip:<ip>``.
    """
    limits = [Limit(f"{kind}:" + email.strip().lower()[:MAX_IDENTIFIER], per_hour, HOUR_MS)]
    if ip:
        limits.append(Limit(f"{kind}-ip:" + ip, per_hour * 10, HOUR_MS))
    return limits


# -- password and second-factor checks ------------------------------------------------------

#: Longest identifier kept in a ``name:`` key (the login body allows no more).
MAX_IDENTIFIER = 320


def account_key(user_id: str) -> str:
    """The counter of one account, however it was named."""
    return "user:" + user_id


def unknown_name_key(identifier: str) -> str:
    """The counter of a name that is no account.

    Normalised as an account's names match: an email (it has an ``@``) case-insensitively, a
    username exactly. Locking ``Ghost@x`` then trying ``ghost@x`` answers as it would for a
    real account, so the pair of answers cannot tell a real name from an invented one.
    """
    name = identifier.strip()
    return "name:" + (name.lower() if "@" in name else name)[:MAX_IDENTIFIER]


def credential_limits(settings: Settings, subject_key: str, ip: str | None) -> list[Limit]:
    """The limits one password or second-factor check counts against.

    ``subject_key`` (from :func:`account_key` or :func:`unknown_name_key`) first, then the
    client address when it is known.
    """
    window = settings.login_throttle_window_seconds * 1000
    account = Limit(subject_key, settings.login_max_failures_per_account, window)
    return [account, *address_limits(settings, ip)]


def address_limits(settings: Settings, ip: str | None) -> list[Limit]:
    """The client address's limit alone (none when it is unknown): for a secret that names no
    account until it is checked, such as a magic link's token."""
    window = settings.login_throttle_window_seconds * 1000
    return [Limit("ip:" + ip, settings.login_max_failures_per_ip, window)] if ip else []


def charge(ctx: Context, limits: list[Limit]) -> None:
    """Count one attempt in its own committed transaction, before the secret is checked.

    A failing check then raises inside its own transaction without taking the count back; 429
    (nothing counted) while a key is locked.
    """
    with ctx.db.write() as conn:
        record_failure(conn, limits, now_ms=ctx.clock.now_ms())


def password_verified(conn: Connection, limits: list[Limit]) -> None:
    """The password was right: clear the account's failures, give the address this attempt back.

    The address is only forgiven one attempt, so a success does not unlock an address that is
    guessing at other accounts.
    """
    reset(conn, [limits[0].key])
    forgive(conn, limits[1:])
