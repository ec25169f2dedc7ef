"""``sonic content sanitize``: clean the HTML stored before writes were cleaned.

Every write cleans rich text (content.items.checked_data), but rows written before that, or
copied in by ``sonic db import``/restore, or whose field became an HTML type later, may still
hold a ``<script>``. Reads never rewrite rows (a GET must not write, and a cache must serve
what is stored), so this command is the one way to clean them: item by item it applies the
same allow-list, and an item that changes gets a new version, so the history shows what the
cleaning removed and a rollback can be judged. Older versions keep what they held (they are
history); rolling back to one cleans it again, as every write does.

Items are read and rewritten in batches, one transaction per batch, so a long run never holds
the database for long and a stopped run can simply be started again: a clean item is never
rewritten (a second run changes nothing). A dry run reads only. No content hooks fire: this is
maintenance, not an edit; caches still drop what changed (the engine tracks every write).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from sonic_cms.content.items import version_row
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.db.schema.tables import COLLECTIONS, CONTENT, VERSIONS
from sonic_cms.errors import BadRequest, NotFound
from sonic_cms.inputs.html import HtmlPlan, plan_for_schema, sanitize


@dataclass(frozen=True)
class Cleaned:
    """One item whose rich text the allow-list changed, and the ``data.*`` paths it changed."""

    collection: str
    item_id: str
    paths: tuple[str, ...]
    #: the version written for the cleaned item (None in a dry run)
    version: int | None = None


@dataclass
class SanitizeReport:
    """What a run found: items scanned, items changed (or that would change)."""

    dry_run: bool
    scanned: int = 0
    changed: list[Cleaned] = field(default_factory=list)
    batches: int = 0

    def per_collection(self) -> dict[str, int]:
        """Changed items per collection name."""
        return dict(Counter(c.collection for c in self.changed))


def sanitize_stored(
    ctx: Context,
    *,
    author_id: str | None,
    dry_run: bool,
    collection: str | None = None,
    batch_size: int = 500,
) -> SanitizeReport:
    """Clean the rich text of every stored item (of ``collection`` when given).

    ``author_id`` signs the versions written (the item's own author when None).
    """
    if batch_size < 1:
        raise BadRequest("batch_size must be at least 1", code="invalid_batch_size")
    db = ctx.db
    report = SanitizeReport(dry_run=dry_run)
    for collection_id, name, plan in _collections(db, collection):
        after = ""
        while True:
            with db.read() if dry_run else db.write() as conn:
                rows = _batch(conn, collection_id, after, batch_size)
                if not rows:
                    break
                report.batches += 1
                report.scanned += len(rows)
                now = ctx.clock.now_ms()
                for row in rows:
                    found = _clean_row(conn, plan, row, now, author_id, dry_run=dry_run)
                    if found is not None:
                        report.changed.append(Cleaned(name, row.id, *found))
                after = rows[-1].id
            if len(rows) < batch_size:
                break
    return report


def _collections(db: Database, only: str | None) -> list[tuple[str, str, HtmlPlan]]:
    """The collections that hold HTML, with where it is (inactive ones too: their rows are
    served again once reactivated). The plan is read from the schema as stored, without
    compiling it, so a schema the compiler would refuse (an old import) is still cleaned."""
    with db.read() as conn:
        rows = conn.execute(select(COLLECTIONS).order_by(COLLECTIONS.c.name)).all()
    if only is not None:
        rows = [r for r in rows if only in (r.name, r.id)]
        if not rows:
            raise NotFound(f"Collection {only!r} not found", code="collection_not_found")
    plans = [(r.id, r.name, plan_for_schema(r.schema)) for r in rows]
    return [(cid, name, plan) for cid, name, plan in plans if plan is not None]


def _batch(conn: Connection, collection_id: str, after: str, size: int) -> list[Row[Any]]:
    return list(
        conn.execute(
            select(CONTENT)
            .where(CONTENT.c.collection_id == collection_id, CONTENT.c.id > after)
            .order_by(CONTENT.c.id)
            .limit(size)
        ).all()
    )


def _clean_row(
    conn: Connection,
    plan: HtmlPlan,
    row: Row[Any],
    now: int,
    author_id: str | None,
    *,
    dry_run: bool,
) -> tuple[tuple[str, ...], int | None] | None:
    """The changed paths (and the new version, when written); None when the item is clean."""
    paths: list[str] = []
    data = sanitize(plan, row.data, paths)
    if data is row.data:
        return None
    found = tuple(f"data.{p}" for p in paths)
    if dry_run:
        return found, None
    changes = {
        "data": data,
        "version_number": row.version_number + 1,
        "updated_at": now,
        "is_auto_saved": False,
    }
    item = {**row._mapping, **changes}
    conn.execute(update(CONTENT).where(CONTENT.c.id == row.id).values(**changes))
    author = author_id or row.author_id
    conn.execute(insert(VERSIONS).values(**version_row(item, author, now)))
    return found, item["version_number"]
