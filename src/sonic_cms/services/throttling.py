"""Failure counters with lockout, shared by every worker through the auth_throttle table.

A key (``account:<email>``, ``ip:<address>``) that collects ``limit`` failures within the window
is locked for one window; while locked, even a correct password answers 429 with Retry-After, so
guessing stays slow however the attempts are spread across processes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, insert, select, update

from sonic_cms.clock import Clock
from sonic_cms.db.schema import AuthThrottle
from sonic_cms.services.errors import TooManyRequests


@dataclass(frozen=True)
class Limit:
    """At most ``failures`` failures per ``window_ms`` for ``key``."""

    key: str
    failures: int
    window_ms: int


def check(conn: Connection, clock: Clock, limits: list[Limit]) -> None:
    """Raise TooManyRequests when any key is locked."""
    now = clock.now_ms()
    keys = [limit.key for limit in limits]
    latest = conn.execute(
        select(func.max(AuthThrottle.locked_until)).where(
            AuthThrottle.key.in_(keys), AuthThrottle.locked_until > now
        )
    ).scalar()
    if latest is not None:
        retry_after = max(1, math.ceil((latest - now) / 1000))
        raise TooManyRequests(
            "Too many attempts; try again later", retry_after=retry_after, code="rate_limited"
        )


def record_failure(conn: Connection, clock: Clock, limits: list[Limit]) -> None:
    """Count one failure against every key, locking those that reach their limit.

    Runs inside a write transaction (BEGIN IMMEDIATE on SQLite, row lock on PostgreSQL), so
    concurrent failures are all counted.
    """
    now = clock.now_ms()
    for limit in limits:
        row = conn.execute(
            select(AuthThrottle.failures, AuthThrottle.window_started_at)
            .where(AuthThrottle.key == limit.key)
            .with_for_update()
        ).first()
        if row is None:
            failures, started = 1, now
            conn.execute(
                insert(AuthThrottle).values(key=limit.key, failures=1, window_started_at=now)
            )
        else:
            expired = now - row.window_started_at >= limit.window_ms
            failures = 1 if expired else row.failures + 1
            started = now if expired else row.window_started_at
        locked = now + limit.window_ms if failures >= limit.failures else None
        conn.execute(
            update(AuthThrottle)
            .where(AuthThrottle.key == limit.key)
            .values(failures=failures, window_started_at=started, locked_until=locked)
        )


def reset(conn: Connection, keys: list[str]) -> None:
    """Forget the failures of ``keys`` (after a successful sign-in)."""
    conn.execute(delete(AuthThrottle).where(AuthThrottle.key.in_(keys)))
