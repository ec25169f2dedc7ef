"""The SonicJS schema compiler: definitions checked, data validated per field path."""

from __future__ import annotations

import pytest

from sonic_cms.content.schema import compile_schema, data_errors, schema_problems
from tests.content.helpers import PRODUCT_SCHEMA

BLOCKS = {
    "type": "object",
    "properties": {
        "sections": {
            "type": "array",
            "blocks": {
                "hero": {"properties": {"heading": {"type": "string", "required": True}}},
                "text": {"properties": {"body": {"type": "markdown", "required": True}}},
            },
        }
    },
}


@pytest.mark.parametrize(
    ("schema", "path"),
    [
        ({"properties": {"x": {"type": "nope"}}}, "schema.properties.x.type"),
        ({"properties": {"x": {"type": "select"}}}, "schema.properties.x.enum"),
        ({"properties": {"x": {"type": "reference"}}}, "schema.properties.x.collection"),
        ({"properties": {"x": {"type": "string", "pattern": "("}}}, "schema.properties.x.pattern"),
        ({"properties": {"bad name": {"type": "string"}}}, "schema.properties.bad name"),
        ({"properties": []}, "schema.properties"),
        ("not an object", "schema"),
    ],
)
def test_bad_definitions_are_reported_by_path(schema, path):
    assert path in [p["path"] for p in schema_problems(schema)]


def test_editor_aliases_and_every_field_type_compile():
    types = [
        "string",
        "textarea",
        "richtext",
        "markdown",
        "quill",
        "tinymce",
        "mdxeditor",
        "number",
        "boolean",
        "checkbox",
        "date",
        "datetime",
        "email",
        "url",
        "slug",
        "color",
        "json",
        "media",
        "file",
    ]
    schema = {"properties": {f"f_{t}": {"type": t} for t in types}}
    assert schema_problems(schema) == []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"price": 3}, [("title", "is required")]),
        ({"title": "x" * 201}, [("title", "must be at most 200 characters")]),
        ({"title": "ok", "price": -1}, [("price", "must be at least 0")]),
        (
            {"title": "ok", "category": "food"},
            [("category", "must be one of ['tools', 'toys', 'books']")],
        ),
        ({"title": "ok", "tags": ["new", "new"]}, [("tags", "must not repeat items")]),
        ({"title": "ok", "inStock": "yes"}, [("inStock", "must be of type ['boolean', 'null']")]),
    ],
)
def test_data_errors_name_each_field(data, expected):
    errors = data_errors(compile_schema(PRODUCT_SCHEMA), data)
    assert [(e["path"], e["message"]) for e in errors] == expected


def test_valid_data_passes_and_optional_fields_accept_null():
    compiled = compile_schema(PRODUCT_SCHEMA)
    assert data_errors(compiled, {"title": "ok", "price": 2.5, "category": None}) == []


def test_blocks_use_the_discriminator():
    compiled = compile_schema(BLOCKS)
    good = {
        "sections": [{"blockType": "hero", "heading": "Hi"}, {"blockType": "text", "body": "b"}]
    }
    assert data_errors(compiled, good) == []
    bad = {"sections": [{"blockType": "video"}]}
    assert [e["path"] for e in data_errors(compiled, bad)] == ["sections.0"]


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        ("email", "a@b.co", "not-an-email"),
        ("url", "https://example.com/x", "javascript:alert(1)"),
        ("date", "2026-01-31", "2026-02-31"),
        ("datetime", "2026-01-31T10:00:00Z", "yesterday"),
        ("slug", "hello-world", "Hello World"),
        ("color", "#ff00aa", "red"),
    ],
)
def test_formats_are_checked_on_the_server(kind, good, bad):
    compiled = compile_schema({"properties": {"v": {"type": kind, "required": True}}})
    assert data_errors(compiled, {"v": good}) == []
    assert [e["path"] for e in data_errors(compiled, {"v": bad})] == ["v"]


def test_compilation_is_cached_per_schema_text():
    assert compile_schema(PRODUCT_SCHEMA) is compile_schema(dict(PRODUCT_SCHEMA))
