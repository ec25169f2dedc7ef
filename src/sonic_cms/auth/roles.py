"""Roles and their permissions: a per-process cache over permissions/role_permissions.

Every request needs its actor's permission set, so role permissions are cached per Database.
Each entry remembers the ``user`` cache generation it was read under (``Context.generations``,
wired by the composition root to the cache): a grant or revoke in any process of this host moves
that generation when it commits (the tables it touched), so the next check everywhere on the
host reads the tables again. Processes on other hosts see the change within
``permission_cache_ttl_seconds`` (the cache is a hint, the tables are the truth).
"""

from __future__ import annotations

import threading
import time
import weakref

from sqlalchemy import Connection, delete, insert, select

from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.db.records import ROLES
from sonic_cms.db.schema import Permission, RolePermission
from sonic_cms.errors import Conflict, Forbidden, NotFound


def permissions_for_role(conn: Connection, role: str) -> frozenset[str]:
    """The permission names granted to ``role``, read from the tables (the cache's source)."""
    query = (
        select(Permission.name)
        .join(RolePermission, RolePermission.permission_id == Permission.id)
        .where(RolePermission.role == role)
    )
    return frozenset(conn.execute(query).scalars())


_CacheEntry = tuple[float, str | None, frozenset[str]]
_CACHE: weakref.WeakKeyDictionary[Database, dict[str, _CacheEntry]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def role_permissions(ctx: Context, role: str, conn: Connection | None = None) -> frozenset[str]:
    """The permissions of ``role``, from the cache when fresh enough (read on ``conn`` when
    the caller has a transaction open, so the check sees what that transaction sees)."""
    db = ctx.db
    ttl = ctx.settings.permission_cache_ttl_seconds
    # A cache age is not a stored timestamp: the monotonic clock is the right one here.
    now = time.monotonic()
    generation = ctx.generations("user")
    with _LOCK:
        entry = _CACHE.get(db, {}).get(role)
    if entry is not None and now - entry[0] < ttl and entry[1] == generation:
        return entry[2]
    if conn is not None:
        permissions = permissions_for_role(conn, role)
    else:
        with db.read() as own:
            permissions = permissions_for_role(own, role)
    with _LOCK:
        _CACHE.setdefault(db, {})[role] = (now, generation, permissions)
    return permissions


def invalidate(db: Database) -> None:
    """Drop this process's cached role permissions for ``db``."""
    with _LOCK:
        _CACHE.pop(db, None)


def list_permissions(ctx: Context) -> list[dict[str, object]]:
    """Every permission with the roles that hold it."""
    ctx.actor.require("users.read")
    with ctx.db.read() as conn:
        perms = conn.execute(select(*Permission.__table__.columns).order_by(Permission.name)).all()
        grants = conn.execute(select(RolePermission.role, RolePermission.permission_id)).all()
    holders: dict[str, list[str]] = {}
    for role, permission_id in grants:
        holders.setdefault(permission_id, []).append(role)
    return [
        {
            "id": p.id,
            "name": p.name,
            "description": p.description,
            "category": p.category,
            "roles": sorted(holders.get(p.id, [])),
        }
        for p in perms
    ]


def roles_matrix(ctx: Context) -> dict[str, list[str]]:
    """Each role with the names of its permissions."""
    ctx.actor.require("users.read")
    return {role: sorted(role_permissions(ctx, role)) for role in ROLES}


def _permission_id(conn: Connection, name: str) -> str:
    found = conn.execute(select(Permission.id).where(Permission.name == name)).scalar()
    if found is None:
        raise NotFound(f"Unknown permission: {name}", code="unknown_permission")
    return str(found)


def _known_role(role: str) -> None:
    if role not in ROLES:
        raise NotFound(f"Unknown role: {role}", code="unknown_role")


def grant(ctx: Context, *, role: str, permission: str) -> bool:
    """Grant ``permission`` to ``role``; False when it already held it.

    The same escalation rule as assigning a role: nobody hands out a permission they do not
    hold themselves (403), so ``roles.manage`` alone cannot grow into ``settings.update``.
    """
    ctx.actor.require("roles.manage")
    _known_role(role)
    with ctx.db.write() as conn:
        permission_id = _permission_id(conn, permission)
        if not ctx.actor.can(permission):
            raise Forbidden(
                f"You cannot grant {permission}, which you do not hold",
                code="permission_escalation",
            )
        exists = conn.execute(
            select(RolePermission.id).where(
                RolePermission.role == role, RolePermission.permission_id == permission_id
            )
        ).first()
        if exists is None:
            conn.execute(
                insert(RolePermission).values(
                    id=f"rp_{role}_" + permission.replace(".", "_"),
                    role=role,
                    permission_id=permission_id,
                    created_at=ctx.clock.now_ms(),
                )
            )
    invalidate(ctx.db)
    return exists is None


def revoke(ctx: Context, *, role: str, permission: str) -> bool:
    """Revoke ``permission`` from ``role``; admin always keeps everything (409)."""
    ctx.actor.require("roles.manage")
    _known_role(role)
    if role == "admin":
        raise Conflict("The admin role always holds every permission", code="admin_is_total")
    with ctx.db.write() as conn:
        permission_id = _permission_id(conn, permission)
        result = conn.execute(
            delete(RolePermission).where(
                RolePermission.role == role, RolePermission.permission_id == permission_id
            )
        )
    invalidate(ctx.db)
    return bool(result.rowcount)
