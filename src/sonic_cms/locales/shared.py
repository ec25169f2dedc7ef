"""Non-translatable fields: a field marked ``"translatable": false`` in the collection schema
holds one value for the whole translation group, edited once.

Every write to a row of a group copies those fields to the other rows in the same
transaction. The other rows get no version of their own: the version of the row that was
saved records the change, and the others' ``updated_at`` moves (their ETag changes, so a
client holding one of them must read it again before writing).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select, update

from sonic_cms.db.schema.tables import CONTENT
from sonic_cms.locales.groups import group_id, in_group


def with_shared(
    data: dict[str, Any], source: dict[str, Any], shared: Sequence[str]
) -> dict[str, Any]:
    """``data`` with the shared fields exactly as ``source`` holds them (absent if absent)."""
    out = {k: v for k, v in data.items() if k not in shared}
    out.update({name: source[name] for name in shared if name in source})
    return out


def copy_shared(
    conn: Connection, shared: Sequence[str], item: dict[str, Any], now: int
) -> list[str]:
    """Copy ``item``'s shared fields to the other rows of its group; returns the ids changed.

    Nothing to do (and no query) when the collection shares no field.
    """
    if not shared or not isinstance(item.get("data"), dict):
        return []
    group = group_id(item)
    others = conn.execute(
        select(CONTENT.c.id, CONTENT.c.data).where(in_group(group), CONTENT.c.id != item["id"])
    ).all()
    changed = []
    for other in others:
        current = other.data if isinstance(other.data, dict) else {}
        data = with_shared(current, item["data"], shared)
        if data != current:
            conn.execute(
                update(CONTENT).where(CONTENT.c.id == other.id).values(data=data, updated_at=now)
            )
            changed.append(other.id)
    return changed
