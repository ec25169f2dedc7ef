"""What the admin's collections page lists: every collection with its item count and, for a
config-managed one, the file it comes from.

Counts are one grouped query over all items (every status: the count a delete is refused for).
Where a managed collection comes from is not stored: it is the file in the configured
``SONIC_COLLECTIONS_DIR`` whose ``name`` (or, without one, whose file name) is the
collection's, the same rule :func:`~sonic_cms.content.collection_sync.sync_collections` follows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from sonic_cms.content.collection_sync import collection_files, load_config
from sonic_cms.content.collections import get_collection, list_collections
from sonic_cms.context import Context
from sonic_cms.db.schema.tables import CONTENT


def config_sources(folder: Path) -> dict[str, Path]:
    """Collection name -> the file in ``folder`` that defines it (files that cannot be read
    are left out; the first file in name order wins, as sync reports the second as a clash)."""
    sources: dict[str, Path] = {}
    for path in collection_files(folder):
        try:
            name = load_config(path).get("name") or path.stem
        except (OSError, ValueError):
            continue
        sources.setdefault(str(name), path)
    return sources


def item_counts(ctx: Context) -> dict[str, int]:
    """Collection id -> how many items it holds, in every status (one query)."""
    with ctx.db.read() as conn:
        rows = conn.execute(
            select(CONTENT.c.collection_id, func.count().label("n")).group_by(
                CONTENT.c.collection_id
            )
        ).all()
    return {row.collection_id: row.n for row in rows}


def collection_overview(ctx: Context) -> list[dict[str, Any]]:
    """Every collection (inactive ones too) with ``items`` and, when managed, ``source`` (the
    file's path, or None when no file in the collections folder defines it any more).
    Requires ``collections.update``: the page where collections are managed."""
    ctx.actor.require("collections.update")
    rows = list_collections(ctx, include_inactive=True)
    counts = item_counts(ctx)
    folder = ctx.settings.collections_dir
    sources = config_sources(folder) if any(r["managed"] for r in rows) else {}
    return [
        row
        | {
            "items": counts.get(row["id"], 0),
            "source": str(sources[row["name"]])
            if row["managed"] and row["name"] in sources
            else None,
        }
        for row in rows
    ]


def collection_detail(ctx: Context, key: str) -> dict[str, Any]:
    """One collection for its edit page: the overview's entry, found by id or name; 404
    ``Collection not found`` otherwise. Requires ``collections.update``."""
    ctx.actor.require("collections.update")
    row = get_collection(ctx, key)
    with ctx.db.read() as conn:
        count = conn.execute(
            select(func.count()).select_from(CONTENT).where(CONTENT.c.collection_id == row["id"])
        ).scalar_one()
    source = None
    if row["managed"]:
        path = config_sources(ctx.settings.collections_dir).get(row["name"])
        source = str(path) if path else None
    return row | {"items": count, "source": source}
