"""`sonic cache stats|clear` against the shared tier."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import anyio
import orjson
import pytest
from typer.testing import CliRunner

from sonic_cms.cache import CacheKey, TieredCache
from sonic_cms.cli.main import app as cli
from sonic_cms.clock import FrozenClock
from tests.cache.test_cache import cache_settings
from tests.conftest import START_MS, _service_url


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    prefix = f"cli{uuid.uuid4().hex[:8]}:"
    monkeypatch.setenv("SONIC_CONFIG_FILE", "/nonexistent.toml")
    monkeypatch.setenv("SONIC_ENV", "development")
    monkeypatch.setenv("SONIC_CACHE_REDIS_PREFIX", prefix)
    monkeypatch.setenv("SONIC_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    return prefix


@pytest.mark.redis
def test_cli_clear_reaches_every_process_through_redis(
    cli_env: str, monkeypatch: pytest.MonkeyPatch
):
    redis_url = _service_url("SONIC_TEST_REDIS_URL", "Redis")
    monkeypatch.setenv("SONIC_REDIS_URL", redis_url)
    key = CacheKey("content", "list", "1")

    async def load() -> bytes:
        return b"x"

    def invoke(*args: str) -> Any:
        return CliRunner().invoke(cli, ["cache", *args])

    async def scenario() -> None:
        server = TieredCache(cache_settings(redis_url, cli_env), FrozenClock(START_MS))
        try:
            assert (await server.get_or_load(key, load)).source == "database"
            assert (await server.get_or_load(key, load)).source == "memory"
            stats = await anyio.to_thread.run_sync(invoke, "stats")
            assert stats.exit_code == 0, stats.output
            assert orjson.loads(stats.output)["redis"]["entries"] == 1
            cleared = await anyio.to_thread.run_sync(invoke, "clear", "content")
            assert cleared.exit_code == 0, cleared.output
            assert orjson.loads(cleared.output)["namespaces"] == ["content"]
            # the "server" process sees the clear
            assert (await server.get_or_load(key, load)).source == "database"
            assert (await anyio.to_thread.run_sync(invoke, "clear", "bogus")).exit_code == 2
        finally:
            await server.close()

    anyio.run(scenario)


def test_cli_clear_without_redis_reaches_this_hosts_processes(
    cli_env: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    url = f"sqlite:///{tmp_path}/sonic.db"
    monkeypatch.delenv("SONIC_REDIS_URL", raising=False)
    monkeypatch.setenv("SONIC_DATABASE_URL", url)
    key = CacheKey("content", "list", "1")

    async def load() -> bytes:
        return b"x"

    async def scenario() -> None:
        server = TieredCache(cache_settings("", cli_env, url), FrozenClock(START_MS))
        try:
            await server.get_or_load(key, load)
            assert (await server.get_or_load(key, load)).source == "memory"
            result = await anyio.to_thread.run_sync(
                lambda: CliRunner().invoke(cli, ["cache", "clear", "content"])
            )
            assert result.exit_code == 0, result.output
            assert (await server.get_or_load(key, load)).source == "database"
        finally:
            await server.close()

    anyio.run(scenario)


def test_cli_clear_of_an_in_memory_database_says_why(cli_env: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("SONIC_REDIS_URL", raising=False)
    monkeypatch.setenv("SONIC_DATABASE_URL", "sqlite://")
    result = CliRunner().invoke(cli, ["cache", "clear"])
    assert result.exit_code == 1
    assert "in memory" in result.output
