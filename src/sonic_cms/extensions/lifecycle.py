"""The plugin lifecycle: install, activate, deactivate, uninstall, settings, failure.

Each step is one transaction that updates ``plugins`` and writes ``plugin_activity_log`` (and,
on install, ``plugin_hooks``/``plugin_routes``/``plugin_assets`` and the plugin's permissions,
granted to admin). The plugin's own revisions run just before the install transaction; if that
transaction fails they are reverted. ``plugin:*`` filters run inside the transaction and
actions after it commits.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, delete, insert, select, update

from sonic_cms.actors import Actor
from sonic_cms.auth import roles
from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.db.schema import (
    Permission,
    Plugin,
    PluginActivity,
    PluginAsset,
    PluginHook,
    PluginRoute,
    RolePermission,
)
from sonic_cms.errors import Conflict, NotFound, ValidationFailed
from sonic_cms.ids import new_id
from sonic_cms.plugins import hookspecs
from sonic_cms.plugins import migrations as plugin_migrations
from sonic_cms.plugins.registry import PluginRegistry
from sonic_cms.plugins.spec import ActivationContext, PluginSpec
from sonic_cms.plugins.validation import dependency_cycle


def _row(conn: Connection, name: str) -> Any:
    return conn.execute(select(Plugin).where(Plugin.name == name)).mappings().first()


def _spec(registry: PluginRegistry, name: str) -> PluginSpec:
    spec = registry.get(name)
    if spec is None:
        problems = registry.invalid.get(name)
        if problems:
            raise ValidationFailed(
                f"Plugin {name!r} is invalid",
                code="invalid_plugin",
                details=[{"path": name, "message": p} for p in problems],
            )
        raise NotFound(f"No plugin named {name!r}", code="plugin_not_found")
    return spec


def _log(
    conn: Connection,
    now_ms: int,
    plugin_id: str,
    action: str,
    actor: Actor,
    details: dict[str, Any],
) -> None:
    conn.execute(
        insert(PluginActivity).values(
            id=new_id(),
            plugin_id=plugin_id,
            action=action,
            user_id=actor.user_id,
            details=details,
            timestamp=now_ms,
        )
    )


def _permission_id(name: str) -> str:
    return "perm_" + name.replace(".", "_").replace("-", "_")


def describe(row: Any) -> dict[str, Any]:
    """The API shape of a plugins row."""
    return dict(row)


def list_plugins(ctx: Context, registry: PluginRegistry) -> list[dict[str, Any]]:
    """Every known plugin (installed or not) and every invalid one, with its state."""
    ctx.actor.require("plugins.read")
    with ctx.db.read() as conn:
        rows = {r["name"]: describe(r) for r in conn.execute(select(Plugin)).mappings()}
    result = []
    for name, spec in sorted(registry.specs.items()):
        row = rows.pop(name, None)
        result.append(
            {
                "name": name,
                "display_name": spec.display_name,
                "version": spec.version,
                "category": spec.category,
                "description": spec.description,
                "dependencies": list(spec.dependencies),
                "installed": row is not None,
                "status": row["status"] if row else "not_installed",
                "is_core": spec.is_core,
                "error_message": row["error_message"] if row else None,
                "problems": [],
            }
        )
    for name, problems in sorted(registry.invalid.items()):
        result.append({"name": name, "installed": False, "status": "invalid", "problems": problems})
    for _name, row in sorted(rows.items()):  # installed, but its package is gone
        result.append({**row, "installed": True, "problems": ["package not found"]})
    return result


def get_plugin(ctx: Context, name: str) -> dict[str, Any]:
    """One installed plugin's row."""
    ctx.actor.require("plugins.read")
    with ctx.db.read() as conn:
        row = _row(conn, name)
    if row is None:
        raise NotFound(f"Plugin {name!r} is not installed", code="plugin_not_installed")
    return describe(row)


