"""Reading media: the one serializer, lookups, the filtered and paged list, statistics.

Every item that leaves the service goes through :func:`media_item` (``db.records.media_file``):
the media-file representation of docs/api.md.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Connection, and_, func, or_, select, text, tuple_
from sqlalchemy.engine import RowMapping

from sonic_cms.context import Context
from sonic_cms.db.records import media_file
from sonic_cms.db.schema import Media
from sonic_cms.errors import BadRequest, NotFound

#: ``sort`` values the list accepts, ``-`` for descending.
SORTABLE = {"uploaded_at": Media.uploaded_at, "size": Media.size, "name": Media.original_name}
_KINDS = {
    "images": Media.mime_type.like("image/%"),
    "videos": Media.mime_type.like("video/%"),
    "audio": Media.mime_type.like("audio/%"),
}


#: The one media serializer (``db.records.media_file``), by the name the media services use.
media_item = media_file


def fetch_row(conn: Connection, media_id: str) -> RowMapping | None:
    """The media row with ``media_id``, deleted or not."""
    return conn.execute(select(Media.__table__).where(Media.id == media_id)).mappings().first()


def get_media(ctx: Context, media_id: str) -> dict[str, Any]:
    """One live media item; 404 when missing or soft-deleted."""
    ctx.actor.require("media.read")
    with ctx.db.read() as conn:
        row = fetch_row(conn, media_id)
    if row is None or row["deleted_at"] is not None:
        raise NotFound("Media item not found", code="media_not_found")
    return media_item(row)


@dataclass(frozen=True)
class MediaFilter:
    """The list's filters; every one optional."""

    folder: str | None = None
    type: str | None = None
    uploaded_by: str | None = None
    tag: str | None = None
    uploaded_after: int | None = None
    uploaded_before: int | None = None
    search: str | None = None
    deleted: bool = False


def list_media(
    ctx: Context,
    filters: MediaFilter,
    *,
    page: int,
    limit: int,
    sort: str = "-uploaded_at",
) -> tuple[list[dict[str, Any]], int]:
    """A page of media and the total that match ``filters``."""
    ctx.actor.require("media.read")
    if (sort.removeprefix("-")) not in SORTABLE:
        raise BadRequest(f"Unknown sort field: {sort}", code="invalid_sort")
    column = SORTABLE[sort.removeprefix("-")]
    order = [column.desc(), Media.id.desc()] if sort.startswith("-") else [column, Media.id]
    with ctx.db.read() as conn:
        where = and_(*_conditions(filters, conn.dialect.name))
        total = conn.execute(select(func.count()).select_from(Media).where(where)).scalar_one()
        query = select(Media.__table__).where(where).order_by(*order)
        rows = conn.execute(query.limit(limit).offset((page - 1) * limit)).mappings().all()
    return [media_item(row) for row in rows], int(total)


@dataclass(frozen=True)
class MediaPage:
    """A keyset page of the newest-first list: its items, the filter's total, the next cursor."""

    items: list[dict[str, Any]]
    total: int
    next_cursor: str | None


