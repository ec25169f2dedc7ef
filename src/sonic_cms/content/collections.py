"""Collections: CRUD through services, with managed (config-file) collections read-only here.

A collection managed by config (``managed = 1``) changes only through its file and
``sonic collections sync``; the API answers 409 so two sources of truth never fight.

Two rules every collection write shares live here too: the names a collection may not take
(tables and engine-internal names) and the order of a schema's fields (kept in ``fieldOrder``
where the database does not keep it); their reasons are in the comments above each section.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, insert, inspect, or_, select, update
from sqlalchemy import delete as sql_delete

from sonic_cms.cache.memo import Stamp
from sonic_cms.content.schema import CompiledSchema, compile_schema, schema_problems
from sonic_cms.context import Context
from sonic_cms.db.schema import Content, metadata
from sonic_cms.db.schema.tables import COLLECTIONS
from sonic_cms.errors import BadRequest, Conflict, NotFound, ValidationFailed
from sonic_cms.ids import new_id
from sonic_cms.inputs.bodies import check_fields
from sonic_cms.inputs.text import control_problems
from sonic_cms.plugins.registry import discover

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_-]*\Z")
MAX_NAME_LENGTH = 64
EDITABLE = ("display_name", "description", "schema", "is_active")
#: The fields a new collection's body may carry.
CREATABLE = ("name", *EDITABLE)
#: SonicJS's spelling of a field, accepted in request bodies beside ours.
ALIASES = {"displayName": "display_name"}
#: A collection created without a schema: an object with no fields yet.
EMPTY_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}


def serialize_collection(row: Row[Any] | dict[str, Any]) -> dict[str, Any]:
    """The one Collection representation every route answers: the seed's columns under
    SonicJS's response names (``display_name``, ``is_active``: what its collection routes
    answer), ``schema`` as an object with its fields in their recorded order (see
    "Field order" below), booleans as booleans."""
    m = dict(row._mapping) if isinstance(row, Row) else dict(row)
    return {
        "id": m["id"],
        "name": m["name"],
        "display_name": m["display_name"],
        "description": m["description"],
        "schema": apply_order(m["schema"] or {}),
        "is_active": bool(m["is_active"]),
        "managed": bool(m["managed"]),
        "created_at": m["created_at"],
        "updated_at": m["updated_at"],
    }


def collection_input_errors(values: dict[str, Any], *, partial: bool) -> list[dict[str, str]]:
    """Per-field problems with a collection's name, display name, description and schema."""
    errors: list[dict[str, str]] = []
    if not partial or "name" in values:
        name = values.get("name")
        if not isinstance(name, str) or not NAME_PATTERN.match(name) or len(name) > MAX_NAME_LENGTH:
            errors.append({"path": "name", "message": "must match ^[a-z][a-z0-9_-]*$ (max 64)"})
    if not partial or "display_name" in values:
        display = values.get("display_name")
        if not isinstance(display, str) or not display.strip() or len(display) > 200:
            message = "must be 1-200 characters (send displayName or display_name)"
            errors.append({"path": "display_name", "message": message})
    description = values.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > 2000):
        errors.append({"path": "description", "message": "must be text of at most 2000 characters"})
    errors += control_problems(values, "name", "display_name", "description")
    if not partial or "schema" in values:
        errors.extend(schema_problems(values.get("schema")))
    if "is_active" in values and not isinstance(values["is_active"], bool):
        errors.append({"path": "is_active", "message": "must be a boolean"})
    return errors