def install(ctx: Context, registry: PluginRegistry, name: str) -> dict[str, Any]:
    """Install: run its revisions, record it and what it registers; status ``inactive``."""
    ctx.actor.require("plugins.manage")
    spec = _spec(registry, name)
    cycle = dependency_cycle(registry.specs, name)
    if cycle:
        raise Conflict(f"Dependency cycle: {' -> '.join(cycle)}", code="dependency_cycle")
    with ctx.db.read() as conn:
        if _row(conn, name) is not None:
            raise Conflict(f"Plugin {name!r} is already installed", code="already_installed")
        installed = {r for r in conn.execute(select(Plugin.name)).scalars()}
    missing = [d for d in spec.dependencies if d not in installed]
    if missing:
        raise Conflict(
            f"Install {', '.join(missing)} before {name}",
            code="missing_dependency",
            details=[{"path": "dependencies", "message": m} for m in missing],
        )
    applied = plugin_migrations.upgrade(ctx.db, name, spec.migrations) if spec.migrations else []
    try:
        row = _record_install(ctx, spec, applied)
    except BaseException:
        if spec.migrations:
            plugin_migrations.downgrade(ctx.db, name, spec.migrations)
        raise
    ctx.hooks.action(hookspecs.PLUGIN_INSTALL, row, actor=ctx.actor)
    return row


def _record_install(ctx: Context, spec: PluginSpec, applied: list[str]) -> dict[str, Any]:
    now = ctx.clock.now_ms()
    plugin_id = new_id()
    with ctx.db.write() as conn:
        values = {
            "id": plugin_id,
            "name": spec.name,
            "display_name": spec.display_name,
            "description": spec.description,
            "version": spec.version,
            "author": spec.author,
            "category": spec.category,
            "icon": spec.icon,
            "status": "inactive",
            "is_core": spec.is_core,
            "settings": spec.default_settings(),
            "permissions": [p for p, _ in spec.permissions],
            "dependencies": list(spec.dependencies),
            "installed_at": now,
            "last_updated": now,
            "created_at": now,
            "updated_at": now,
        }
        values = ctx.hook_scope(conn).filter(hookspecs.PLUGIN_INSTALL, values)
        conn.execute(insert(Plugin).values(**values))
        _record_registrations(conn, spec, plugin_id, now)
        _add_permissions(conn, spec, now)
        details = {"version": spec.version, "migrations": applied}
        _log(conn, now, plugin_id, "install", ctx.actor, details)
        installed = describe(_row(conn, spec.name))
    roles.invalidate(ctx.db)  # admins hold the plugin's permissions from now on
    return installed


def _record_registrations(conn: Connection, spec: PluginSpec, plugin_id: str, now: int) -> None:
    for hook in spec.hooks:
        bound = hook.bind(spec.name)
        conn.execute(
            insert(PluginHook).values(
                id=new_id(),
                plugin_id=plugin_id,
                hook_name=hook.hook,
                handler_name=f"{hook.phase}:{bound.handler_name}",
                priority=hook.priority,
                created_at=now,
            )
        )
    if spec.router is not None:
        for route in spec.router().routes:
            for method in sorted(getattr(route, "methods", None) or {"GET"}):
                conn.execute(
                    insert(PluginRoute).values(
                        id=new_id(),
                        plugin_id=plugin_id,
                        path=spec.mount_path() + getattr(route, "path", ""),
                        method=method,
                        handler_name=getattr(route, "name", "route"),
                        created_at=now,
                    )
                )
    for asset in spec.assets:
        conn.execute(
            insert(PluginAsset).values(
                id=new_id(),
                plugin_id=plugin_id,
                asset_type=asset.asset_type,
                asset_path=asset.asset_path,
                load_order=asset.load_order,
                load_location=asset.load_location,
                created_at=now,
            )
        )


def _add_permissions(conn: Connection, spec: PluginSpec, now: int) -> None:
    for name, description in spec.permissions:
        pid = _permission_id(name)
        if conn.execute(select(Permission.id).where(Permission.name == name)).first():
            continue
        category = name.split(".")[0]
        conn.execute(
            insert(Permission).values(
                id=pid, name=name, description=description, category=category, created_at=now
            )
        )
        conn.execute(
            insert(RolePermission).values(
                id=f"rp_admin_{pid.removeprefix('perm_')}",
                role="admin",
                permission_id=pid,
                created_at=now,
            )
        )


