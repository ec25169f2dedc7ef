"""The query language of content lists: SonicJS's ``where`` JSON, ``filter[...]`` brackets, sort.

Parsing produces a small tree of :class:`Cond` and :class:`Group`; every field in it has been
checked against a whitelist (the content columns, and ``data.<name>`` for names the collection
schema declares), every operator against the known set, every value against the field's type.
Nothing from the query string ever becomes SQL text: field names select prebuilt expressions and
values are bound parameters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from sonic_cms.content.schema import FIELD_NAME, FieldInfo
from sonic_cms.errors import BadRequest

#: column -> value kind
COLUMNS: dict[str, str] = {
    "id": "string",
    "title": "string",
    "slug": "string",
    "status": "string",
    "collection_id": "string",
    "collection": "string",
    "author_id": "string",
    "author": "string",
    "created_at": "integer",
    "updated_at": "integer",
    "published_at": "integer",
    "version_number": "integer",
}
SORTABLE_COLUMNS = (
    "created_at",
    "updated_at",
    "published_at",
    "title",
    "slug",
    "status",
    "version_number",
    "id",
    "author",
)
WHERE_OPERATORS = {
    "equals": "eq",
    "not_equals": "ne",
    "greater_than": "gt",
    "greater_than_equal": "gte",
    "less_than": "lt",
    "less_than_equal": "lte",
    "like": "like",
    "contains": "contains",
    "in": "in",
    "not_in": "nin",
    "exists": "exists",
}
BRACKET_OPERATORS = (
    "eq",
    "ne",
    "gt",
    "gte",
    "lt",
    "lte",
    "like",
    "contains",
    "in",
    "nin",
    "exists",
)
#: The keys of a ``where`` condition; any other key is a 400, never silently ignored.
CONDITION_KEYS = frozenset({"field", "operator", "value"})
MAX_IN_VALUES = 100
MAX_NUMBER = 2**63 - 1
MAX_VALUE_LENGTH = 500
_BRACKET = re.compile(r"^filter\[([A-Za-z0-9_.]{1,80})\](?:\[([a-z_]{1,20})\])?\Z")


@dataclass(frozen=True)
class Cond:
    """``field op value``; ``field`` is a column name or ``data.<name>``."""

    field: str
    op: str
    value: Any
    kind: str  # string | integer | number | boolean | array | object | any


@dataclass(frozen=True)
class Group:
    """``and`` / ``or`` of conditions and groups."""

    kind: str
    items: tuple[Cond | Group, ...]


@dataclass(frozen=True)
class SortKey:
    """One sort term."""

    field: str
    descending: bool
    kind: str


@dataclass
class Limits:
    """The settings a parse obeys."""

    max_depth: int = 5
    max_conditions: int = 50


@dataclass
class FieldSet:
    """What may be filtered and sorted: the columns plus the schema's data fields."""

    data_fields: Mapping[str, FieldInfo] = field(default_factory=dict)
    #: a collection accepts undeclared keys: any field name is filterable (of any kind)
    undeclared: bool = False

    def kind_of(self, name: str) -> str:
        """The value kind of ``name``; 400 with the allowed list when it is unknown."""
        if name in COLUMNS:
            return COLUMNS[name]
        if name.startswith("data.") and name[5:] in self.data_fields:
            return self.data_fields[name[5:]].json_type
        if name.startswith("data.") and self.undeclared and FIELD_NAME.match(name[5:]):
            return "any"
        raise BadRequest(
            "Invalid filter parameters",
            code="unknown_field",
            details=[
                {"path": name, "message": f"unknown field; allowed: {', '.join(self.allowed())}"}
            ],
        )

    def allowed(self) -> list[str]:
        """Every filterable name."""
        anything = ["data.<any field name>"] if self.undeclared else []
        return [*COLUMNS, *(f"data.{n}" for n in sorted(self.data_fields)), *anything]


