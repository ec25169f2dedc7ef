"""Turn parsed filters and sort keys into SQLAlchemy expressions that run on both engines.

Fields inside ``data`` are read with SQLite's ``json_extract(data, '$.name')`` or PostgreSQL's
``data -> 'name'`` (JSONB, compared with JSONB values, so numbers compare as numbers and a
string never fails a cast). The field name is a bound parameter that passed the schema whitelist.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Text,
    and_,
    bindparam,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import JSONB

from sonic_cms.content.query import Cond, Group, SortKey
from sonic_cms.db.schema.tables import COLLECTIONS, CONTENT, USERS

_COLUMN_ALIASES = {"author": "author_id"}


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like_pattern(cond: Cond) -> str:
    if cond.op == "like" and ("%" in cond.value or "*" in cond.value):
        return str(cond.value).replace("*", "%")
    return f"%{_escape_like(cond.value)}%"


class JsonFields:
    """Expressions for ``data.<name>`` on one dialect."""

    def __init__(self, dialect: str) -> None:
        self.pg = dialect == "postgresql"

    def value(self, name: str) -> ColumnElement[Any]:
        """The comparable value of a field."""
        if self.pg:
            return CONTENT.c.data.op("->", return_type=JSONB)(literal(name, Text))
        return func.json_extract(CONTENT.c.data, literal(f"$.{name}", Text))

    def text(self, name: str) -> ColumnElement[Any]:
        """The field as text, for LIKE."""
        if self.pg:
            return CONTENT.c.data.op("->>", return_type=Text)(literal(name, Text))
        return func.json_extract(CONTENT.c.data, literal(f"$.{name}", Text))

    def bind(self, value: Any) -> ColumnElement[Any]:
        """A bound value comparable with :meth:`value`."""
        if self.pg:
            return sql_cast(literal(orjson.dumps(value).decode(), Text), JSONB)
        return literal(int(value) if isinstance(value, bool) else value)

    def is_number(self, name: str) -> ColumnElement[bool]:
        """Whether the field holds a number (guards range comparisons)."""
        if self.pg:
            return func.jsonb_typeof(self.value(name)) == "number"
        return func.json_type(CONTENT.c.data, literal(f"$.{name}", Text)).in_(["integer", "real"])

    def present(self, name: str) -> ColumnElement[bool]:
        """Whether the key exists (with any value, null included)."""
        if self.pg:
            return self.value(name).is_not(None)
        return func.json_type(CONTENT.c.data, literal(f"$.{name}", Text)).is_not(None)

    def array_has(self, name: str, value: Any) -> ColumnElement[bool]:
        """Whether an array field holds ``value``."""
        if self.pg:
            return self.value(name).op("@>", return_type=Boolean)(self.bind([value]))
        each = func.json_each(CONTENT.c.data, literal(f"$.{name}", Text)).table_valued("value")
        return exists(select(1).select_from(each).where(each.c.value == value))


def build_where(node: Cond | Group, dialect: str) -> ColumnElement[bool]:
    """The SQL of a filter tree."""
    if isinstance(node, Group):
        parts = [build_where(item, dialect) for item in node.items]
        if not parts:
            return true()
        return and_(*parts) if node.kind == "and" else or_(*parts)
    if node.field.startswith("data."):
        return _data_cond(node, JsonFields(dialect), dialect)
    return _column_cond(node, dialect)


def _compare(lhs: ColumnElement[Any], op: str, rhs: Any) -> ColumnElement[bool]:
    if op == "ne":
        return or_(lhs.is_(None), lhs != rhs)
    ops: dict[str, ColumnElement[bool]] = {
        "eq": lhs == rhs,
        "gt": lhs > rhs,
        "gte": lhs >= rhs,
        "lt": lhs < rhs,
        "lte": lhs <= rhs,
    }
    return ops[op]


def _column_cond(cond: Cond, dialect: str) -> ColumnElement[bool]:
    if cond.field == "collection":
        return CONTENT.c.collection_id.in_(
            select(COLLECTIONS.c.id).where(_column_op(COLLECTIONS.c.name, cond, dialect))
        )
    column = CONTENT.c[_COLUMN_ALIASES.get(cond.field, cond.field)]
    return _column_op(column, cond, dialect)


def _column_op(column: ColumnElement[Any], cond: Cond, dialect: str) -> ColumnElement[bool]:
    if cond.op == "exists":
        return column.is_not(None) if cond.value else column.is_(None)
    if cond.op in ("in", "nin"):
        inside = column.in_(list(cond.value))
        return inside if cond.op == "in" else not_(inside)
    if cond.op in ("like", "contains"):
        pattern = bindparam(None, _like_pattern(cond), type_=Text)
        if dialect == "postgresql":
            return column.ilike(pattern, escape="\\")
        return column.like(pattern, escape="\\")
    if cond.value is None:
        return (
            column.is_(None)
            if cond.op == "eq"
            else column.is_not(None)
            if cond.op == "ne"
            else false()
        )
    return _compare(column, cond.op, cond.value)


def _data_cond(cond: Cond, js: JsonFields, dialect: str) -> ColumnElement[bool]:
    name = cond.field[5:]
    if cond.op == "exists":
        return js.present(name) if cond.value else not_(js.present(name))
    if cond.op in ("like", "contains"):
        if cond.kind == "array" and cond.op == "contains":
            return js.array_has(name, cond.value)
        pattern = bindparam(None, _like_pattern(cond), type_=Text)
        text_value = js.text(name)
        return (
            text_value.ilike(pattern, escape="\\")
            if js.pg
            else text_value.like(pattern, escape="\\")
        )
    if cond.op in ("in", "nin"):
        inside = or_(*(js.value(name) == js.bind(v) for v in cond.value))
        return inside if cond.op == "in" else or_(js.value(name).is_(None), not_(inside))
    if cond.value is None:
        null = (
            js.value(name).is_(None)
            if not js.pg
            else or_(js.value(name).is_(None), js.value(name) == js.bind(None))
        )
        return null if cond.op == "eq" else not_(null)
    compared = _compare(js.value(name), cond.op, js.bind(cond.value))
    if cond.op in ("gt", "gte", "lt", "lte") and isinstance(cond.value, int | float):
        return and_(js.is_number(name), compared)
    return compared


def author_name() -> ColumnElement[Any]:
    """The item's author as people sort authors: by name, ignoring case (NULL when the item
    has no author). A correlated subquery, not a join, so the list's SELECT keeps one row per
    item and its count stays the plain one."""
    name = func.lower(USERS.c.first_name + " " + USERS.c.last_name)
    return select(name).where(USERS.c.id == CONTENT.c.author_id).scalar_subquery()


def sort_expression(key: SortKey, dialect: str) -> ColumnElement[Any]:
    """The ORDER BY term of a sort key, NULLs last on both engines.

    A NOT NULL column gets no NULLS clause: PostgreSQL reads a B-tree backwards as DESC NULLS
    FIRST, so ``created_at DESC NULLS LAST`` could not use the list indexes and sorted every
    visible row of the collection for page 1 (13 ms at 20k items instead of 0.1 ms).
    """
    if key.field.startswith("data."):
        expr: ColumnElement[Any] = JsonFields(dialect).value(key.field[5:])
        nullable = True
    elif key.field == "author":
        expr, nullable = author_name(), True
    else:
        column = CONTENT.c[key.field]
        expr, nullable = column, bool(column.nullable)
    ordered = expr.desc() if key.descending else expr.asc()
    return ordered.nulls_last() if nullable else ordered
