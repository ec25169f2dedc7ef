"""What ``/api/system/info`` and ``/api/system/stats`` tell: SonicJS's shapes, scoped to the
caller. Counts never include what the caller may not read, and configuration (hosts, storage
backend, environment) is only for callers holding ``settings.read`` (admins by default)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from sonic_cms import __version__
from sonic_cms.clock import iso_utc
from sonic_cms.content.lists import content_stats
from sonic_cms.context import Context
from sonic_cms.db.schema import User
from sonic_cms.media.queries import media_statistics
from sonic_cms.operations.health import APP_NAME, configuration

#: The permission that shows configuration details.
CONFIGURATION_PERMISSION = "settings.read"

ENDPOINTS = {"api": "/api", "auth": "/auth", "health": "/api/system/health", "docs": "/docs"}


def shows_configuration(ctx: Context) -> bool:
    """Whether the caller may see where the server keeps its state."""
    return ctx.actor.can(CONFIGURATION_PERMISSION)


def system_info(ctx: Context, *, caching: bool) -> dict[str, Any]:
    """Name, version, the main endpoints and the features; ``configuration`` for admins."""
    info: dict[str, Any] = {
        "name": APP_NAME,
        "version": __version__,
        "description": "A headless CMS for Python with SonicJS's data model and REST contract",
        "endpoints": dict(ENDPOINTS),
        "features": {
            "content": True,
            "media": True,
            "auth": True,
            "collections": True,
            "caching": caching,
            "storage": True,
        },
        "timestamp": iso_utc(ctx.clock.now_ms()),
    }
    if shows_configuration(ctx):
        info["configuration"] = configuration(ctx)
    return info


def _users_total(ctx: Context) -> int | None:
    if not ctx.actor.can("users.read"):
        return None
    with ctx.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(User)).scalar_one())


def system_stats(ctx: Context) -> dict[str, Any]:
    """SonicJS's counts of content, media and users. Content counts what the caller may read;
    each count is ``null`` for a caller without its read permission (``content.read``,
    ``media.read``, ``users.read``), so a token scoped to one resource still gets its count."""
    media: dict[str, Any] = {"total_files": None, "total_size_bytes": None, "total_size_mb": None}
    if ctx.actor.can("media.read"):
        stats = media_statistics(ctx)
        media = {
            "total_files": stats["totalFiles"],
            "total_size_bytes": stats["totalSize"],
            "total_size_mb": round(stats["totalSize"] / 1024 / 1024, 2),
        }
    return {
        "content": {
            "total": content_stats(ctx)["total"] if ctx.actor.can("content.read") else None
        },
        "media": media,
        "users": {"total": _users_total(ctx)},
        "timestamp": iso_utc(ctx.clock.now_ms()),
    }
