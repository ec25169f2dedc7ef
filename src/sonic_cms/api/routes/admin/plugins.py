"""/admin/api/plugins: list, install, activate, deactivate, uninstall, settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query

from sonic_cms.api.context import AppContext
from sonic_cms.api.deps import ContextDep, CtxDep
from sonic_cms.api.models import admin as adocs
from sonic_cms.api.openapi import DocumentedRoute, ok
from sonic_cms.api.params import only_params
from sonic_cms.context import Context
from sonic_cms.extensions import lifecycle
from sonic_cms.pagination import complete_list

router = APIRouter(prefix="/admin/api/plugins", tags=["plugins"], route_class=DocumentedRoute)


@router.get("", dependencies=[Depends(only_params())], responses=ok(adocs.PluginList))
async def list_plugins(ctx: CtxDep, app: ContextDep) -> dict[str, Any]:
    """Every known plugin with its state, and invalid ones with their problems."""
    data = await ctx.run_read(lambda: lifecycle.list_plugins(ctx, app.plugins.registry))
    return complete_list(data, ctx.clock.now_ms())


@router.get("/{name}", dependencies=[Depends(only_params())], responses=ok(adocs.PluginEnvelope))
async def get_plugin(ctx: CtxDep, name: str) -> dict[str, Any]:
    """One installed plugin."""
    return {"data": await ctx.run_read(lambda: lifecycle.get_plugin(ctx, name))}


async def _lifecycle(ctx: Context, app: AppContext, step: Callable[[], Any]) -> dict[str, Any]:
    """Run a lifecycle step, then bring this process's hook bus in step with it at once."""
    row = await ctx.run_write(step)
    await ctx.run_read(lambda: app.plugins.refresh(force=True))
    return {"data": row}


@router.post("/{name}/install", status_code=201, responses=ok(adocs.PluginEnvelope, 201))
async def install(ctx: CtxDep, app: ContextDep, name: str) -> dict[str, Any]:
    """Install: run its revisions and record what it registers."""
    return await _lifecycle(ctx, app, lambda: lifecycle.install(ctx, app.plugins.registry, name))


@router.post("/{name}/activate", responses=ok(adocs.PluginEnvelope))
async def activate(ctx: CtxDep, app: ContextDep, name: str) -> dict[str, Any]:
    """Activate (its dependencies must be active)."""
    return await _lifecycle(ctx, app, lambda: lifecycle.activate(ctx, app.plugins.registry, name))


@router.post("/{name}/deactivate", responses=ok(adocs.PluginEnvelope))
async def deactivate(ctx: CtxDep, app: ContextDep, name: str) -> dict[str, Any]:
    """Deactivate (no active plugin may need it)."""
    return await _lifecycle(ctx, app, lambda: lifecycle.deactivate(ctx, app.plugins.registry, name))


@router.delete(
    "/{name}",
    dependencies=[Depends(only_params("keep_data"))],
    responses=ok(adocs.PluginEnvelope),
)
async def uninstall(
    ctx: CtxDep, app: ContextDep, name: str, keep_data: Annotated[bool, Query()] = False
) -> dict[str, Any]:
    """Uninstall; its tables are dropped unless ``keep_data``."""
    return await _lifecycle(
        ctx, app, lambda: lifecycle.uninstall(ctx, app.plugins.registry, name, keep_data=keep_data)
    )


@router.get(
    "/{name}/settings",
    dependencies=[Depends(only_params())],
    responses=ok(adocs.PluginSettings),
)
async def get_settings(ctx: CtxDep, name: str) -> dict[str, Any]:
    """The plugin's settings."""
    data = await ctx.run_read(lambda: lifecycle.get_settings(ctx, name))
    return {"data": data}


@router.put("/{name}/settings", responses=ok(adocs.PluginSettings))
async def update_settings(
    ctx: CtxDep, app: ContextDep, name: str, changes: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Change settings; validated by the plugin's settings model (422 with field paths)."""
    return await _lifecycle(
        ctx, app, lambda: lifecycle.update_settings(ctx, app.plugins.registry, name, changes)
    )
