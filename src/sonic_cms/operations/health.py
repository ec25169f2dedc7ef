"""The server's health as operators and SonicJS clients read it.

``GET /health`` answers SonicJS's keys (``name``, ``version``, ``status``, ``timestamp``) with
ours beside them: the database, the migration state and the verdict ``ready``. The checks of
``/api/system/health`` and ``/api/system/ping`` (database, cache tiers, media storage, each
timed) live here too, so both routes judge the same way, and so do the probes a load balancer
or an orchestrator calls every second: ``GET /health/live`` (the process answers, nothing
else) and ``GET /health/ready`` (:class:`Readiness`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal
from urllib.parse import urlsplit

import anyio.to_thread
from sqlalchemy import text
from sqlalchemy.engine import make_url

from sonic_cms import __version__
from sonic_cms.cache.redis import RedisUnavailable
from sonic_cms.cache.tiered import TieredCache
from sonic_cms.clock import iso_utc
from sonic_cms.context import Context
from sonic_cms.db import migrate

#: What ``name`` says in /health and /api/system/info (SonicJS says its app's name there).
APP_NAME = "sonic-cms"
#: Read from storage by the storage check; absent is as healthy as present.
STORAGE_PROBE_KEY = "health-check/probe"


def _elapsed_ms(start: float) -> int:
    return round((time.perf_counter() - start) * 1000)


def health_report(ctx: Context) -> dict[str, Any]:
    """``GET /health``'s document: 503 is due when ``ready`` is false.

    ``status`` stays honest on a 503: ``running`` only when ready, ``degraded`` when the
    database answers but migrations are pending, ``error`` when the database does not answer.
    """
    base = {"name": APP_NAME, "version": __version__, "timestamp": iso_utc(ctx.clock.now_ms())}
    db = ctx.db
    try:
        with db.read() as conn:
            conn.execute(text("SELECT 1"))
        current = migrate.current_revision(db)
        pending = [script.revision for script in migrate.pending_revisions(db)]
    except Exception as exc:  # noqa: BLE001 - a health check reports, it does not raise
        return {
            **base,
            "status": "error",
            "ready": False,
            "database": {"engine": db.dialect, "reachable": False, "error": type(exc).__name__},
            "migrations": None,
        }
    return {
        **base,
        "status": "degraded" if pending else "running",
        "ready": not pending,
        "database": {"engine": db.dialect, "reachable": True},
        "migrations": {"current": current, "head": migrate.head_revision(), "pending": pending},
    }


def database_check(ctx: Context) -> dict[str, Any]:
    """``{status: healthy|unhealthy, latency}``: one ``SELECT 1``, timed in milliseconds."""
    start = time.perf_counter()
    try:
        with ctx.db.read() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - reported as unhealthy
        return {"status": "unhealthy", "latency": _elapsed_ms(start)}
    return {"status": "healthy", "latency": _elapsed_ms(start)}


async def cache_check(cache: TieredCache) -> dict[str, Any]:
    """The cache tiers: ``not_configured`` when caching is off; the memory tier always
    answers, so the status is Redis's when Redis is configured (a read, timed)."""
    if not cache.enabled:
        return {"status": "not_configured", "latency": 0}
    if cache.redis is None:
        return {"status": "healthy", "latency": 0}
    start = time.perf_counter()
    try:
        await cache.redis.get("health-check")
    except RedisUnavailable:
        return {"status": "unhealthy", "latency": _elapsed_ms(start)}
    return {"status": "healthy", "latency": _elapsed_ms(start)}


def storage_check(ctx: Context) -> dict[str, Any]:
    """Media storage: a HEAD of a probe key (a missing object is a healthy answer)."""
    start = time.perf_counter()
    try:
        ctx.storage.head(STORAGE_PROBE_KEY)
    except Exception:  # noqa: BLE001 - reported as unhealthy
        return {"status": "unhealthy", "latency": _elapsed_ms(start)}
    return {"status": "healthy", "latency": _elapsed_ms(start)}


def overall_status(checks: dict[str, dict[str, Any]]) -> str:
    """``unhealthy`` without a database; ``degraded`` when another check fails."""
    if checks["database"]["status"] != "healthy":
        return "unhealthy"
    failing = any(check["status"] == "unhealthy" for check in checks.values())
    return "degraded" if failing else "healthy"


def configuration(ctx: Context) -> dict[str, Any]:
    """Where the server keeps its state: for callers who may read settings only (it names
    hosts, the storage backend and the environment)."""
    settings = ctx.settings
    url = make_url(settings.database_url)
    return {
        "environment": settings.env,
        "database": {"engine": ctx.db.dialect, "host": url.host, "name": url.database},
        "cache": {
            "enabled": settings.cache_enabled,
            "redis_host": urlsplit(settings.redis_url).hostname if settings.redis_url else None,
        },
        "storage": {"backend": settings.media_storage},
    }


def ping(ctx: Context) -> dict[str, Any]:
    """``{pong, latency, timestamp}``; ``pong`` false when the database does not answer."""
    check = database_check(ctx)
    return {
        "pong": check["status"] == "healthy",
        "latency": check["latency"],
        "timestamp": iso_utc(ctx.clock.now_ms()),
    }


