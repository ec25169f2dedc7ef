"""The server's health as operators and SonicJS clients read it.

``GET /health`` answers SonicJS's keys (``name``, ``version``, ``status``, ``timestamp``) with
ours beside them: the database, the migration state and the verdict ``ready``. The checks of
``/api/system/health`` and ``/api/system/ping`` (database, cache tiers, media storage, each
timed) live here too, so both routes judge the same way.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

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
