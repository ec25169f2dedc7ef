"""The frame around every signed-in page: the sidebar's entries and the user menu.

Each entry names the permission that its page's service requires, so a user sees only the
menus they may use; the services still refuse a crafted request (403), whatever the menu shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sonic_cms.content import collections, lists
from sonic_cms.context import Context


@dataclass(frozen=True)
class NavEntry:
    """One sidebar link."""

    label: str
    href: str
    count: int | None = None
    key: str = ""


#: (label, path, permission) of the administrators' pages, in sidebar order.
ADMIN_ENTRIES = (
    ("Collections", "/admin/collections", "collections.update"),
    ("Users", "/admin/users", "users.read"),
    ("Roles", "/admin/roles", "users.read"),
    ("API tokens", "/admin/api-tokens", "api_tokens.read"),
    ("Plugins", "/admin/plugins", "plugins.read"),
    ("Logs", "/admin/logs", "logs.read"),
    ("Cache", "/admin/cache", "settings.update"),
    ("Database", "/admin/database", "settings.update"),
    ("Webhooks", "/admin/webhooks", "settings.update"),
    ("Settings", "/admin/settings", "settings.read"),
)


def shell_values(
    ctx: Context, *, current: str, stats: dict[str, Any] | None = None
) -> dict[str, Any]:
    """What base.html needs: the user, the content entries with counts, the admin entries.

    ``current`` is the key of the page being shown, marked ``aria-current`` in the sidebar;
    ``stats`` is :func:`lists.content_stats`'s answer when the page has already read it (the
    dashboard), so the counts query runs once per page.
    """
    actor = ctx.actor
    stats = stats if stats is not None else lists.content_stats(ctx)
    counts = {entry["collection_id"]: entry["total"] for entry in stats["by_collection"]}
    content = [
        NavEntry(
            c["display_name"],
            f"/admin/content?collection={c['name']}",
            counts.get(c["id"], 0),
            f"collection:{c['name']}",
        )
        for c in collections.list_collections(ctx)
    ]
    main = [NavEntry("Dashboard", "/admin", None, "dashboard")]
    if actor.can("media.read"):
        main.append(NavEntry("Media", "/admin/media", None, "media"))
    if actor.can("content.review"):
        main.append(NavEntry("Review queue", "/admin/workflow", None, "review"))
    if actor.can("comments.moderate"):
        main.append(NavEntry("Comments", "/admin/comments", None, "comments"))
    admin = [NavEntry(label, href, None, href) for label, href, p in ADMIN_ENTRIES if actor.can(p)]
    return {"nav_main": main, "nav_content": content, "nav_admin": admin, "current": current}
