"""Admin user management, self-service profile, last-admin guard and escalation attempts."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from sonic_cms.actors import SYSTEM
from sonic_cms.auth import user_admin
from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.errors import Conflict, Forbidden
from tests.utils.auth import actor_with_role, create_random_user, headers_for

SECRET_KEYS = {
    "password_hash",
    "two_factor_secret",
    "password_reset_token",
    "email_verification_token",
    "invitation_token",
}


@pytest.fixture
def admin_headers(db: Database, settings: Settings, clock: FrozenClock) -> dict[str, str]:
    return headers_for(db, settings, clock, create_random_user(db, clock, "admin"))


def test_admin_lists_filters_and_searches(
    client: TestClient, db: Database, clock: FrozenClock, admin_headers
):
    editor = create_random_user(db, clock, "editor")
    for _ in range(3):
        create_random_user(db, clock, "viewer")
    everyone = client.get("/admin/api/users", headers=admin_headers).json()
    assert everyone["meta"]["pagination"]["total"] == 5
    assert not any(SECRET_KEYS & item.keys() for item in everyone["data"])
    editors = client.get("/admin/api/users?role=editor", headers=admin_headers).json()
    assert [u["id"] for u in editors["data"]] == [editor.id]
    found = client.get(f"/admin/api/users?search={editor.last_name}", headers=admin_headers)
    assert [u["id"] for u in found.json()["data"]] == [editor.id]
    page = client.get("/admin/api/users?limit=2&page=2", headers=admin_headers).json()
    assert len(page["data"]) == 2 and page["meta"]["pagination"]["hasPrev"] is True
    assert client.get("/admin/api/users?active=false", headers=admin_headers).json()["data"] == []


@pytest.mark.parametrize("query", ["?bogus=1", "?limit=1000", "?role=root", "?page=0"])
def test_bad_list_queries_are_400(client: TestClient, admin_headers, query: str):
    response = client.get(f"/admin/api/users{query}", headers=admin_headers)
    assert response.status_code == 400


def test_search_wildcards_are_literal(
    client: TestClient, db: Database, clock: FrozenClock, admin_headers
):
    create_random_user(db, clock, "viewer")
    response = client.get("/admin/api/users?search=%25", headers=admin_headers)
    assert response.status_code == 200 and response.json()["data"] == []


def test_admin_creates_updates_deactivates_and_deletes(
    client: TestClient, db: Database, clock: FrozenClock, admin_headers
):
    created = client.post(
        "/admin/api/users",
        json={
            "email": "New@Example.com",
            "username": "newbie",
            "password": "long enough pw",
            "role": "author",
            "first_name": "New",
            "last_name": "Bie",
        },
        headers=admin_headers,
    )
    assert created.status_code == 201, created.text
    user = created.json()["data"]
    assert user["email"] == "new@example.com" and not SECRET_KEYS & user.keys()
    updated = client.patch(
        f"/admin/api/users/{user['id']}",
        json={"role": "editor", "bio": "hi"},
        headers=admin_headers,
    )
    assert updated.status_code == 200 and updated.json()["data"]["role"] == "editor"
    duplicate = client.post(
        "/admin/api/users",
        json={"email": "NEW@example.com", "username": "other", "role": "viewer"},
        headers=admin_headers,
    )
    assert duplicate.status_code == 409
    off = client.post(f"/admin/api/users/{user['id']}/deactivate", headers=admin_headers)
    assert off.status_code == 200 and off.json()["data"]["is_active"] is False
    gone = client.delete(f"/admin/api/users/{user['id']}", headers=admin_headers)
    assert gone.status_code == 200
    assert client.get(f"/admin/api/users/{user['id']}", headers=admin_headers).status_code == 404


def test_deactivation_ends_existing_sessions(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock, admin_headers
):
    victim = create_random_user(db, clock, "editor")
    victim_headers = headers_for(db, settings, clock, victim)
    assert client.get("/auth/me", headers=victim_headers).status_code == 200
    client.post(f"/admin/api/users/{victim.id}/deactivate", headers=admin_headers)
    assert client.get("/auth/me", headers=victim_headers).status_code == 401


def test_last_active_admin_cannot_be_removed(ctx: Context, db: Database, clock: FrozenClock):
    system = ctx.acting_as(SYSTEM)
    admin = create_random_user(db, clock, "admin")
    for attempt in (
        lambda: user_admin.set_role(system, admin.id, "editor"),
        lambda: user_admin.deactivate_user(system, admin.id),
        lambda: user_admin.delete_user(system, admin.id),
    ):
        with pytest.raises(Conflict) as caught:
            attempt()
        assert caught.value.code == "last_admin"
    second = create_random_user(db, clock, "admin")
    user_admin.set_role(system, admin.id, "editor")  # now allowed
    with pytest.raises(Conflict):
        user_admin.delete_user(system, second.id)


def test_last_admin_over_http_is_409(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock
):
    first = create_random_user(db, clock, "admin")
    second = create_random_user(db, clock, "admin")
    first_headers = headers_for(db, settings, clock, first)
    assert (
        client.post(f"/admin/api/users/{second.id}/deactivate", headers=first_headers).status_code
        == 200
    )
    # second is inactive: first is the last active admin, and cannot demote themselves anyway
    response = client.patch(
        f"/admin/api/users/{first.id}", json={"role": "editor"}, headers=first_headers
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "field,value",
    [
        ("role", "admin"),
        ("is_active", True),
        ("email_verified", True),
        ("two_factor_enabled", True),
        ("password_hash", "x"),
        ("invitation_token", "x"),
        ("email", "me@else.example"),
    ],
)
def test_profile_refuses_protected_fields(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock, field, value
):
    author = create_random_user(db, clock, "author")
    headers = headers_for(db, settings, clock, author)
    response = client.patch("/auth/me", json={"bio": "mine", field: value}, headers=headers)
    assert response.status_code == 403 and response.json()["code"] == "field_not_editable"
    me = client.get("/auth/me", headers=headers).json()["user"]
    assert me["role"] == "author" and me["bio"] is None  # nothing applied


def test_profile_edits_allowed_fields_with_strict_types(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock
):
    headers = headers_for(db, settings, clock, create_random_user(db, clock, "viewer"))
    ok = client.patch(
        "/auth/me",
        json={
            "first_name": "Ada",
            "timezone": "Europe/Paris",
            "theme": "light",
            "email_notifications": False,
            "bio": "<script>alert(1)</script>'; DROP TABLE users;--",
        },
        headers=headers,
    )
    assert ok.status_code == 200
    user = ok.json()["user"]
    assert user["firstName"] == "Ada" and user["timezone"] == "Europe/Paris"
    assert user["bio"] == "<script>alert(1)</script>'; DROP TABLE users;--"  # stored as data
    for bad in (
        {"timezone": "Mars/Olympus"},
        {"email_notifications": "yes"},
        {"first_name": {}},
        {"avatar_url": "javascript:alert(1)"},
        {"unknown": 1},
    ):
        response = client.patch("/auth/me", json=bad, headers=headers)
        assert response.status_code == 422, bad


def test_non_admins_cannot_manage_users(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock
):
    other = create_random_user(db, clock, "viewer")
    for role in ("editor", "author", "viewer"):
        headers = headers_for(db, settings, clock, create_random_user(db, clock, role))
        assert client.get("/admin/api/users", headers=headers).status_code == 403
        assert (
            client.patch(
                f"/admin/api/users/{other.id}", json={"role": "admin"}, headers=headers
            ).status_code
            == 403
        )
    assert client.get("/admin/api/users").status_code == 401


def test_role_escalation_through_granted_users_update_is_refused(
    ctx: Context, db: Database, clock: FrozenClock
):
    from sonic_cms.auth import roles

    roles.grant(ctx.acting_as(SYSTEM), role="editor", permission="users.update")
    editor = actor_with_role(db, clock, "editor")
    target = create_random_user(db, clock, "viewer")
    with pytest.raises(Forbidden) as caught:
        user_admin.set_role(ctx.acting_as(editor), target.id, "admin")
    assert caught.value.code == "role_escalation"
    with pytest.raises(Forbidden):
        user_admin.set_role(ctx.acting_as(editor), editor.user_id or "", "admin")


def test_change_password_revokes_other_sessions(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock
):
    user = create_random_user(db, clock, "viewer")
    current = headers_for(db, settings, clock, user)
    other = headers_for(db, settings, clock, user)
    wrong = client.post(
        "/auth/change-password",
        headers=current,
        json={"current_password": "nope", "new_password": "another long one"},
    )
    assert wrong.status_code == 403
    ok = client.post(
        "/auth/change-password",
        headers=current,
        json={
            "current_password": "correct horse battery staple",
            "new_password": "another long one",
        },
    )
    assert ok.status_code == 200
    assert client.get("/auth/me", headers=current).status_code == 200
    assert client.get("/auth/me", headers=other).status_code == 401


def test_password_policy(ctx: Context, db: Database, clock: FrozenClock):
    from sonic_cms.errors import ValidationFailed

    user = create_random_user(db, clock)
    for bad in (
        "short",
        user.email,
        user.username.upper() if len(user.username) >= 8 else user.username + "",
        "x" * 1025,
    ):
        with pytest.raises(ValidationFailed):
            user_admin.set_password(ctx.acting_as(SYSTEM), user.id, bad)


def test_concurrent_demotions_never_remove_every_admin(
    ctx: Context, db: Database, clock: FrozenClock
):
    import threading

    system = ctx.acting_as(SYSTEM)
    first = create_random_user(db, clock, "admin")
    second = create_random_user(db, clock, "admin")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def demote(user_id: str) -> None:
        barrier.wait()
        try:
            user_admin.set_role(system, user_id, "viewer")
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=demote, args=(u.id,)) for u in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "ok"]
    assert user_admin.list_users(system, role="admin", active=True)[1] == 1


def test_a_user_whose_requests_were_logged_can_be_deleted(
    ctx: Context, db: Database, clock: FrozenClock
):
    """Before: system_logs.user_id (a foreign key without ON DELETE) made such a delete a 409
    ``user_in_use``. The log row stays, without the link."""
    from sqlalchemy import select

    from sonic_cms.db.schema import SystemLog
    from sonic_cms.logs.audit import log_in_transaction

    user = create_random_user(db, clock, "author")
    with db.write() as conn:
        log_in_transaction(
            conn, clock.now_ms(), category="api", message="GET /api/content", user_id=user.id
        )
    user_admin.delete_user(ctx.acting_as(SYSTEM), user.id)
    with db.read() as conn:
        kept = conn.execute(
            select(SystemLog.user_id).where(SystemLog.message == "GET /api/content")
        ).all()
    assert [row.user_id for row in kept] == [None]


def test_deleting_an_author_of_content_is_409_and_changes_nothing(
    ctx: Context, db: Database, clock: FrozenClock
):
    from sqlalchemy import insert

    from sonic_cms.db.schema import Collection, Content
    from sonic_cms.errors import NotFound

    author = create_random_user(db, clock, "author")
    now = clock.now_ms()
    with db.write() as conn:
        conn.execute(
            insert(Collection).values(
                id="c1",
                name="posts",
                display_name="Posts",
                schema={"type": "object"},
                created_at=now,
                updated_at=now,
            )
        )
        conn.execute(
            insert(Content).values(
                id="p1",
                collection_id="c1",
                slug="hello",
                title="Hello",
                data={},
                author_id=author.id,
                created_at=now,
                updated_at=now,
            )
        )
    system = ctx.acting_as(SYSTEM)
    with pytest.raises(Conflict) as caught:
        user_admin.delete_user(system, author.id)
    assert caught.value.code == "user_in_use"
    assert user_admin.get_user(system, author.id)["id"] == author.id
    with db.write() as conn:
        conn.execute(Content.__table__.delete())
    user_admin.delete_user(system, author.id)
    with pytest.raises(NotFound):
        user_admin.get_user(system, author.id)
