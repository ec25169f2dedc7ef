"""The example plugin: a setting, a filter hook, an action hook and a route."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from sonic_cms.plugins.hooks import Cancel, HookContext
from sonic_cms.plugins.spec import HookSpec, PluginSpec

CREATED: list[str] = []


class HelloSettings(BaseModel):
    """What an admin can change."""

    greeting: str = Field("Hello", min_length=1, max_length=40)
    banned_word: str = Field("forbidden", min_length=1, max_length=40)


def refuse_banned_titles(payload: dict[str, Any], context: HookContext) -> dict[str, Any]:
    """content:create filter: runs in the transaction, before the row is written."""
    if "forbidden" in str(payload.get("title", "")).lower():
        raise Cancel("titles may not contain the banned word")
    return {**payload, "title": str(payload.get("title", "")).strip()}


def count_created(payload: dict[str, Any], context: HookContext) -> None:
    """content:create action: runs after commit; a failure here never fails the request."""
    CREATED.append(str(payload.get("id")))


def router() -> APIRouter:
    """Routes mounted under /api/plugins/hello/."""
    api = APIRouter()

    @api.get("/greeting")
    async def greeting(request: Request) -> dict[str, Any]:
        settings = request.app.state.ctx.plugins.plugin_settings("hello")
        return {"data": {"message": f"{settings.get('greeting', 'Hello')}, world"}}

    return api


plugin = PluginSpec(
    name="hello",
    display_name="Hello",
    version="0.1.0",
    author="You",
    category="example",
    description="The example plugin from docs/example_plugin",
    settings_model=HelloSettings,
    hooks=(
        HookSpec("content:create", refuse_banned_titles, phase="filter", priority=5),
        HookSpec("content:create", count_created, phase="action"),
    ),
    router=router,
)
