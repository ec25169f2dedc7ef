"""Mounting plugin routers (under /api/plugins/{name}/ unless the plugin names its own prefix),
answering 404 unless the plugin is active."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Depends, FastAPI, Request

from sonic_cms.api.context import AppContext
from sonic_cms.errors import NotFound
from sonic_cms.plugins.registry import PluginRegistry


def active_guard(name: str) -> Callable[[Request], Awaitable[None]]:
    """A dependency that hides the plugin's routes while it is not active."""

    async def guard(request: Request) -> None:
        context: AppContext = request.app.state.ctx
        if context.plugins.stale():
            await context.refresh_plugins()
        if not context.plugins.is_active(name):
            raise NotFound(f"Plugin {name!r} is not active", code="plugin_inactive")

    return guard


def mount_plugin_routes(app: FastAPI, registry: PluginRegistry) -> None:
    """Include every known plugin's router; the guard decides per request."""
    for spec in registry.specs.values():
        if spec.router is not None:
            app.include_router(
                spec.router(),
                prefix=spec.mount_path(),
                dependencies=[Depends(active_guard(spec.name))],
            )
