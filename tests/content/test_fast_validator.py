"""The fast validator (jsonschema-rs) and jsonschema agree on what is valid.

``data_errors`` trusts the fast validator's "valid" without asking jsonschema, so data it
accepts and jsonschema refuses would be written unchecked. These tests generate data around
every field type and constraint of the shipped collections and the test schemas and require
the same verdict from both.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sonic_cms.content.collection_sync import load_config
from sonic_cms.content.schema import compile_schema, data_errors
from tests.content.helpers import EXAMPLES, PRODUCT_SCHEMA

EDGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "required": True, "minLength": 2, "maxLength": 9},
        "email": {"type": "email"},
        "site": {"type": "url"},
        "day": {"type": "date"},
        "at": {"type": "datetime"},
        "code": {"type": "string", "pattern": r"^[A-Z]{2}\d+$"},
        "colour": {"type": "color"},
        "slug": {"type": "slug"},
        "count": {"type": "number", "min": 1, "max": 10},
        "flag": {"type": "boolean"},
        "kind": {"type": "radio", "enum": ["a", "b"]},
        "labels": {"type": "multiselect", "enum": ["x", "y"]},
        "blob": {"type": "json"},
        "sections": {
            "type": "array",
            "blocks": {
                "text": {"properties": {"body": {"type": "string", "required": True}}},
                "quote": {"properties": {"by": {"type": "string"}}},
            },
        },
    },
}

SCHEMAS = [
    compile_schema(s)
    for s in [
        PRODUCT_SCHEMA,
        EDGE_SCHEMA,
        *(load_config(p)["schema"] for p in sorted(EXAMPLES.glob("*.yaml"))),
    ]
]

SAMPLES = st.sampled_from(
    [
        "",
        "a",
        "ab",
        "abcdef",
        "AB12",
        "ab12",
        "a@b.co",
        "not an email",
        "https://example.com/x",
        "/relative",
        "ftp:/broken",
        "2024-02-29",
        "2023-02-29",
        "2024-01-01T10:00:00Z",
        "2024-01-01 10:00",
        "yesterday",
        "#fff",
        "#ggg",
        "lower-case-slug",
        "Bad Slug",
        "news",
        "tutorial",
        "tools",
        "x",
        "y",
        "é-ü",
        "東京",
    ]
)
VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 300)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | SAMPLES
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["blockType", "body", "by", "k"]), inner, max_size=3)
    ),
    max_leaves=6,
)


_BASE_VALUES = {"string": "abcdefgh", "number": 5, "boolean": True, "array": [], "object": {}}


def _valid_base(index: int) -> dict[str, Any]:
    """A valid document of schema ``index``: every required field with a plain valid value."""
    compiled = SCHEMAS[index]
    required = compiled.json_schema.get("required", [])
    return {n: _BASE_VALUES.get(compiled.fields[n].json_type, "abcdefgh") for n in required}


BASES = [_valid_base(i) for i in range(len(SCHEMAS))]


@st.composite
def documents(draw: st.DrawFn) -> tuple[int, dict[str, Any]]:
    """A valid document with up to three fields changed, added or removed."""
    index = draw(st.integers(0, len(SCHEMAS) - 1))
    data = dict(BASES[index])
    names = [*SCHEMAS[index].fields, "unknown"]
    for name in draw(st.lists(st.sampled_from(names), unique=True, max_size=3)):
        if name in data and draw(st.booleans()):
            del data[name]
        else:
            data[name] = draw(VALUES)
    return index, data


@settings(max_examples=1000, deadline=None)
@given(documents())
def test_fast_and_full_validators_agree(doc):
    index, data = doc
    compiled = SCHEMAS[index]
    assert compiled.fast is not None
    full = not list(compiled.validator.iter_errors(data))
    assert compiled.fast.is_valid(data) == full, data


def test_every_shipped_schema_gets_a_fast_validator_and_a_valid_base():
    assert all(s.fast is not None for s in SCHEMAS)
    assert all(data_errors(s, b) == [] for s, b in zip(SCHEMAS, BASES, strict=True))


def test_a_pattern_rust_cannot_compile_falls_back_to_jsonschema():
    # a backreference: Python's re takes it; jsonschema-rs's engine may or may not
    compiled = compile_schema(
        {"type": "object", "properties": {"x": {"type": "string", "pattern": r"^(a)\1$"}}}
    )
    assert data_errors(compiled, {"x": "aa"}) == []
    assert data_errors(compiled, {"x": "ab"})[0]["path"] == "x"
