"""Role permissions, read from the permissions and role_permissions tables."""

from __future__ import annotations

from sqlalchemy import Connection, select

from sonic_cms.db.schema import Permission, RolePermission


def permissions_for_role(conn: Connection, role: str) -> frozenset[str]:
    """The permission names granted to ``role``."""
    query = (
        select(Permission.name)
        .join(RolePermission, RolePermission.permission_id == Permission.id)
        .where(RolePermission.role == role)
    )
    return frozenset(conn.execute(query).scalars())