def _bad(path: str, message: str) -> BadRequest:
    return BadRequest(
        "Invalid filter parameters",
        code="invalid_filter",
        details=[{"path": path, "message": message}],
    )


def coerce(value: Any, kind: str, path: str, *, from_text: bool) -> Any:
    """A filter value of the field's kind; 400 when it cannot be one."""
    if isinstance(value, str) and len(value) > MAX_VALUE_LENGTH:
        raise _bad(path, f"values are at most {MAX_VALUE_LENGTH} characters")
    if kind in ("integer", "number"):
        return _number(value, kind, path, from_text=from_text)
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if from_text and value in ("true", "false", "1", "0"):
            return value in ("true", "1")
        raise _bad(path, "must be true or false")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _bounded(value, path)
    if value is None or isinstance(value, str | bool):
        return value
    raise _bad(path, "must be a string, number, boolean or null")


def _number(value: Any, kind: str, path: str, *, from_text: bool) -> int | float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _bounded(value, path)
    if (isinstance(value, str) and from_text) or (isinstance(value, str) and kind == "integer"):
        try:
            number = float(value) if kind == "number" else int(value)
        except ValueError:
            raise _bad(path, f"must be a {kind}") from None
        return _bounded(number, path)
    raise _bad(path, f"must be a {kind}")


def _bounded(number: int | float, path: str) -> int | float:
    """Finite and within 64 bits, so the database driver can bind it."""
    if number != number or abs(number) > MAX_NUMBER:
        raise _bad(path, "must be a finite number within ±9.2e18")
    return number


def make_cond(name: str, op: str, value: Any, fields: FieldSet, *, from_text: bool) -> Cond:
    """A checked condition."""
    kind = fields.kind_of(name)
    path = f"{name}[{op}]"
    if op == "exists":
        flag = coerce(value if value is not None else True, "boolean", path, from_text=from_text)
        return Cond(name, op, flag, kind)
    if op in ("in", "nin"):
        items = value.split(",") if from_text and isinstance(value, str) else value
        if not isinstance(items, list) or not 0 < len(items) <= MAX_IN_VALUES:
            raise _bad(path, f"must be a list of 1 to {MAX_IN_VALUES} values")
        scalar = "string" if kind in ("array", "any", "object") else kind
        return Cond(
            name, op, tuple(coerce(v, scalar, path, from_text=from_text) for v in items), kind
        )
    if op in ("like", "contains"):
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise _bad(path, "must be text")
        return Cond(name, op, str(coerce(str(value), "string", path, from_text=True)), kind)
    if op in ("gt", "gte", "lt", "lte") and kind in ("boolean", "array", "object"):
        raise _bad(path, f"{op} does not apply to {kind} fields")
    scalar = "string" if kind in ("array", "object") else kind
    return Cond(name, op, coerce(value, scalar, path, from_text=from_text), kind)


def parse_where(text: str, fields: FieldSet, limits: Limits) -> Group:
    """SonicJS's ``where`` JSON: ``{"and": [...], "or": [...]}`` of field/operator/value."""
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise _bad("where", "is not valid JSON") from None
    counter = [0]
    return _group(document, fields, limits, 1, counter, "where")


def _group(
    node: Any, fields: FieldSet, limits: Limits, depth: int, counter: list[int], path: str
) -> Group:
    if depth > limits.max_depth:
        raise _bad(path, f"nested deeper than {limits.max_depth} levels")
    if not isinstance(node, dict) or not node or not set(node) <= {"and", "or"}:
        raise _bad(path, 'must be an object with "and" and/or "or" lists')
    parts: list[Group] = []
    for kind in ("and", "or"):
        if kind not in node:
            continue
        items = node[kind]
        if not isinstance(items, list):
            raise _bad(f"{path}.{kind}", "must be a list")
        children = [
            _node(item, fields, limits, depth, counter, f"{path}.{kind}[{i}]")
            for i, item in enumerate(items)
        ]
        parts.append(Group(kind, tuple(children)))
    return parts[0] if len(parts) == 1 else Group("and", tuple(parts))