def collection_body(values: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    """A create or update body in our spelling: SonicJS's ``displayName`` becomes
    ``display_name``; a field outside ``allowed`` or both spellings of one are a 422 (the one
    body rule, ``inputs.bodies.check_fields``)."""
    pairs = [(alias, name) for alias, name in ALIASES.items() if name in allowed]
    check_fields(values, (*allowed, *(alias for alias, _ in pairs)), pairs)
    spelled = dict(values)
    for alias, name in pairs:
        if alias in spelled:
            spelled[name] = spelled.pop(alias)
    return spelled


_BY_KEY = select(COLLECTIONS).where(
    or_(COLLECTIONS.c.id == bindparam("key"), COLLECTIONS.c.name == bindparam("key"))
)


def find_collection(conn: Connection, key: str) -> Row[Any] | None:
    """A collection row by id or by name (an id match wins); one query either way."""
    rows = conn.execute(_BY_KEY, {"key": key}).all()
    return next((r for r in rows if r.id == key), rows[0] if rows else None)


def recall_collection(
    ctx: Context, conn: Connection, key: str, read_under: Stamp | None
) -> Row[Any] | None:
    """:func:`find_collection`, from memory while no collection was written since
    ``read_under`` (``ctx.stamp(("collection",))``, read before ``conn``'s first statement)."""
    memo_key = ("collection", key)
    row: Row[Any] | None = ctx.recall(memo_key)
    if row is None:
        row = find_collection(conn, key)
        if row is not None:
            ctx.remember(memo_key, row, ("collection",), read_under)
    return row


def compiled_schema(row: Row[Any]) -> CompiledSchema:
    """The compiled validator of a collection row (cached per distinct schema)."""
    return compile_schema(row.schema or {})


def list_collections(ctx: Context, *, include_inactive: bool = False) -> list[dict[str, Any]]:
    """Collections by name; inactive ones only for those who may edit collections."""
    ctx.actor.require("collections.read")
    query = select(COLLECTIONS).order_by(COLLECTIONS.c.name)
    if not (include_inactive and ctx.actor.can("collections.update")):
        query = query.where(COLLECTIONS.c.is_active == True)  # noqa: E712
    with ctx.db.read() as conn:
        return [serialize_collection(row) for row in conn.execute(query)]


def get_collection(ctx: Context, key: str) -> dict[str, Any]:
    """One active collection by name or id; 404 ``Collection not found`` otherwise."""
    ctx.actor.require("collections.read")
    with ctx.db.read() as conn:
        row = find_collection(conn, key)
    if row is None or not (row.is_active or ctx.actor.can("collections.update")):
        raise NotFound("Collection not found", code="collection_not_found")
    return serialize_collection(row)


def create_collection(ctx: Context, values: dict[str, Any]) -> dict[str, Any]:
    """Create an API-managed collection (``schema`` defaults to an object with no fields);
    409 when the name is taken."""
    ctx.actor.require("collections.create")
    values = {"schema": EMPTY_SCHEMA, **collection_body(values, CREATABLE)}
    errors = collection_input_errors(values, partial=False)
    if errors:
        raise ValidationFailed("Invalid collection", details=errors)
    now = ctx.clock.now_ms()
    row = {
        "id": f"col-{values['name']}-{new_id()[-8:]}",
        "name": values["name"],
        "display_name": values["display_name"].strip(),
        "description": values.get("description"),
        "schema": values["schema"],
        "is_active": values.get("is_active", True),
        "managed": False,
        "created_at": now,
        "updated_at": now,
    }
    with ctx.db.write() as conn:
        reserved = reserved_name_problems(conn, row["name"])
        if reserved:
            raise ValidationFailed("Invalid collection", details=reserved)
        if conn.execute(select(COLLECTIONS.c.id).where(COLLECTIONS.c.name == row["name"])).first():
            raise Conflict(f"Collection {row['name']!r} already exists", code="collection_exists")
        conn.execute(insert(COLLECTIONS).values(**row))
    return serialize_collection(row)


def _editable_row(conn: Connection, key: str) -> Row[Any]:
    row = find_collection(conn, key)
    if row is None:
        raise NotFound("Collection not found", code="collection_not_found")
    if row.managed:
        raise Conflict(
            f"Collection {row.name!r} is managed by config; edit its file and run "
            "`sonic collections sync`",
            code="collection_managed",
        )
    return row


def update_collection(ctx: Context, key: str, values: dict[str, Any]) -> dict[str, Any]:
    """Change display name (``displayName`` or ``display_name``), description, schema or
    is_active of an API-managed collection."""
    ctx.actor.require("collections.update")
    values = collection_body(values, EDITABLE)
    errors = collection_input_errors(values, partial=True)
    if errors:
        raise ValidationFailed("Invalid collection", details=errors)
    with ctx.db.write() as conn:
        row = _editable_row(conn, key)
        changes = {**values, "updated_at": ctx.clock.now_ms()}
        conn.execute(update(COLLECTIONS).where(COLLECTIONS.c.id == row.id).values(**changes))
        fresh = conn.execute(select(COLLECTIONS).where(COLLECTIONS.c.id == row.id)).one()
    return serialize_collection(fresh)


def delete_collection(ctx: Context, key: str) -> None:
    """Delete an empty API-managed collection; one that has content is a 400."""
    ctx.actor.require("collections.delete")
    with ctx.db.write() as conn:
        row = _editable_row(conn, key)
        count = conn.execute(
            select(func.count()).select_from(Content).where(Content.collection_id == row.id)
        ).scalar_one()
        if count:
            raise BadRequest(
                f"Collection {row.name!r} has {count} content items; delete them first",
                code="collection_not_empty",
            )
        conn.execute(sql_delete(COLLECTIONS).where(COLLECTIONS.c.id == row.id))


# --- Reserved names ----------------------------------------------------------------------
# Collection names that may not be used: engine-internal names and the schema's own tables.
#
# A collection named ``content``, ``users`` or ``sqlite_master`` stores nothing in such a table,
# but it makes ``/api/collections/users/content`` and raw SQL in the seed's style ambiguous to a
# reader, and a tool that maps a collection to a table of its name (as SonicJS plugins do) would
# write into the real one. The list is read at run time: the core MetaData (a table added by a
# later revision is covered without editing this file), every table a known plugin declares
# (``faqs``) whether installed or not, and every table the database holds right now.

ENGINE_PREFIXES = ("sqlite_", "pg_")
ENGINE_NAMES = frozenset({"information_schema"})
RESERVED_MESSAGE = "is reserved: the name of a database table or an engine-internal name"


@functools.cache
def schema_tables() -> frozenset[str]:
    """Core tables plus the tables every discoverable plugin declares (cached per process)."""
    return frozenset(metadata.tables) | discover().tables()


def database_tables(conn: Connection) -> frozenset[str]:
    """The tables the connected database holds (plugin tables, FTS shadows, Alembic's)."""
    return frozenset(inspect(conn).get_table_names())


def is_reserved(name: str, tables: frozenset[str]) -> bool:
    """Whether ``name`` is an engine-internal name or one of ``tables`` (any letter case)."""
    folded = name.casefold()
    return (
        folded.startswith(ENGINE_PREFIXES)
        or folded in ENGINE_NAMES
        or folded in {t.casefold() for t in tables}
    )


def reserved_tables(conn: Connection) -> frozenset[str]:
    """Every table name a collection may not take on this database."""
    return schema_tables() | database_tables(conn)


def reserved_name_problems(conn: Connection, name: object) -> list[dict[str, str]]:
    """``[{"path": "name", ...}]`` when ``name`` may not be a new collection's name."""
    if isinstance(name, str) and is_reserved(name, reserved_tables(conn)):
        return [{"path": "name", "message": RESERVED_MESSAGE}]
    return []


# --- Field order -------------------------------------------------------------------------
# The order of a schema's fields, kept where the database does not keep it.
#
# PostgreSQL stores a collection's schema as JSONB, which orders an object's keys by length and
# then bytes: the ``properties`` of a schema come back in another order than they were saved in
# (SQLite keeps the text as sent). A schema may therefore carry, beside each ``properties``, a
# ``fieldOrder`` list naming its fields in order (and beside each list field's ``blocks``, a
# ``blockOrder``); :func:`apply_order` puts every ``properties``
# object back in that order when a collection is read (``serialize_collection``), so the API and
# the content editor show the fields in the order they were given, on both engines. Names the list
# does not hold keep their stored order after the listed ones; names it holds that are gone are
# ignored. The admin's schema editor writes the lists (:func:`record_order`) when it saves;
# SonicJS ignores the key.

FIELD_ORDER = "fieldOrder"
BLOCK_ORDER = "blockOrder"


def _children(node: dict[str, Any]) -> list[dict[str, Any]]:
    """The containers nested in a field config or container: fields, list entries, blocks."""
    found: list[dict[str, Any]] = []
    props = node.get("properties")
    if isinstance(props, dict):
        found += [c for c in props.values() if isinstance(c, dict)]
    if isinstance(node.get("items"), dict):
        found.append(node["items"])
    blocks = node.get("blocks")
    if isinstance(blocks, dict):
        found += [b for b in blocks.values() if isinstance(b, dict)]
    return found


def _has_order(node: dict[str, Any]) -> bool:
    return FIELD_ORDER in node or BLOCK_ORDER in node or any(_has_order(c) for c in _children(node))


def apply_order(schema: Any) -> Any:
    """``schema`` with each ``properties`` (and ``blocks``) in its ``fieldOrder``; the same
    object when no list is present anywhere (the common case costs one walk, no copy)."""
    if not isinstance(schema, dict) or not _has_order(schema):
        return schema
    return _ordered(schema)


def _by_list(mapping: dict[str, Any], names: Any) -> dict[str, Any]:
    listed = (
        [n for n in names if isinstance(n, str) and n in mapping] if isinstance(names, list) else []
    )
    rest = [n for n in mapping if n not in listed]
    return {n: mapping[n] for n in [*dict.fromkeys(listed), *rest]}


def _rebuilt(node: dict[str, Any], visit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """A copy of ``node`` with ``visit`` applied to it and to every container inside it
    (fields' configs, list entries, blocks), innermost first."""
    out = dict(node)
    for key in ("properties", "blocks"):
        children = out.get(key)
        if isinstance(children, dict):
            out[key] = {
                n: _rebuilt(c, visit) if isinstance(c, dict) else c for n, c in children.items()
            }
    if isinstance(out.get("items"), dict):
        out["items"] = _rebuilt(out["items"], visit)
    visit(out)
    return out


def _put_in_order(node: dict[str, Any]) -> None:
    for key, order in (("properties", FIELD_ORDER), ("blocks", BLOCK_ORDER)):
        if isinstance(node.get(key), dict):
            node[key] = _by_list(node[key], node.get(order))


def _write_order(node: dict[str, Any]) -> None:
    _drop_order(node)
    for key, order in (("properties", FIELD_ORDER), ("blocks", BLOCK_ORDER)):
        children = node.get(key)
        if isinstance(children, dict) and len(children) > 1:
            node[order] = list(children)


def _drop_order(node: dict[str, Any]) -> None:
    node.pop(FIELD_ORDER, None)
    node.pop(BLOCK_ORDER, None)


def _ordered(node: dict[str, Any]) -> dict[str, Any]:
    return _rebuilt(node, _put_in_order)


def record_order(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with a ``fieldOrder`` beside every ``properties`` of two or more fields (and
    a ``blockOrder`` beside every ``blocks`` of two or more), naming them as they stand."""
    return _rebuilt(schema, _write_order)


def strip_order(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` without its order lists (the editor's draft; the lists are written anew
    on save)."""
    return _rebuilt(schema, _drop_order)