# -- the readiness probe ------------------------------------------------------------------------
CheckResult = dict[str, Any]
CheckStatus = Literal["ok", "fail", "skipped"]


def _result(status: CheckStatus, start: float, **extra: Any) -> CheckResult:
    return {"status": status, "latency_ms": _elapsed_ms(start), **extra}


def database_readiness(ctx: Context) -> dict[str, CheckResult]:
    """``database`` (it answers) and ``migrations`` (it is at the packaged head revision), from
    one read of Alembic's version table."""
    start = time.perf_counter()
    try:
        current = migrate.current_revision(ctx.db)
    except Exception as exc:  # noqa: BLE001 - a probe reports, it does not raise
        return {
            "database": _result("fail", start, reason="unreachable", error=type(exc).__name__),
            "migrations": {"status": "skipped", "reason": "database_unreachable"},
        }
    head = migrate.head_revision()
    migrations = {"status": "ok", "current": current, "head": head}
    if current != head:
        migrations = {"status": "fail", "reason": "pending", "current": current, "head": head}
    return {"database": _result("ok", start), "migrations": migrations}


async def redis_readiness(cache: TieredCache) -> CheckResult:
    """A PING to the Redis tier, ``skipped`` when none is configured. It goes around the
    tier's circuit breaker: the probe asks Redis itself, and a failure here does not pause the
    cache's own use of Redis."""
    if cache.redis is None:
        return {"status": "skipped", "reason": "not_configured"}
    start = time.perf_counter()
    try:
        await cache.redis.ping()
    except RedisUnavailable as exc:
        cause = exc.__cause__ or exc
        return _result("fail", start, reason="unreachable", error=type(cause).__name__)
    return _result("ok", start)


def storage_readiness(ctx: Context) -> CheckResult:
    """A HEAD in the S3 bucket when media is stored there, ``skipped`` for the local folder
    (the process's own disk: if it is gone, so is the process)."""
    if ctx.settings.media_storage != "s3":
        return {"status": "skipped", "reason": "local_storage"}
    start = time.perf_counter()
    check = storage_check(ctx)
    if check["status"] != "healthy":
        return _result("fail", start, reason="unreachable")
    return _result("ok", start)


class Readiness:
    """Runs the readiness checks, each bounded by ``timeout`` seconds.

    A hung dependency must not hang the probe, nor pile up: a check still running from an
    earlier probe is awaited again (with a fresh timeout) instead of started twice, so a
    database that never answers holds one thread, not one per probe per second.
    """

    def __init__(self, ctx: Context, cache: TieredCache, timeout: float) -> None:
        self.ctx = ctx
        self.timeout = timeout
        self._checks: dict[str, Callable[[], Awaitable[dict[str, CheckResult]]]] = {
            # In a thread even on SQLite (whose reads otherwise run inline): a probe must not
            # block the event loop on a locked or unreachable database.
            "database": lambda: anyio.to_thread.run_sync(database_readiness, ctx),
            "redis": self._named("redis", lambda: redis_readiness(cache)),
            "storage": self._named(
                "storage", lambda: anyio.to_thread.run_sync(storage_readiness, ctx)
            ),
        }
        self._running: dict[str, asyncio.Future[dict[str, CheckResult]]] = {}

    @staticmethod
    def _named(
        name: str, check: Callable[[], Awaitable[CheckResult]]
    ) -> Callable[[], Awaitable[dict[str, CheckResult]]]:
        async def run() -> dict[str, CheckResult]:
            return {name: await check()}

        return run

    async def report(self) -> tuple[bool, dict[str, CheckResult]]:
        """``(ready, {check name: result})``, ready when no check failed."""
        parts = await asyncio.gather(*(self._one(name) for name in self._checks))
        checks = {name: result for part in parts for name, result in part.items()}
        return all(check["status"] != "fail" for check in checks.values()), checks

    async def _one(self, name: str) -> dict[str, CheckResult]:
        running = self._running.get(name)
        if running is None or running.done():
            running = self._running[name] = asyncio.ensure_future(self._checks[name]())
        try:
            return await asyncio.wait_for(asyncio.shield(running), self.timeout)
        except TimeoutError:
            timed_out: dict[str, CheckResult] = {name: {"status": "fail", "reason": "timeout"}}
            if name == "database":
                timed_out["migrations"] = {"status": "skipped", "reason": "database_unreachable"}
            return timed_out


def not_ready_error(checks: dict[str, CheckResult]) -> dict[str, Any]:
    """The 503 body: the API's error shape naming the failing checks, with every result."""
    failing = [name for name, check in checks.items() if check["status"] == "fail"]
    reasons = ", ".join(f"{name} {checks[name].get('reason', 'failed')}" for name in failing)
    return {
        "error": f"Not ready: {reasons}",
        "code": "not_ready",
        "details": [{"check": name, "reason": checks[name].get("reason")} for name in failing],
        "status": "fail",
        "checks": checks,
    }
