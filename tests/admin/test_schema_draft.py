"""admin.forms.schema_draft: the schema editor's draft steps and its field form, without a
server (the page tests drive the same steps through the app)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.datastructures import FormData

from sonic_cms.admin.forms import schema_draft as d
from sonic_cms.content.schema import schema_problems


def draft() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "number"}, "c": {"type": "json"}},
        "required": ["b"],
    }


def test_moves_stop_at_the_ends_and_remove_drops_the_required_name():
    schema = draft()
    d.move(schema, ("properties", "a"), -1)
    assert list(schema["properties"]) == ["a", "b", "c"]
    d.move(schema, ("properties", "a"), 1)
    assert list(schema["properties"]) == ["b", "a", "c"]
    d.remove(schema, ("properties", "b"))
    assert list(schema["properties"]) == ["a", "c"] and "required" not in schema
    with pytest.raises(d.DraftError):
        d.remove(schema, ("properties", "b"))
    with pytest.raises(d.DraftError):
        d.move(schema, ("properties",), 1)


def test_a_rename_keeps_the_place_and_moves_required_onto_the_field():
    schema = draft()
    form = d.FieldForm(name="beta", type="number", required=True, min="0", max="9.5")
    d.put_field(schema, (), "b", "beta", d.field_config(form, schema["properties"]["b"]))
    assert list(schema["properties"]) == ["a", "beta", "c"]
    assert schema["properties"]["beta"] == {
        "type": "number",
        "required": True,
        "min": 0,
        "max": 9.5,
    }
    assert "required" not in schema


def test_the_form_reads_options_labels_defaults_and_targets():
    config = d.field_config(
        d.FieldForm(type="multiselect", options="a = Alpha\n\nb\n", default='["a"]'), None
    )
    assert config == {
        "type": "multiselect",
        "default": ["a"],
        "enum": ["a", "b"],
        "enumLabels": ["Alpha", "b"],
    }
    ref = d.field_config(d.FieldForm(type="reference", collections=["x", "y"]), None)
    assert ref == {"type": "reference", "collection": ["x", "y"]}
    assert d.form_of("f", config, False).options == "a = Alpha\nb = b"


@pytest.mark.parametrize(
    ("form", "key"),
    [
        (d.FieldForm(type="number", min="ten"), "min"),
        (d.FieldForm(type="string", maxLength="2.5"), "maxLength"),
        (d.FieldForm(type="number", default="nan"), "default"),
        (d.FieldForm(type="boolean", default="yes"), "default"),
        (d.FieldForm(type="json", default="{oops"), "default"),
    ],
)
def test_unreadable_inputs_are_reported_not_stored(form: d.FieldForm, key: str):
    config = d.field_config(form, None)
    assert key in form.errors and key not in config


def test_a_type_change_drops_what_belonged_to_the_old_type():
    old = {"type": "object", "properties": {"x": {"type": "string"}}, "widget": "w", "enum": ["a"]}
    config = d.field_config(d.FieldForm(type="string"), old)
    assert config == {"type": "string", "widget": "w"}
    listed = d.field_config(d.FieldForm(type="array", list_of="select"), None)
    assert listed == {"type": "array", "items": {"type": "select", "enum": []}}
    blocks = d.field_config(
        d.FieldForm(type="array", list_of="blocks", discriminator="kind"), listed
    )
    assert blocks == {"type": "array", "blocks": {}, "discriminator": "kind"}


def test_every_type_with_no_options_makes_a_schema_the_rule_accepts_but_references():
    for kind, _ in d.TYPE_CHOICES:
        schema = {"type": "object", "properties": {"f": d.new_config(kind)}}
        problems = schema_problems(schema)
        if kind == "reference":
            assert problems == [
                {
                    "path": "schema.properties.f.collection",
                    "message": "a reference needs a collection",
                }
            ]
        else:
            assert problems == [], kind


def test_the_posted_field_form_is_read_by_its_f_inputs():
    form = FormData(
        [
            ("f_name", " title "),
            ("f_type", "string"),
            ("f_required", "on"),
            ("f_collection", "a"),
            ("f_collection", ""),
            ("f_options", " x \n"),
        ]
    )
    read = d.read_form(form)
    assert (read.name, read.type, read.required, read.collections, read.options) == (
        "title",
        "string",
        True,
        ["a"],
        "x",
    )


def test_drafts_and_paths_that_cannot_be_read():
    for raw in ("{", "[1]", "x" * (d.MAX_DRAFT_BYTES + 1)):
        with pytest.raises(d.DraftError):
            d.load_draft(raw)
    for raw in ("{}", '["a", 1]', "nope"):
        with pytest.raises(d.DraftError):
            d.parse_path(raw)
    assert d.parse_path('["properties", "a"]') == ("properties", "a")
    assert d.load_draft("") == {"type": "object", "properties": {}}


def test_fields_go_into_objects_list_entries_and_blocks_and_the_tree_shows_them():
    schema: dict[str, Any] = {"type": "object", "properties": {}}
    d.put_field(schema, (), None, "people", d.new_config("array"))
    d.put_items(schema, ("properties", "people"), d.new_config("object"))
    d.put_field(schema, ("properties", "people", "items"), None, "name", {"type": "string"})
    d.put_field(
        schema, (), None, "body", d.field_config(d.FieldForm(type="array", list_of="blocks"), None)
    )
    d.put_block(schema, ("properties", "body"), None, "hero", {"label": "Hero"})
    d.put_block(schema, ("properties", "body"), None, "quote", {})
    d.put_field(
        schema, ("properties", "body", "blocks", "hero"), None, "heading", {"type": "string"}
    )
    d.put_block(schema, ("properties", "body"), "hero", "banner", {"label": "Banner"})
    assert schema_problems(schema) == []
    people, body = d.tree(schema)
    assert people.items is not None and [f.name for f in people.items.fields] == ["name"]
    assert people.items.fields[0].path == '["properties","people","items","properties","name"]'
    assert body.block_list and [(b.name, b.label) for b in body.blocks] == [
        ("banner", "Banner"),
        ("quote", "quote"),
    ]
    assert [f.name for f in body.blocks[0].fields] == ["heading"]
    d.move(schema, ("properties", "body", "blocks", "quote"), -1)
    assert list(schema["properties"]["body"]["blocks"]) == ["quote", "banner"]
    d.remove(schema, ("properties", "body", "blocks", "banner"))
    assert list(schema["properties"]["body"]["blocks"]) == ["quote"]
