"""Factories for signed-in users: a real user row and a real access token, no shortcuts.

The helpers keep their ``(db, clock)`` signatures, which hundreds of tests call; each builds
the service context the auth services take (the system acting, no plugin hooks).
"""

from __future__ import annotations

import uuid

from sonic_cms.actors import SYSTEM, Actor
from sonic_cms.auth.authentication import actor_for_user
from sonic_cms.auth.sessions import open_session
from sonic_cms.auth.users import create_user
from sonic_cms.clock import Clock
from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.db.records import UserSelect
from sonic_cms.storage import build_storage

TEST_PASSWORD = "correct horse battery staple"


def system_context(db: Database, clock: Clock) -> Context:
    """The system acting on ``db`` at ``clock``'s time, with an empty hook bus."""
    storage = build_storage(db.settings, clock)
    return Context(db=db, clock=clock, settings=db.settings, storage=storage, actor=SYSTEM)


def create_random_user(db: Database, clock: Clock, role: str = "viewer") -> UserSelect:
    """A new active user with ``role`` and the password TEST_PASSWORD."""
    suffix = uuid.uuid4().hex[:10]
    return create_user(
        system_context(db, clock),
        email=f"{role}-{suffix}@example.com",
        username=f"{role}_{suffix}",
        password=TEST_PASSWORD,
        role=role,
        first_name=role.title(),
        last_name=suffix,
    )


def actor_with_role(db: Database, clock: Clock, role: str) -> Actor:
    """The Actor of a new user with ``role``, as services see it."""
    return actor_for_user(system_context(db, clock), create_random_user(db, clock, role).id)


def bearer_headers(db: Database, settings: Settings, clock: Clock, role: str) -> dict[str, str]:
    """Authorization headers of a new user with ``role``."""
    user = create_random_user(db, clock, role)
    return headers_for(db, settings, clock, user)


def headers_for(db: Database, settings: Settings, clock: Clock, user: UserSelect) -> dict[str, str]:
    """Authorization headers of an existing user, through a real sign-in session."""
    with db.write() as conn:
        tokens = open_session(
            conn, settings, now_ms=clock.now_ms(), user_id=user.id, role=user.role
        )
    return {"Authorization": f"Bearer {tokens.access_token}"}


def registration_body(email: str, username: str) -> dict[str, str]:
    """A complete ``POST /auth/register`` body: registration requires both names (issue 14)."""
    return {
        "email": email,
        "password": TEST_PASSWORD,
        "username": username,
        "firstName": "New",
        "lastName": "Comer",
    }