def _remove_permissions(conn: Connection, spec: PluginSpec) -> None:
    ids = [_permission_id(name) for name, _ in spec.permissions]
    if ids:
        conn.execute(delete(RolePermission).where(RolePermission.permission_id.in_(ids)))
        conn.execute(delete(Permission).where(Permission.id.in_(ids)))


def activate(ctx: Context, registry: PluginRegistry, name: str) -> dict[str, Any]:
    """Activate an installed plugin whose dependencies are all active."""
    ctx.actor.require("plugins.manage")
    spec = _spec(registry, name)
    with ctx.db.write() as conn:
        row = _installed(conn, name)
        inactive = [
            d
            for d in spec.dependencies
            if (dep := _row(conn, d)) is None or dep["status"] != "active"
        ]
        if inactive:
            raise Conflict(
                f"Activate {', '.join(inactive)} before {name}",
                code="dependency_inactive",
                details=[{"path": "dependencies", "message": d} for d in inactive],
            )
        refuse_outside_environments(spec, ctx.settings)
        if spec.on_activate is not None:
            spec.on_activate(ActivationContext(ctx.settings, dict(row["settings"] or {})))
        payload = ctx.hook_scope(conn).filter(hookspecs.PLUGIN_ACTIVATE, describe(row))
        now = ctx.clock.now_ms()
        conn.execute(
            update(Plugin)
            .where(Plugin.name == name)
            .values(
                status="active",
                activated_at=now,
                error_message=None,
                updated_at=now,
                last_updated=now,
            )
        )
        _log(conn, now, row["id"], "activate", ctx.actor, {"from": row["status"]})
        result = describe(_row(conn, name))
    ctx.hooks.action(hookspecs.PLUGIN_ACTIVATE, {**payload, **result}, actor=ctx.actor)
    return result


def refuse_outside_environments(spec: PluginSpec, settings: Settings) -> None:
    """409 ``plugin_not_allowed_in_env`` when ``SONIC_ENV`` is not on the plugin's allow-list.

    An allow-list, not "not production": a ``staging`` or misspelt environment is refused too.
    """
    if not spec.allowed_in(settings.env):
        allowed = ", ".join(spec.environments)
        raise Conflict(
            f"{spec.name} can only be activated when SONIC_ENV is one of: {allowed} "
            f"(it is {settings.env!r})",
            code="plugin_not_allowed_in_env",
            details=[{"path": "env", "message": f"allowed: {allowed}"}],
        )


def deactivate(ctx: Context, registry: PluginRegistry, name: str) -> dict[str, Any]:
    """Deactivate, unless an active plugin depends on it."""
    ctx.actor.require("plugins.manage")
    with ctx.db.write() as conn:
        row = _installed(conn, name)
        dependents = _active_dependents(registry, conn, name)
        if dependents:
            raise Conflict(
                f"{', '.join(dependents)} need {name}; deactivate them first",
                code="required_by_active_plugin",
                details=[{"path": "dependents", "message": d} for d in dependents],
            )
        ctx.hook_scope(conn).filter(hookspecs.PLUGIN_DEACTIVATE, describe(row))
        now = ctx.clock.now_ms()
        conn.execute(
            update(Plugin).where(Plugin.name == name).values(status="inactive", updated_at=now)
        )
        _log(conn, now, row["id"], "deactivate", ctx.actor, {"from": row["status"]})
        result = describe(_row(conn, name))
    ctx.hooks.action(hookspecs.PLUGIN_DEACTIVATE, result, actor=ctx.actor)
    return result