def _node(
    item: Any, fields: FieldSet, limits: Limits, depth: int, counter: list[int], path: str
) -> Cond | Group:
    if isinstance(item, dict) and set(item) <= {"and", "or"} and item:
        return _group(item, fields, limits, depth + 1, counter, path)
    counter[0] += 1
    if counter[0] > limits.max_conditions:
        raise _bad(path, f"more than {limits.max_conditions} conditions")
    if not isinstance(item, dict) or not isinstance(item.get("field"), str):
        raise _bad(path, 'a condition is {"field", "operator", "value"}')
    unknown = sorted(str(key) for key in item if key not in CONDITION_KEYS)
    if unknown:
        raise _bad(
            f"{path}.{unknown[0][:40]}",
            f"unknown key {unknown[0][:40]!r}; a condition has only field, operator and value",
        )
    operator = item.get("operator", "equals")
    if operator not in WHERE_OPERATORS:
        raise _bad(
            f"{path}.operator",
            f"unknown operator {str(operator)[:40]!r}; allowed: {', '.join(WHERE_OPERATORS)}",
        )
    return make_cond(
        item["field"], WHERE_OPERATORS[operator], item.get("value"), fields, from_text=False
    )


def parse_brackets(params: list[tuple[str, str]], fields: FieldSet, limits: Limits) -> list[Cond]:
    """``filter[data.price][gt]=10``; a bare ``filter[status]=published`` means eq."""
    conds = []
    for key, value in params:
        match = _BRACKET.match(key)
        if match is None:
            raise _bad(key, "expected filter[<field>] or filter[<field>][<op>]")
        name, op = match.group(1), match.group(2) or "eq"
        if op not in BRACKET_OPERATORS:
            raise _bad(key, f"unknown operator {op!r}; allowed: {', '.join(BRACKET_OPERATORS)}")
        conds.append(make_cond(name, op, value, fields, from_text=True))
    if len(conds) > limits.max_conditions:
        raise _bad("filter", f"more than {limits.max_conditions} conditions")
    return conds


def parse_sort(text: str, fields: FieldSet) -> list[SortKey]:
    """``[{"field": "created_at", "order": "desc"}]`` or the short form ``-created_at,title``."""
    if text.lstrip().startswith("["):
        try:
            terms = orjson.loads(text)
        except orjson.JSONDecodeError:
            raise _bad("sort", "is not valid JSON") from None
    else:
        terms = [
            {"field": t.lstrip("-"), "order": "desc" if t.startswith("-") else "asc"}
            for t in text.split(",")
            if t
        ]
    if not isinstance(terms, list) or not 0 < len(terms) <= 5:
        raise _bad("sort", "must list 1 to 5 sort terms")
    return [_sort_key(term, fields, i) for i, term in enumerate(terms)]


def _sort_key(term: Any, fields: FieldSet, index: int) -> SortKey:
    path = f"sort[{index}]"
    if not isinstance(term, dict) or not isinstance(term.get("field"), str):
        raise _bad(path, 'a sort term is {"field", "order"}')
    name, order = term["field"], term.get("order", "asc")
    if order not in ("asc", "desc"):
        raise _bad(f"{path}.order", "must be asc or desc")
    if name not in SORTABLE_COLUMNS and not name.startswith("data."):
        allowed = [*SORTABLE_COLUMNS, *(f"data.{n}" for n in sorted(fields.data_fields))]
        raise BadRequest(
            "Invalid sort parameters",
            code="unknown_field",
            details=[
                {
                    "path": path,
                    "message": f"unknown field {name[:80]!r}; allowed: {', '.join(allowed)}",
                }
            ],
        )
    return SortKey(name, order == "desc", fields.kind_of(name))
