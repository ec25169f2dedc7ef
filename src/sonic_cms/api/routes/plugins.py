"""/admin/api/plugins: list, install, activate, deactivate, uninstall, settings."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query

from sonic_cms.api.deps import ActorDep, ContextDep
from sonic_cms.api.models import admin as adocs
from sonic_cms.api.openapi import DocumentedRoute, ok
from sonic_cms.api.params import only_params
from sonic_cms.extensions import lifecycle

router = APIRouter(prefix="/admin/api/plugins", tags=["plugins"], route_class=DocumentedRoute)


@router.get("", dependencies=[Depends(only_params())], responses=ok(adocs.PluginList))
async def list_plugins(ctx: ContextDep, actor: ActorDep) -> dict[str, Any]:
    """Every known plugin with its state, and invalid ones with their problems."""
    data = await ctx.db.run_read(lifecycle.list_plugins, ctx.plugins.services, actor)
    return {"data": data}


@router.get("/{name}", dependencies=[Depends(only_params())], responses=ok(adocs.PluginEnvelope))
async def get_plugin(ctx: ContextDep, actor: ActorDep, name: str) -> dict[str, Any]:
    """One installed plugin."""
    return {"data": await ctx.db.run_read(lifecycle.get_plugin, ctx.plugins.services, actor, name)}


async def _lifecycle(ctx: ContextDep, step: Any, *args: Any) -> dict[str, Any]:
    row = await ctx.db.run_write(step, ctx.plugins.services, *args)
    await ctx.db.run_read(ctx.plugins.refresh, True)
    return {"data": row}


@router.post("/{name}/install", status_code=201, responses=ok(adocs.PluginEnvelope, 201))
async def install(ctx: ContextDep, actor: ActorDep, name: str) -> dict[str, Any]:
    """Install: run its revisions and record what it registers."""
    return await _lifecycle(ctx, lifecycle.install, actor, name)


@router.post("/{name}/activate", responses=ok(adocs.PluginEnvelope))
async def activate(ctx: ContextDep, actor: ActorDep, name: str) -> dict[str, Any]:
    """Activate (its dependencies must be active)."""
    return await _lifecycle(ctx, lifecycle.activate, actor, name)


@router.post("/{name}/deactivate", responses=ok(adocs.PluginEnvelope))
async def deactivate(ctx: ContextDep, actor: ActorDep, name: str) -> dict[str, Any]:
    """Deactivate (no active plugin may need it)."""
    return await _lifecycle(ctx, lifecycle.deactivate, actor, name)


@router.delete(
    "/{name}",
    dependencies=[Depends(only_params("keep_data"))],
    responses=ok(adocs.PluginEnvelope),
)
async def uninstall(
    ctx: ContextDep, actor: ActorDep, name: str, keep_data: Annotated[bool, Query()] = False
) -> dict[str, Any]:
    """Uninstall; its tables are dropped unless ``keep_data``."""
    return await _lifecycle(ctx, lifecycle.uninstall, actor, name, keep_data)


@router.get(
    "/{name}/settings",
    dependencies=[Depends(only_params())],
    responses=ok(adocs.PluginSettings),
)
async def get_settings(ctx: ContextDep, actor: ActorDep, name: str) -> dict[str, Any]:
    """The plugin's settings."""
    data = await ctx.db.run_read(lifecycle.get_settings, ctx.plugins.services, actor, name)
    return {"data": data}


@router.put("/{name}/settings", responses=ok(adocs.PluginSettings))
async def update_settings(
    ctx: ContextDep, actor: ActorDep, name: str, changes: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Change settings; validated by the plugin's settings model (422 with field paths)."""
    return await _lifecycle(ctx, lifecycle.update_settings, actor, name, changes)
