"""A form generated from a pydantic settings model's JSON schema, and read back.

Used for plugin settings (``PluginSpec.settings_model``). Each top-level property becomes one
input named by its key (the model's alias when it has one, the name the settings are stored
under): ``string`` a text input, ``integer``/``number`` a number input with the schema's
bounds, ``boolean`` a checkbox, an ``enum`` (inline or a ``$ref`` to one) a select; an optional
(``anyOf`` with ``null``) scalar is the same input, empty meaning null. Anything else (objects,
arrays, unions) is a JSON textarea. Titles, descriptions and defaults come from the schema.

Reading the form back (:func:`read_form`) only turns text into the JSON the input stands for:
the model itself validates the values (in the settings service), so the form can never accept
what ``PUT /admin/api/plugins/{name}/settings`` would refuse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from sonic_cms.admin.forms.build import humanize

SCALARS = {"string", "integer", "number", "boolean"}


@dataclass
class SettingInput:
    """One input of a generated settings form."""

    name: str
    label: str
    widget: str  # text, number, checkbox, select, json
    help: str | None
    default: Any
    value: Any
    text: str
    nullable: bool = False
    options: tuple[Any, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    step: str = "any"
    min_length: int | None = None
    max_length: int | None = None
    error: str | None = None

    @property
    def id(self) -> str:
        """The input's HTML id."""
        return "s-" + "".join(c if c.isalnum() else "-" for c in self.name)


def _resolve(schema: Mapping[str, Any], node: Mapping[str, Any]) -> dict[str, Any]:
    """``node`` with a local ``$ref`` replaced by its definition (keeping the node's own keys)."""
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = (schema.get("$defs") or {}).get(ref.removeprefix("#/$defs/"), {})
        return {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return dict(node)


def _unwrap_optional(
    schema: Mapping[str, Any], node: dict[str, Any]
) -> tuple[dict[str, Any], bool]:
    """``X | None`` -> (X, True); anything else unchanged."""
    choices = node.get("anyOf")
    if isinstance(choices, list) and len(choices) == 2:
        others = [c for c in choices if c.get("type") != "null"]
        if len(others) == 1:
            inner = _resolve(schema, others[0])
            kept = {k: v for k, v in node.items() if k != "anyOf"}
            return {**inner, **kept}, True
    return node, False


def label_of(name: str, node: Mapping[str, Any]) -> str:
    """The schema's title, unless it is pydantic's automatic one (``Codelength``)."""
    title = node.get("title")
    if isinstance(title, str) and title and title != name.replace("_", " ").title():
        return title
    return humanize(name)


def widget_of(node: Mapping[str, Any]) -> str:
    """The input for a (resolved, unwrapped) property."""
    if isinstance(node.get("enum"), list) and node["enum"]:
        return "select"
    kind = node.get("type")
    if kind == "boolean":
        return "checkbox"
    if kind in {"integer", "number"}:
        return "number"
    if kind == "string":
        return "text"
    return "json"


def text_of(widget: str, value: Any) -> str:
    """How the input shows ``value``."""
    if widget == "json":
        return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()
    if value is None or isinstance(value, bool):
        return ""
    return str(value)


def build_inputs(schema: Mapping[str, Any], values: Mapping[str, Any]) -> list[SettingInput]:
    """The inputs of the model's top-level properties, filled with ``values`` (the stored
    settings) or the defaults."""
    inputs = []
    for name, raw in (schema.get("properties") or {}).items():
        if not isinstance(raw, dict):
            continue
        node, nullable = _unwrap_optional(schema, _resolve(schema, raw))
        widget = widget_of(node)
        default = node.get("default")
        value = values.get(name, default)
        description = node.get("description")
        inputs.append(
            SettingInput(
                name=name,
                label=label_of(name, node),
                widget=widget,
                help=str(description) if description else None,
                default=default,
                value=value,
                text=text_of(widget, value),
                nullable=nullable,
                options=tuple(node.get("enum") or ()),
                minimum=node.get("minimum", node.get("exclusiveMinimum")),
                maximum=node.get("maximum", node.get("exclusiveMaximum")),
                step="1" if node.get("type") == "integer" else "any",
                min_length=node.get("minLength"),
                max_length=node.get("maxLength"),
            )
        )
    return inputs


def read_form(
    inputs: list[SettingInput], form: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The posted form as the settings' JSON changes, and the inputs whose text is not JSON.

    Scalars are passed on as text (the model's lax mode turns ``"8"`` into 8 and refuses
    ``"eight"`` with the field's own message); an empty optional input is null; an unticked
    checkbox is false; a select's value is the option it names, so a non-string enum keeps its
    type.
    """
    changes: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for field in inputs:
        raw = form.get(field.name)
        if field.widget == "checkbox":
            changes[field.name] = raw is not None
            continue
        text = (raw or "").strip() if field.widget != "text" else (raw or "")
        if field.nullable and text == "":
            changes[field.name] = None
        elif field.widget == "select":
            chosen = next((o for o in field.options if str(o) == text), text)
            changes[field.name] = chosen
        elif field.widget == "json":
            try:
                changes[field.name] = orjson.loads(text)
            except orjson.JSONDecodeError as exc:
                problems[field.name] = f"not valid JSON: {exc}"
        else:
            changes[field.name] = text
        field.text = raw or ""
    return changes, problems
