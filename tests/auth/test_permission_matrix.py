"""Role x permission x own/other, table-driven, over every write route this area owns.

Content routes are written elsewhere; their ownership rule is checked here at the service layer
(auth/ownership.py), which those routes call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from sonic_cms.actors import ANONYMOUS
from sonic_cms.auth import api_tokens
from sonic_cms.auth.ownership import require_own_or_any
from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from sonic_cms.errors import Forbidden, Unauthorized
from tests.utils.auth import actor_with_role, create_random_user, headers_for, system_context

ROLES = ("admin", "editor", "author", "viewer", "anonymous")


@dataclass
class World:
    client: TestClient
    db: Database
    settings: Settings
    clock: FrozenClock
    me: str | None
    other: str


Call = Callable[[World], object]


def _new_user(w: World):
    return w.client.post(
        "/admin/api/users",
        json={"email": "made@example.com", "username": "made_user", "role": "viewer"},
    )


def _patch_other(w: World):
    return w.client.patch(f"/admin/api/users/{w.other}", json={"bio": "x"})


def _deactivate_other(w: World):
    return w.client.post(f"/admin/api/users/{w.other}/deactivate")


def _delete_other(w: World):
    return w.client.delete(f"/admin/api/users/{w.other}")


def _grant(w: World):
    return w.client.post("/admin/api/roles/viewer/permissions", json={"permission": "media.read"})


def _revoke(w: World):
    return w.client.delete("/admin/api/roles/viewer/permissions/media.read")


def _token(w: World):
    return w.client.post("/api/tokens", json={"name": "t", "permissions": ["content.read"]})


def _own_token_revoke(w: World):
    if w.me is None:
        return w.client.delete("/api/tokens/whatever")
    row, _ = api_tokens.create_token(
        system_context(w.db, w.clock), name="mine", permissions=["content.read"], user_id=w.me
    )
    return w.client.delete(f"/api/tokens/{row['id']}")


def _other_token_revoke(w: World):
    row, _ = api_tokens.create_token(
        system_context(w.db, w.clock),
        name="theirs",
        permissions=["content.read"],
        user_id=w.other,
    )
    return w.client.delete(f"/api/tokens/{row['id']}")


def _profile(w: World):
    return w.client.patch("/auth/me", json={"bio": "mine"})


def _revoke_sessions_of_other(w: World):
    return w.client.post(f"/admin/api/users/{w.other}/revoke-sessions")


def _reset_2fa_of_other(w: World):
    return w.client.post(f"/admin/api/users/{w.other}/reset-2fa")


def _logout_all(w: World):
    return w.client.post("/auth/logout-all")


#: route -> expected status per role (admin, editor, author, viewer, anonymous)
MATRIX: list[tuple[str, Call, tuple[int, ...]]] = [
    ("create user", _new_user, (201, 403, 403, 403, 401)),
    ("edit other user", _patch_other, (200, 403, 403, 403, 401)),
    ("deactivate other user", _deactivate_other, (200, 403, 403, 403, 401)),
    ("delete other user", _delete_other, (200, 403, 403, 403, 401)),
    ("grant permission", _grant, (200, 403, 403, 403, 401)),
    ("revoke permission", _revoke, (200, 403, 403, 403, 401)),
    ("create api token", _token, (201, 201, 201, 403, 401)),
    ("revoke own api token", _own_token_revoke, (200, 200, 200, 403, 401)),
    ("revoke other's api token", _other_token_revoke, (200, 404, 404, 403, 401)),
    ("edit own profile", _profile, (200, 200, 200, 200, 401)),
    ("revoke other's sessions", _revoke_sessions_of_other, (200, 403, 403, 403, 401)),
    ("reset other's 2FA", _reset_2fa_of_other, (200, 403, 403, 403, 401)),
    ("sign out everywhere", _logout_all, (200, 200, 200, 200, 401)),
]


@pytest.mark.parametrize("name,call,expected", MATRIX, ids=[row[0] for row in MATRIX])
def test_write_routes_by_role(
    name: str,
    call: Call,
    expected: tuple[int, ...],
    client: TestClient,
    db: Database,
    settings: Settings,
    clock: FrozenClock,
):
    for role, status in zip(ROLES, expected, strict=True):
        other = create_random_user(db, clock, "viewer").id
        me = None
        client.headers.clear()
        if role != "anonymous":
            user = create_random_user(db, clock, role)
            me = user.id
            client.headers.update(headers_for(db, settings, clock, user))
        response = call(World(client, db, settings, clock, me, other))
        assert response.status_code == status, (name, role, response.text)


CONTENT_MATRIX = [
    # role, permission, own?, allowed
    ("admin", "content.update", False, True),
    ("admin", "content.delete", False, True),
    ("editor", "content.update", False, True),
    ("editor", "content.delete", False, True),
    ("author", "content.update", True, True),
    ("author", "content.update", False, False),
    ("author", "content.delete", True, True),
    ("author", "content.delete", False, False),
    ("viewer", "content.update", True, False),
    ("viewer", "content.delete", True, False),
]


def test_content_ownership_rule(db: Database, clock: FrozenClock):
    """One database per engine for the whole table; a failure lists the rows that disagree."""
    roles = ("admin", "editor", "author", "viewer")
    actors = {role: actor_with_role(db, clock, role) for role in roles}
    someone_else = create_random_user(db, clock, "author").id
    wrong = []
    for role, permission, own, allowed in CONTENT_MATRIX:
        actor = actors[role]
        try:
            require_own_or_any(actor, permission, actor.user_id if own else someone_else)
            granted = True
        except Forbidden:
            granted = False
        if granted != allowed:
            wrong.append((role, permission, "own" if own else "other", granted))
    assert wrong == []


def test_content_ownership_anonymous_is_401():
    with pytest.raises(Unauthorized):
        require_own_or_any(ANONYMOUS, "content.update", "someone")


def test_author_cannot_publish_and_viewer_only_reads(db: Database, clock: FrozenClock):
    author = actor_with_role(db, clock, "author")
    viewer = actor_with_role(db, clock, "viewer")
    assert author.can("content.create") and author.can("content.submit")
    assert not author.can("content.publish")
    assert viewer.can("content.read") and not viewer.can("content.create")
    assert ANONYMOUS.permissions == frozenset({"content.read", "collections.read"})
