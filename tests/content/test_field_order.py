"""content.field_order: the order lists a schema carries, written, applied and stripped."""

from __future__ import annotations

from typing import Any

from sonic_cms.content.collections import apply_order, record_order, strip_order

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "zeta": {"type": "string"},
        "a": {
            "type": "object",
            "properties": {"long_name": {"type": "string"}, "b": {"type": "number"}},
        },
        "list": {
            "type": "array",
            "blocks": {
                "quote": {"properties": {"text": {"type": "string"}, "by": {"type": "string"}}},
                "hero": {"properties": {}},
            },
        },
        "tags": {"type": "array", "items": {"type": "object", "properties": {"y": {}, "x": {}}}},
    },
}


def shuffled(node: Any) -> Any:
    """``node`` with every object's keys reversed, as JSONB may give them back."""
    if isinstance(node, dict):
        return {k: shuffled(node[k]) for k in reversed(list(node))}
    return node


def names(schema: dict[str, Any]) -> list[Any]:
    props = schema["properties"]
    return [
        list(props),
        list(props["a"]["properties"]),
        list(props["list"]["blocks"]),
        list(props["list"]["blocks"]["quote"]["properties"]),
        list(props["tags"]["items"]["properties"]),
    ]


def test_recorded_order_survives_a_reordering_store():
    recorded = record_order(SCHEMA)
    assert recorded["fieldOrder"] == ["zeta", "a", "list", "tags"]
    assert recorded["properties"]["list"]["blockOrder"] == ["quote", "hero"]
    assert "fieldOrder" not in recorded["properties"]["list"]["blocks"]["hero"]  # one field: none
    back = apply_order(shuffled(recorded))
    assert names(back) == names(SCHEMA)
    assert strip_order(back) == SCHEMA and names(strip_order(back)) == names(SCHEMA)


def test_a_schema_without_lists_is_returned_as_it_is():
    assert apply_order(SCHEMA) is SCHEMA
    assert apply_order(["not", "a", "schema"]) == ["not", "a", "schema"]


def test_names_the_list_lacks_follow_and_names_gone_are_ignored():
    schema = {
        "type": "object",
        "properties": {"c": {}, "new": {}, "a": {}},
        "fieldOrder": ["a", "gone", "c", 7],
    }
    assert list(apply_order(schema)["properties"]) == ["a", "c", "new"]
