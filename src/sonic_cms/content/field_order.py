"""The order of a schema's fields, kept where the database does not keep it.

PostgreSQL stores a collection's schema as JSONB, which orders an object's keys by length and
then bytes: the ``properties`` of a schema come back in another order than they were saved in
(SQLite keeps the text as sent). A schema may therefore carry, beside each ``properties``, a
``fieldOrder`` list naming its fields in order (and beside each list field's ``blocks``, a
``blockOrder``); :func:`apply_order` puts every ``properties``
object back in that order when a collection is read (``serialize_collection``), so the API and
the content editor show the fields in the order they were given, on both engines. Names the list
does not hold keep their stored order after the listed ones; names it holds that are gone are
ignored. The admin's schema editor writes the lists (:func:`record_order`) when it saves;
SonicJS ignores the key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