def uninstall(
    ctx: Context, registry: PluginRegistry, name: str, *, keep_data: bool = False
) -> dict[str, Any]:
    """Remove a plugin: deactivates it, deletes its rows, reverts its revisions (unless
    ``keep_data``). Core plugins and plugins other installed plugins need are refused."""
    ctx.actor.require("plugins.manage")
    spec = registry.get(name)
    with ctx.db.write() as conn:
        row = _installed(conn, name)
        if row["is_core"]:
            raise Conflict(f"{name} is a core plugin; deactivate it instead", code="core_plugin")
        needed_by = [
            other
            for other in conn.execute(select(Plugin.name)).scalars()
            if (s := registry.get(other)) is not None and name in s.dependencies
        ]
        if needed_by:
            raise Conflict(
                f"{', '.join(needed_by)} depend on {name}; uninstall them first",
                code="required_by_installed_plugin",
            )
        ctx.hook_scope(conn).filter(hookspecs.PLUGIN_UNINSTALL, describe(row))
        conn.execute(delete(Plugin).where(Plugin.name == name))
        if spec is not None:
            _remove_permissions(conn, spec)
        now = ctx.clock.now_ms()
        _log(conn, now, row["id"], "uninstall", ctx.actor, {"keep_data": keep_data})
        result = describe(row)
    roles.invalidate(ctx.db)
    if spec is not None and spec.migrations and not keep_data:
        plugin_migrations.downgrade(ctx.db, name, spec.migrations)
    ctx.hooks.action(hookspecs.PLUGIN_UNINSTALL, result, actor=ctx.actor)
    return result


def _installed(conn: Connection, name: str) -> Any:
    row = _row(conn, name)
    if row is None:
        raise NotFound(f"Plugin {name!r} is not installed", code="plugin_not_installed")
    return row


def _active_dependents(registry: PluginRegistry, conn: Connection, name: str) -> list[str]:
    active = conn.execute(select(Plugin.name).where(Plugin.status == "active")).scalars()
    return sorted(
        other
        for other in active
        if (spec := registry.get(other)) is not None and name in spec.dependencies
    )


def get_settings(ctx: Context, name: str) -> dict[str, Any]:
    """The plugin's stored settings."""
    ctx.actor.require("plugins.read")
    with ctx.db.read() as conn:
        row = _installed(conn, name)
    return dict(row["settings"] or {})


def update_settings(
    ctx: Context, registry: PluginRegistry, name: str, changes: dict[str, Any]
) -> dict[str, Any]:
    """Merge ``changes`` into the settings and validate the whole against the plugin's model."""
    ctx.actor.require("plugins.manage")
    spec = _spec(registry, name)
    with ctx.db.write() as conn:
        row = _installed(conn, name)
        merged = {**(row["settings"] or {}), **changes}
        if spec.settings_model is None:
            if changes:
                raise ValidationFailed(f"{name} has no settings", code="no_settings")
            return {}
        try:
            validated = spec.settings_model.model_validate(merged).model_dump(mode="json")
        except ValidationError as exc:
            raise ValidationFailed(
                "Invalid plugin settings",
                details=[
                    {"path": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
                    for e in exc.errors()
                ],
            ) from None
        now = ctx.clock.now_ms()
        conn.execute(
            update(Plugin).where(Plugin.name == name).values(settings=validated, updated_at=now)
        )
        _log(conn, now, row["id"], "settings", ctx.actor, {"keys": sorted(changes)})
    return validated


def mark_error(ctx: Context, name: str, message: str) -> None:
    """Record a handler failure: status ``error`` with the message, and an activity entry."""
    with ctx.db.write() as conn:
        row = _row(conn, name)
        if row is None:
            return
        now = ctx.clock.now_ms()
        conn.execute(
            update(Plugin)
            .where(Plugin.name == name)
            .values(status="error", error_message=message[:2000], updated_at=now)
        )
        conn.execute(
            insert(PluginActivity).values(
                id=new_id(),
                plugin_id=row["id"],
                action="error",
                details={"message": message[:2000]},
                timestamp=now,
            )
        )


def active_plugins(ctx: Context) -> dict[str, dict[str, Any]]:
    """Installed plugins with status ``active``: name -> settings."""
    with ctx.db.read() as conn:
        rows = conn.execute(select(Plugin.name, Plugin.settings).where(Plugin.status == "active"))
        return {name: dict(settings or {}) for name, settings in rows}
