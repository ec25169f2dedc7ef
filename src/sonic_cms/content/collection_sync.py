"""Config-managed collections: the seed's "Collection Sync System", from a folder of files.

Each ``*.yaml``/``*.yml``/``*.json`` file in ``SONIC_COLLECTIONS_DIR`` describes one collection
(SonicJS's CollectionConfig: name, displayName, description, schema, managed, isActive). Sync is
idempotent: a second run reports every file unchanged. A managed collection whose file is gone is
deactivated, never deleted: its content stays.

The admin's collections page reads its overview here too (:func:`collection_overview`): every
collection with its item count and, for a managed one, the file it comes from. That file is not
stored: it is the file in ``SONIC_COLLECTIONS_DIR`` whose ``name`` (or, without one, whose file
name) is the collection's, the rule sync itself follows. Counts are one grouped query over all
items (every status: the count a delete is refused for).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson
import yaml
from sqlalchemy import Connection, func, insert, select, update

from sonic_cms.content.collections import (
    RESERVED_MESSAGE,
    collection_input_errors,
    get_collection,
    is_reserved,
    list_collections,
    reserved_name_problems,
    reserved_tables,
)
from sonic_cms.context import Context
from sonic_cms.db.schema.tables import COLLECTIONS, CONTENT
from sonic_cms.ids import new_id

SUFFIXES = (".yaml", ".yml", ".json")
MAX_FILE_BYTES = 1_048_576


@dataclass(frozen=True)
class SyncResult:
    """What happened to one file: created, updated, unchanged, deactivated, error, or a
    warning about an existing collection (a reserved name)."""

    file: str
    name: str
    status: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return asdict(self)


def load_config(path: Path) -> dict[str, Any]:
    """Parse one collection file; ValueError with a readable reason when it cannot be read."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValueError(f"file is larger than {MAX_FILE_BYTES} bytes")
    text = path.read_text(encoding="utf-8")
    try:
        parsed = orjson.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (orjson.JSONDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"cannot parse: {str(exc).splitlines()[0]}") from exc
    if not isinstance(parsed, dict):
        raise ValueError("top level must be a mapping")
    return parsed


def config_values(config: dict[str, Any]) -> dict[str, Any]:
    """The collection columns a config file asks for, SonicJS's camelCase keys mapped."""
    return {
        "name": config.get("name"),
        "display_name": config.get("displayName", config.get("display_name")),
        "description": config.get("description"),
        "schema": _with_comments_switch(config.get("schema"), config.get("comments")),
        "is_active": config.get("isActive", config.get("is_active", True)) is not False,
        "managed": config.get("managed", True) is not False,
    }


def _with_comments_switch(schema: Any, comments: Any) -> Any:
    """A file's top-level ``comments: false`` kept where every collection keeps it: at the top
    of its schema (sonic_cms.comments reads it there)."""
    if comments is None or not isinstance(schema, dict):
        return schema
    return {**schema, "comments": comments}


def _sync_one(conn: Connection, now: int, values: dict[str, Any]) -> tuple[str, str]:
    existing = conn.execute(select(COLLECTIONS).where(COLLECTIONS.c.name == values["name"])).first()
    label = values["display_name"]
    if existing is None:
        conn.execute(
            insert(COLLECTIONS).values(
                id=f"col-{values['name']}-{new_id()[-8:]}", created_at=now, updated_at=now, **values
            )
        )
        return "created", f'Created collection "{label}"'
    current = {key: getattr(existing, key) for key in values}
    current["is_active"], current["managed"] = bool(existing.is_active), bool(existing.managed)
    if current == values:
        return "unchanged", f'Collection "{label}" is up to date'
    conn.execute(
        update(COLLECTIONS).where(COLLECTIONS.c.id == existing.id).values(updated_at=now, **values)
    )
    return "updated", f'Updated collection "{label}"'


def collection_files(folder: Path) -> list[Path]:
    """The collection files of a folder, in name order."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in SUFFIXES)


def sync_collections(ctx: Context, folder: Path) -> list[SyncResult]:
    """Sync every file in ``folder``; one result per file, plus one per deactivated collection.

    Each file syncs in its own transaction, so one bad file never blocks the others.
    """
    ctx.actor.require("collections.update")
    results: list[SyncResult] = []
    seen: set[str] = set()
    for path in collection_files(folder):
        result = _sync_file(ctx, path)
        seen.add(result.name)
        results.append(result)
    results.extend(_deactivate_missing(ctx, seen))
    results.extend(reserved_name_warnings(ctx))
    return results


def _sync_file(ctx: Context, path: Path) -> SyncResult:
    try:
        values = config_values(load_config(path))
    except (OSError, ValueError) as exc:
        return SyncResult(path.name, path.stem, "error", str(exc))
    name = str(values["name"] or path.stem)
    errors = collection_input_errors(values, partial=False)
    if errors:
        reasons = ", ".join(f"{e['path']}: {e['message']}" for e in errors)
        return SyncResult(path.name, name, "error", f"Validation failed: {reasons}")
    with ctx.db.write() as conn:
        exists = conn.execute(select(COLLECTIONS.c.id).where(COLLECTIONS.c.name == name)).first()
        reserved = reserved_name_problems(conn, name)
        if reserved and exists is None:
            return SyncResult(
                path.name, name, "error", f"Validation failed: name {RESERVED_MESSAGE}"
            )
        status, message = _sync_one(conn, ctx.clock.now_ms(), values)
    return SyncResult(path.name, name, status, message)


def reserved_name_warnings(ctx: Context) -> list[SyncResult]:
    """One warning per existing collection whose name is now reserved (made before the rule,
    or imported): it keeps working, and the operator learns it should be renamed."""
    with ctx.db.read() as conn:
        tables = reserved_tables(conn)
        names = conn.execute(select(COLLECTIONS.c.name).order_by(COLLECTIONS.c.name)).scalars()
        return [
            SyncResult("", name, "warning", f"Collection name {name!r} {RESERVED_MESSAGE}")
            for name in names
            if is_reserved(name, tables)
        ]


def _deactivate_missing(ctx: Context, seen: set[str]) -> list[SyncResult]:
    results = []
    with ctx.db.write() as conn:
        rows = conn.execute(
            select(COLLECTIONS.c.id, COLLECTIONS.c.name).where(
                COLLECTIONS.c.managed == True,  # noqa: E712
                COLLECTIONS.c.is_active == True,  # noqa: E712
            )
        ).all()
        for row in rows:
            if row.name in seen:
                continue
            conn.execute(
                update(COLLECTIONS)
                .where(COLLECTIONS.c.id == row.id)
                .values(is_active=False, updated_at=ctx.clock.now_ms())
            )
            results.append(
                SyncResult(
                    "",
                    row.name,
                    "deactivated",
                    f'Collection "{row.name}" has no config file; deactivated',
                )
            )
    return results


def summary_line(results: list[SyncResult]) -> str:
    """The seed's summary: ``N created, N updated, N unchanged, N errors``."""
    counts = {
        status: sum(r.status == status for r in results)
        for status in ("created", "updated", "unchanged", "error", "deactivated", "warning")
    }
    line = (
        f"✅ Collection sync complete: {counts['created']} created, {counts['updated']} updated, "
        f"{counts['unchanged']} unchanged, {counts['error']} errors"
    )
    if counts["deactivated"]:
        line += f", {counts['deactivated']} deactivated"
    if counts["warning"]:
        line += f", {counts['warning']} warnings"
    return line


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