def encode_media_cursor(uploaded_at: int, media_id: str) -> str:
    """An opaque token for the page after the item ``(uploaded_at, media_id)``."""
    raw = orjson.dumps(["media", uploaded_at, media_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_media_cursor(token: str) -> tuple[int, str]:
    """The ``(uploaded_at, id)`` a cursor points after; 400 ``invalid_cursor`` otherwise."""
    try:
        decoded = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, orjson.JSONDecodeError):
        decoded = None
    if (
        not isinstance(decoded, list)
        or len(decoded) != 3
        or decoded[0] != "media"
        or type(decoded[1]) is not int
        or not isinstance(decoded[2], str)
    ):
        raise BadRequest(
            "Invalid cursor",
            code="invalid_cursor",
            details=[{"path": "cursor", "message": "is not a cursor this server issued"}],
        )
    return decoded[1], decoded[2]


def media_cursor_page(
    ctx: Context, filters: MediaFilter, *, cursor: str | None, limit: int
) -> MediaPage:
    """Newest first, paged by keyset on ``(uploaded_at, id)``: a page deep in a large library
    costs what the first one does (no OFFSET), and uploads arriving meanwhile shift nothing."""
    ctx.actor.require("media.read")
    after = decode_media_cursor(cursor) if cursor else None
    with ctx.db.read() as conn:
        where = and_(*_conditions(filters, conn.dialect.name))
        total = conn.execute(select(func.count()).select_from(Media).where(where)).scalar_one()
        query = select(Media.__table__).where(where)
        if after is not None:
            query = query.where(tuple_(Media.uploaded_at, Media.id) < tuple_(*after))
        query = query.order_by(Media.uploaded_at.desc(), Media.id.desc()).limit(limit + 1)
        rows = conn.execute(query).mappings().all()
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if more else None
    token = encode_media_cursor(last["uploaded_at"], last["id"]) if last is not None else None
    return MediaPage([media_item(row) for row in rows], int(total), token)


def _conditions(filters: MediaFilter, dialect: str) -> list[ColumnElement[bool]]:
    deleted = Media.deleted_at.is_not(None) if filters.deleted else Media.deleted_at.is_(None)
    conditions: list[ColumnElement[bool]] = [deleted]
    if filters.folder:
        conditions.append(Media.folder == filters.folder)
    if filters.type:
        conditions.append(_type_condition(filters.type))
    if filters.uploaded_by:
        conditions.append(Media.uploaded_by == filters.uploaded_by)
    if filters.uploaded_after is not None:
        conditions.append(Media.uploaded_at >= filters.uploaded_after)
    if filters.uploaded_before is not None:
        conditions.append(Media.uploaded_at < filters.uploaded_before)
    if filters.tag:
        conditions.append(_tag_condition(filters.tag, dialect))
    if filters.search:
        pattern = "%" + _escape_like(filters.search) + "%"
        conditions.append(
            or_(
                *(
                    col.ilike(pattern, escape="\\")
                    for col in (Media.original_name, Media.filename, Media.alt, Media.caption)
                )
            )
        )
    return conditions


def _type_condition(kind: str) -> ColumnElement[bool]:
    """``images``/``videos``/``audio``/``documents``, ``image/*`` or an exact MIME type."""
    if kind in _KINDS:
        return _KINDS[kind]
    if kind == "documents":
        return and_(*(~condition for condition in _KINDS.values()))
    if kind.endswith("/*"):
        return Media.mime_type.like(_escape_like(kind[:-1]) + "%", escape="\\")
    return Media.mime_type == kind


def _tag_condition(tag: str, dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        clause = text("media.tags @> jsonb_build_array(CAST(:media_tag AS text))")
    else:
        clause = text(
            "EXISTS (SELECT 1 FROM json_each(media.tags) WHERE json_each.value = :media_tag)"
        )
    return clause.bindparams(media_tag=tag)  # type: ignore[return-value]


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def media_statistics(ctx: Context) -> dict[str, Any]:
    """The seed's media statistics (count, total and average size of live media), per type too."""
    ctx.actor.require("media.read")
    count, average = func.count(), func.avg(Media.size)
    total = func.coalesce(func.sum(Media.size), 0)
    live = Media.deleted_at.is_(None)
    with ctx.db.read() as conn:
        overall = conn.execute(select(count, total, average).where(live)).one()
        per_type = conn.execute(
            select(Media.mime_type, count, total, average)
            .where(live)
            .group_by(Media.mime_type)
            .order_by(Media.mime_type)
        ).all()
    return {
        "totalFiles": int(overall[0]),
        "totalSize": int(overall[1]),
        "avgSize": float(overall[2] or 0),
        "byType": [
            {
                "mimeType": row[0],
                "count": int(row[1]),
                "totalSize": int(row[2]),
                "avgSize": float(row[3] or 0),
            }
            for row in per_type
        ],
    }


def media_folders(ctx: Context, created: Sequence[str]) -> list[dict[str, Any]]:
    """Folders in use (count and total size, as SonicJS's list returns) plus created empty ones."""
    ctx.actor.require("media.read")
    query = (
        select(Media.folder, func.count(), func.coalesce(func.sum(Media.size), 0))
        .where(Media.deleted_at.is_(None))
        .group_by(Media.folder)
    )
    with ctx.db.read() as conn:
        used = {row[0]: (int(row[1]), int(row[2])) for row in conn.execute(query)}
    names = sorted(set(used) | set(created))
    return [
        {"folder": name, "count": used.get(name, (0, 0))[0], "totalSize": used.get(name, (0, 0))[1]}
        for name in names
    ]
