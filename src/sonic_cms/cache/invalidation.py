"""Which cache namespaces a committed write invalidates, from the tables it touched.

The database announces the tables of every committed write transaction
(:mod:`sonic_cms.db.write_tracking`); the cache moves the generations of the namespaces whose
cached reads those tables feed. The map errs on the side of invalidating: a table it does not
know (undeclared, or a textual statement that is not a plain INSERT/UPDATE/DELETE) invalidates
every namespace; a table an installed plugin declared in its spec moves ``plugin`` only. Only
tables that
no cached read depends on and that are written all the time (logs, sessions, throttling) are
listed as touching nothing, so they never empty the cache.
"""

from __future__ import annotations

from collections.abc import Iterable

from sonic_cms.cache.base import NAMESPACES

#: Namespaces whose cached reads depend on each core table.
TABLE_NAMESPACES: dict[str, tuple[str, ...]] = {
    # Public content reads embed the collection, the author (name) and the featured image.
    "content": ("content",),
    "content_versions": ("content",),
    "content_fts": ("content",),
    "content_fts_ids": ("content",),
    "collections": ("collection", "content"),
    "media": ("media", "content"),
    "users": ("user", "content"),
    "permissions": ("user", "content"),
    "role_permissions": ("user", "content"),
    "api_tokens": ("user",),
    "workflow_states": ("content",),
    "workflow_transitions": ("content",),
    "workflows": ("content",),
    "scheduled_content": ("content",),
    "plugins": NAMESPACES,
    "plugin_hooks": ("plugin",),
    "plugin_routes": ("plugin",),
    "plugin_assets": ("plugin",),
    # Written constantly, read by no cached route.
    "system_logs": (),
    "log_config": ("config",),
    # The site settings (maintenance mode, registration) are cached under config.
    "settings": ("config",),
    # Read by no cached route, but the actor cache (auth/authentication.py) must see a logout.
    "auth_sessions": ("session",),
    # Item reads show the approved comment count; comments themselves are read uncached.
    "content_comment_counts": ("content",),
    "comments": (),
    # Working copies are read only by their own user, never through a cached route.
    "content_autosaves": (),
    "auth_throttle": (),
    "auth_totp_steps": (),
    "change_log": (),
    "change_log_pause": (),
    "plugin_activity_log": (),
    "workflow_history": (),
    "migrations": NAMESPACES,
    # Webhooks: the outbox reads the endpoints through the memory kept under config.
    "webhook_endpoints": ("config",),
    "webhook_events": (),
    "webhook_attempts": (),
}


#: A plugin's own tables (declared in its spec) feed its routes, cached under ``plugin``.
PLUGIN_TABLE_NAMESPACES: tuple[str, ...] = ("plugin",)


def namespaces_for_tables(
    tables: Iterable[str], plugin_tables: frozenset[str] = frozenset()
) -> tuple[str, ...]:
    """The namespaces to invalidate after a write touched ``tables`` (in NAMESPACES order).

    ``plugin_tables`` are the tables installed plugins declared: they move ``plugin`` only.
    """
    wanted: set[str] = set()
    for table in tables:
        if table in plugin_tables and table not in TABLE_NAMESPACES:
            wanted.update(PLUGIN_TABLE_NAMESPACES)
        else:
            wanted.update(TABLE_NAMESPACES.get(table, NAMESPACES))
    return tuple(ns for ns in NAMESPACES if ns in wanted)
