"""Translation groups in SQL: a default-locale row (``locale`` NULL) and the rows that name it
in ``translation_group_id``.

The default read path uses :data:`DEFAULT_ROWS` only: one predicate, no join. A read in a
locale picks, per group, the first row of its fallback chain the reader may see; that costs a
``NOT EXISTS`` per row, paid only by requests that ask for a locale.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, and_, exists, func, literal, or_, select
from sqlalchemy.sql.util import ClauseAdapter

from sonic_cms.db.schema.tables import CONTENT

#: The rows of the default locale: every row a client that never says ``locale`` sees.
DEFAULT_ROWS: ColumnElement[bool] = CONTENT.c.locale.is_(None)

#: The id naming a row's group: the default-locale row's own id.
GROUP_OF = func.coalesce(CONTENT.c.translation_group_id, CONTENT.c.id)


def group_id(row: Row[Any] | dict[str, Any]) -> str:
    """The group a content row belongs to."""
    m = row._mapping if isinstance(row, Row) else row
    return str(m["translation_group_id"] or m["id"])


def in_group(group: str) -> ColumnElement[bool]:
    """The rows of one group (each side of the OR has an index)."""
    return or_(CONTENT.c.id == group, CONTENT.c.translation_group_id == group)


def locale_of(row: Row[Any] | dict[str, Any], default: str) -> str:
    """The tag a row answers in."""
    m = row._mapping if isinstance(row, Row) else row
    return str(m["locale"] or default)


def _stored(chain: Sequence[str], default: str) -> list[ColumnElement[bool]]:
    """One predicate per locale of ``chain``: the rows stored in it."""
    return [
        CONTENT.c.locale.is_(None) if tag == default else CONTENT.c.locale == literal(tag)
        for tag in chain
    ]


def best_of_chain(
    chain: Sequence[str], default: str, visible: ColumnElement[bool]
) -> ColumnElement[bool]:
    """Rows in a locale of ``chain`` with no row earlier in the chain, in their group, that
    ``visible`` lets the reader see: one row per group, the best the reader may read.

    ``visible`` is the reader's visibility clause on ``content``; it is applied to the other
    rows of the group too, so a draft translation a reader may not see never hides the
    published row of the next locale. Each earlier row is looked up by an index: the group's
    default-locale row by its primary key, a translation by (translation_group_id, locale).
    """
    stored = _stored(chain, default)
    other = CONTENT.alias("better")
    seen = ClauseAdapter(other).traverse(visible)
    choices = []
    for position, here in enumerate(stored):
        earlier = [_row_in(other, tag, default) for tag in chain[:position]]
        better = [exists().where(found, seen) for found in earlier]
        choices.append(and_(here, *(~b for b in better)))
    return or_(*choices)


def _row_in(other: Any, tag: str, default: str) -> ColumnElement[bool]:
    """``other`` is the row of the outer row's group in locale ``tag``."""
    if tag == default:
        return and_(other.c.id == GROUP_OF, other.c.locale.is_(None))
    return and_(other.c.translation_group_id == GROUP_OF, other.c.locale == literal(tag))


def group_rows(conn: Connection, group: str, *extra: ColumnElement[Any]) -> list[Row[Any]]:
    """Every row of a group, the default-locale row first; ``extra`` columns are read beside
    the row's own (a read adds its computed columns, such as the approved comment count)."""
    query = select(CONTENT, *extra).where(in_group(group))
    rows = conn.execute(query).all()
    return sorted(rows, key=lambda r: (r.locale is not None, r.locale or ""))
