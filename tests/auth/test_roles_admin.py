"""The permission catalogue, grants and revokes, and the per-process cache invalidation."""

from __future__ import annotations

from fastapi.testclient import TestClient

from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from tests.utils.auth import create_random_user, headers_for


def test_grant_and_revoke_apply_at_once(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock
):
    admin = headers_for(db, settings, clock, create_random_user(db, clock, "admin"))
    viewer = headers_for(db, settings, clock, create_random_user(db, clock, "viewer"))
    catalogue = client.get("/admin/api/permissions", headers=admin).json()["data"]
    by_name = {p["name"]: p for p in catalogue}
    assert "roles.manage" in by_name and by_name["content.publish"]["roles"] == ["admin", "editor"]
    assert client.get("/admin/api/users", headers=viewer).status_code == 403  # warms the cache
    granted = client.post(
        "/admin/api/roles/viewer/permissions", json={"permission": "users.read"}, headers=admin
    )
    assert granted.status_code == 200 and granted.json()["data"]["changed"] is True
    assert client.get("/admin/api/users", headers=viewer).status_code == 200
    assert "users.read" in client.get("/admin/api/roles", headers=admin).json()["data"]["viewer"]
    revoked = client.delete("/admin/api/roles/viewer/permissions/users.read", headers=admin)
    assert revoked.status_code == 200
    assert client.get("/admin/api/users", headers=viewer).status_code == 403


def test_admin_role_cannot_lose_permissions(client: TestClient, db, settings, clock):
    admin = headers_for(db, settings, clock, create_random_user(db, clock, "admin"))
    response = client.delete("/admin/api/roles/admin/permissions/users.delete", headers=admin)
    assert response.status_code == 409


def test_unknown_role_or_permission_is_404_and_bodies_are_strict(client, db, settings, clock):
    admin = headers_for(db, settings, clock, create_random_user(db, clock, "admin"))
    assert (
        client.post(
            "/admin/api/roles/root/permissions", json={"permission": "users.read"}, headers=admin
        ).status_code
        == 404
    )
    assert (
        client.post(
            "/admin/api/roles/viewer/permissions", json={"permission": "nope.x"}, headers=admin
        ).status_code
        == 404
    )
    assert (
        client.post(
            "/admin/api/roles/viewer/permissions", json={"permission": ["x"]}, headers=admin
        ).status_code
        == 422
    )


def test_only_roles_manage_may_grant(client, db, settings, clock):
    for role in ("editor", "author", "viewer"):
        headers = headers_for(db, settings, clock, create_random_user(db, clock, role))
        response = client.post(
            f"/admin/api/roles/{role}/permissions",
            json={"permission": "users.update"},
            headers=headers,
        )
        assert response.status_code == 403


def test_a_role_manager_grants_only_what_they_hold(client: TestClient, db, settings, clock):
    admin = headers_for(db, settings, clock, create_random_user(db, clock, "admin"))
    grant = client.post(
        "/admin/api/roles/editor/permissions", json={"permission": "roles.manage"}, headers=admin
    )
    assert grant.status_code == 200, grant.text
    editor = headers_for(db, settings, clock, create_random_user(db, clock, "editor"))
    url = "/admin/api/roles/editor/permissions"
    refused = client.post(url, json={"permission": "settings.update"}, headers=editor)
    assert refused.status_code == 403 and refused.json()["code"] == "permission_escalation"
    assert (
        "settings.update"
        not in client.get("/admin/api/roles", headers=admin).json()["data"]["editor"]
    )
    held = client.post(
        "/admin/api/roles/author/permissions",
        json={"permission": "content.publish"},
        headers=editor,
    )
    assert held.status_code == 200 and held.json()["data"]["changed"] is True, held.text
