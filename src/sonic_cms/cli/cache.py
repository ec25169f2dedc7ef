"""`sonic cache clear|stats`: the shared tier (Redis) and the generations every process reads
(through Redis, or through the generations file for the processes of this host).

A CLI process has no view of a server's memory tier; clearing moves the generations (in Redis
and in the host's generations file), which makes every server's memory entries unreachable too.
Only a server on an in-memory database shares nothing, and the command says so.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer

from sonic_cms.cache import NAMESPACES
from sonic_cms.cache.generations import generations_file
from sonic_cms.cache.tiered import TieredCache
from sonic_cms.cli.common import DatabaseUrlOption, EnvOption, console, fail, settings_from
from sonic_cms.clock import SystemClock

app = typer.Typer(help="Inspect and clear the cache.", no_args_is_help=True)

NamespaceArg = Annotated[str | None, typer.Argument(help=f"One of: {', '.join(NAMESPACES)}")]


def _check(namespace: str | None) -> None:
    if namespace is not None and namespace not in NAMESPACES:
        fail(f"unknown namespace {namespace!r} (known: {', '.join(NAMESPACES)})", code=2)


@app.command("clear")
def clear(
    namespace: NamespaceArg = None, env: EnvOption = None, database_url: DatabaseUrlOption = None
) -> None:
    """Clear one namespace or everything, for every server sharing this Redis or this host."""
    _check(namespace)
    settings = settings_from(env, database_url)
    if not settings.redis_url and (
        generations_file(settings.database_url, settings.cache_generations_file) is None
    ):
        fail(
            "the database is in memory, so is its server's cache; "
            "use POST /admin/cache/clear on the server",
            code=1,
        )

    async def run() -> dict[str, object]:
        cache = TieredCache(settings, SystemClock())
        try:
            result: dict[str, object] = dict(await cache.clear(namespace))
            if cache.redis is not None and not cache.redis.available:
                fail("redis is unreachable; nothing cleared")
            return result
        finally:
            await cache.close()

    console.print_json(json.dumps(asyncio.run(run())))


@app.command("stats")
def stats(
    namespace: NamespaceArg = None, env: EnvOption = None, database_url: DatabaseUrlOption = None
) -> None:
    """Redis keys and connection state (per-process memory counters: GET /admin/cache/stats)."""
    _check(namespace)
    settings = settings_from(env, database_url)

    async def run() -> dict[str, object]:
        cache = TieredCache(settings, SystemClock())
        try:
            result = await cache.stats(namespace)
            if cache.redis is not None:
                try:
                    result["redis"] = {**result["redis"], **await cache.redis.size()}  # type: ignore[dict-item]
                except Exception as exc:  # noqa: BLE001 (reported, not raised)
                    result["redis"] = {"configured": True, "connected": False, "error": str(exc)}
            return result
        finally:
            await cache.close()

    console.print_json(json.dumps(asyncio.run(run())))
