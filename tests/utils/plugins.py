"""Test plugins: `spy` (a table, a route that writes through the hooks, a permission),
`judge` (a filter that cancels), `breaker` (handlers that raise), `stamp` (priority order)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Body
from sqlalchemy import Column, MetaData, Table, Text, insert, select

from sonic_cms.api.deps import CtxDep, PublicCtxDep
from sonic_cms.ids import new_id
from sonic_cms.plugins import hookspecs
from sonic_cms.plugins.hooks import Cancel, HookContext
from sonic_cms.plugins.spec import AssetSpec, HookSpec, PluginSpec

spy_things = Table(
    "spy_things", MetaData(), Column("id", Text, primary_key=True), Column("title", Text)
)
ACTIONS: list[tuple[str, str, Any]] = []


def record_action(payload: Any, context: HookContext) -> None:
    ACTIONS.append((context.plugin, context.hook, payload))


def spy_router() -> APIRouter:
    api = APIRouter()

    @api.get("/ping")
    async def ping() -> dict[str, Any]:
        return {"data": "pong"}

    @api.post("/things", status_code=201)
    async def create_thing(ctx: CtxDep, body: dict[str, Any] = Body()) -> dict[str, Any]:
        ctx.actor.require("spy.write")

        def work() -> dict[str, Any]:
            with ctx.db.write() as conn:
                payload = ctx.hook_scope(conn).filter(hookspecs.CONTENT_CREATE, dict(body))
                row = {"id": new_id(), "title": payload["title"]}
                conn.execute(insert(spy_things).values(**row))
            ctx.hooks.action(hookspecs.CONTENT_CREATE, row, actor=ctx.actor)
            return row

        return {"data": await ctx.run_write(work)}

    @api.get("/things")
    async def list_things(ctx: PublicCtxDep) -> dict[str, Any]:
        with ctx.db.read() as conn:
            rows = conn.execute(select(spy_things.c.title)).scalars().all()
        return {"data": list(rows)}

    return api


SPY = PluginSpec(
    name="spy",
    display_name="Spy",
    version="1.0.0",
    author="tests",
    category="testing",
    permissions=(("spy.write", "Write spy things"),),
    migrations=Path(__file__).parent / "spy_migrations",
    tables=("spy_things",),
    hooks=(HookSpec("content:create", record_action, phase="action"),),
    router=spy_router,
    assets=(AssetSpec("css", "/spy/spy.css"),),
)


def cancel_spam(payload: dict[str, Any], context: HookContext) -> dict[str, Any]:
    if "spam" in payload.get("title", ""):
        raise Cancel("spam is not welcome", status=422)
    return payload


JUDGE = PluginSpec(
    name="judge",
    display_name="Judge",
    version="1.0.0",
    author="tests",
    category="testing",
    hooks=(HookSpec("content:create", cancel_spam, phase="filter", priority=1),),
)


def explode(payload: Any, context: HookContext) -> Any:
    raise RuntimeError("breaker exploded on purpose")


BREAKER = PluginSpec(
    name="breaker",
    display_name="Breaker",
    version="1.0.0",
    author="tests",
    category="testing",
    hooks=(
        HookSpec("content:create", explode, phase="filter", priority=2),
        HookSpec("content:create", explode, phase="action", priority=2, name="explode_after"),
    ),
)


def stamp(mark: str) -> Any:
    def add_mark(payload: dict[str, Any], context: HookContext) -> dict[str, Any]:
        return {**payload, "title": payload["title"] + mark}

    add_mark.__name__ = f"stamp_{mark}"
    return add_mark


def stamper(name: str, mark: str, priority: int) -> PluginSpec:
    return PluginSpec(
        name=name,
        display_name=name.title(),
        version="1.0.0",
        author="tests",
        category="testing",
        hooks=(HookSpec("content:create", stamp(mark), phase="filter", priority=priority),),
    )


def with_deps(spec: PluginSpec, *dependencies: str, name: str | None = None) -> PluginSpec:
    return replace(spec, name=name or spec.name, dependencies=dependencies)
