"""The schema editor's draft: a collection schema edited one step at a time, in a form.

The draft travels in the editor's form as JSON (a hidden input); each button posts it with one
operation (``edit``, ``up``, ``down``, ``remove``, ``add``, ``apply``...) naming a node by its
path of keys inside the schema (``["properties", "body", "blocks", "hero"]``), and the page
answers with the changed draft. This module only moves values about and reads the field form's
inputs into a field config (text into numbers, lines into enum options); whether the result is
a valid schema is for :func:`sonic_cms.content.schema.schema_problems`, the rule
``POST/PATCH /admin/api/collections`` applies, which the page runs on every draft.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.datastructures import FormData

from sonic_cms.content.schema import ENUM_TYPES, FIELD_TYPES, STRING_TYPES

#: The field types in the order the type menu lists them, with what each is for.
TYPE_CHOICES: tuple[tuple[str, str], ...] = (
    ("string", "Text (one line)"),
    ("textarea", "Text (several lines)"),
    ("richtext", "Rich text"),
    ("quill", "Rich text (Quill)"),
    ("tinymce", "Rich text (TinyMCE)"),
    ("mdxeditor", "Rich text (MDX editor)"),
    ("markdown", "Markdown"),
    ("text", "Text (legacy)"),
    ("number", "Number"),
    ("boolean", "Yes / no"),
    ("checkbox", "Checkbox"),
    ("date", "Date"),
    ("datetime", "Date and time"),
    ("email", "Email address"),
    ("url", "URL"),
    ("slug", "Slug"),
    ("color", "Colour"),
    ("select", "Select (one option)"),
    ("radio", "Radio buttons (one option)"),
    ("multiselect", "Multi-select (several options)"),
    ("reference", "Reference to an item"),
    ("media", "Media (image or file)"),
    ("file", "File"),
    ("json", "JSON"),
    ("object", "Group of fields (object)"),
    ("array", "List (array)"),
)
assert {t for t, _ in TYPE_CHOICES} == FIELD_TYPES
TYPE_LABELS = dict(TYPE_CHOICES)
#: Types whose text length and pattern the schema checks.
LENGTH_TYPES = STRING_TYPES | frozenset({"email", "url", "slug"})
#: Types that take a list of options (a plain string may be limited to options too).
OPTION_TYPES = ENUM_TYPES | frozenset({"string"})
#: Field-config keys the field form edits: rebuilt from the form on every apply.
FORM_KEYS = (
    "title",
    "helpText",
    "description",
    "placeholder",
    "required",
    "default",
    "min",
    "max",
    "minLength",
    "maxLength",
    "pattern",
    "enum",
    "enumLabels",
    "collection",
    "minItems",
    "maxItems",
    "discriminator",
)
#: Keys that belong to one kind of container type and go when the type changes away from it.
STRUCTURE_KEYS = {"object": ("properties", "required"), "array": ("items", "blocks")}
MAX_DRAFT_BYTES = 1_048_576
EMPTY: dict[str, Any] = {"type": "object", "properties": {}}

Path = tuple[str, ...]


class DraftError(ValueError):
    """The posted draft or path cannot be read (a crafted or truncated form)."""


def load_draft(raw: str | None) -> dict[str, Any]:
    """The draft from its hidden input."""
    if not raw:
        return copy.deepcopy(EMPTY)
    if len(raw) > MAX_DRAFT_BYTES:
        raise DraftError("the schema is larger than 1 MB")
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise DraftError("the schema is not valid JSON") from exc
    if not isinstance(value, dict):
        raise DraftError("the schema must be a JSON object")
    return value


def dump_draft(schema: dict[str, Any]) -> str:
    """The draft as its hidden input holds it."""
    return orjson.dumps(schema).decode()


def path_text(path: Path) -> str:
    """A node's path as buttons and inputs carry it."""
    return orjson.dumps(list(path)).decode()


def parse_path(raw: str) -> Path:
    """A path posted by a button or input."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise DraftError("unreadable path") from exc
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise DraftError("unreadable path")
    return tuple(value)


def node_at(schema: dict[str, Any], path: Path) -> dict[str, Any]:
    """The dict at ``path`` (DraftError when there is none)."""
    node: Any = schema
    for key in path:
        if not isinstance(node, dict) or not isinstance(node.get(key), dict):
            raise DraftError("no such field")
        node = node[key]
    return node  # type: ignore[no-any-return]


def _properties(container: dict[str, Any]) -> dict[str, Any]:
    props = container.get("properties")
    if not isinstance(props, dict):
        props = container["properties"] = {}
    return props


def _split(path: Path) -> tuple[Path, str, str]:
    """``(parent path, the key holding the child dict, the child's name)``."""
    if len(path) < 2:
        raise DraftError("no such field")
    return path[:-2], path[-2], path[-1]


def move(schema: dict[str, Any], path: Path, delta: int) -> None:
    """Move the field (or block) at ``path`` one place up (-1) or down (+1) among its siblings."""
    parent, holder, name = _split(path)
    siblings = node_at(schema, parent).get(holder)
    if not isinstance(siblings, dict) or name not in siblings:
        raise DraftError("no such field")
    names = list(siblings)
    index = names.index(name)
    target = min(max(index + delta, 0), len(names) - 1)
    names.insert(target, names.pop(index))
    reordered = {n: siblings[n] for n in names}
    siblings.clear()
    siblings.update(reordered)


def remove(schema: dict[str, Any], path: Path) -> None:
    """Remove the field or block at ``path`` (and its name from a ``required`` list)."""
    parent, holder, name = _split(path)
    owner = node_at(schema, parent)
    siblings = owner.get(holder)
    if not isinstance(siblings, dict) or name not in siblings:
        raise DraftError("no such field")
    del siblings[name]
    _drop_required(owner, name)


def _drop_required(container: dict[str, Any], name: str) -> None:
    required = container.get("required")
    if isinstance(required, list) and name in required:
        container["required"] = [n for n in required if n != name]
        if not container["required"]:
            del container["required"]


def is_required(container: dict[str, Any], name: str, config: dict[str, Any]) -> bool:
    """Required by the field's own flag or by the container's ``required`` list."""
    required = container.get("required")
    return config.get("required") is True or (isinstance(required, list) and name in required)


def _put(mapping: dict[str, Any], old_name: str | None, name: str, value: Any) -> None:
    """Set ``mapping[name]``: a new key goes last; a renamed one (``old_name``) keeps its place."""
    if old_name is None:
        mapping[name] = value
        return
    rebuilt = {
        (name if n == old_name else n): (value if n == old_name else v) for n, v in mapping.items()
    }
    mapping.clear()
    mapping.update(rebuilt)


def put_field(
    schema: dict[str, Any],
    container_path: Path,
    old_name: str | None,
    name: str,
    config: dict[str, Any],
) -> None:
    """Set field ``name`` of the container at ``container_path`` to ``config``: a new field
    goes last, a renamed one keeps its place. ``required`` lives on the field
    (``required: true``); the container's list stops naming it."""
    container = node_at(schema, container_path)
    props = _properties(container)
    if old_name is not None and old_name not in props:
        raise DraftError("no such field")
    if old_name is not None:
        _drop_required(container, old_name)
    _put(props, old_name, name, config)
    _drop_required(container, name)


def put_items(schema: dict[str, Any], array_path: Path, config: dict[str, Any]) -> None:
    """Set the item config of the list (array) field at ``array_path``."""
    node_at(schema, array_path)["items"] = config


def put_block(
    schema: dict[str, Any],
    array_path: Path,
    old_name: str | None,
    name: str,
    values: dict[str, Any],
) -> None:
    """Add a block to the list field at ``array_path`` or change one (name, label,
    description), keeping its fields and its place."""
    array = node_at(schema, array_path)
    blocks = array.get("blocks")
    if not isinstance(blocks, dict):
        blocks = array["blocks"] = {}
        array.pop("items", None)
    if old_name is not None and old_name not in blocks:
        raise DraftError("no such block")
    spec = dict(blocks.get(old_name, {}) if old_name is not None else {"properties": {}})
    for key in ("label", "description"):
        spec.pop(key, None)
        if values.get(key):
            spec[key] = values[key]
    _put(blocks, old_name, name, spec)


@dataclass
class FieldForm:
    """The field form's values, as the inputs show them (text), and what could not be read."""

    name: str = ""
    type: str = "string"
    title: str = ""
    helpText: str = ""  # noqa: N815 (SonicJS's key)
    description: str = ""
    placeholder: str = ""
    required: bool = False
    default: str = ""
    min: str = ""
    max: str = ""
    minLength: str = ""  # noqa: N815
    maxLength: str = ""  # noqa: N815
    pattern: str = ""
    options: str = ""
    collections: list[str] = field(default_factory=list)
    minItems: str = ""  # noqa: N815
    maxItems: str = ""  # noqa: N815
    list_of: str = ""
    discriminator: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def _number_text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _text(value)
    return str(int(value)) if float(value).is_integer() else str(value)


def form_of(name: str, config: dict[str, Any], required: bool) -> FieldForm:
    """The field form showing ``config``."""
    kind = str(config.get("type") or "string")
    raw_enum, raw_labels = config.get("enum"), config.get("enumLabels")
    enum: list[Any] = raw_enum if isinstance(raw_enum, list) else []
    labels: list[Any] = raw_labels if isinstance(raw_labels, list) else []
    lines = []
    for n, value in enumerate(enum):
        label = labels[n] if n < len(labels) and labels[n] not in (None, "") else None
        lines.append(f"{_text(value)} = {label}" if label is not None else _text(value))
    target = config.get("collection")
    items = config.get("items")
    return FieldForm(
        name=name,
        type=kind,
        title=_text(config.get("title")),
        helpText=_text(config.get("helpText")),
        description=_text(config.get("description")),
        placeholder=_text(config.get("placeholder")),
        required=required,
        default=_text(config["default"]) if "default" in config else "",
        min=_number_text(config.get("min")),
        max=_number_text(config.get("max")),
        minLength=_number_text(config.get("minLength")),
        maxLength=_number_text(config.get("maxLength")),
        pattern=_text(config.get("pattern")),
        options="\n".join(lines),
        collections=[target] if isinstance(target, str) else [str(t) for t in target or []],
        minItems=_number_text(config.get("minItems")),
        maxItems=_number_text(config.get("maxItems")),
        list_of="blocks"
        if isinstance(config.get("blocks"), dict)
        else str(items.get("type", ""))
        if isinstance(items, dict)
        else "",
        discriminator=_text(config.get("discriminator")),
    )


def read_form(form: FormData) -> FieldForm:
    """The field form as posted (``f_*`` inputs)."""

    def text(name: str) -> str:
        value = form.get(f"f_{name}")
        return value.strip() if isinstance(value, str) else ""

    options = form.get("f_options")
    return FieldForm(
        name=text("name"),
        type=text("type") or "string",
        title=text("title"),
        helpText=text("helpText"),
        description=text("description"),
        placeholder=text("placeholder"),
        required=form.get("f_required") in {"on", "true", "1"},
        default=text("default"),
        min=text("min"),
        max=text("max"),
        minLength=text("minLength"),
        maxLength=text("maxLength"),
        pattern=text("pattern"),
        options=options.strip() if isinstance(options, str) else "",
        collections=[v for v in form.getlist("f_collection") if isinstance(v, str) and v],
        minItems=text("minItems"),
        maxItems=text("maxItems"),
        list_of=text("list_of"),
        discriminator=text("discriminator"),
    )


def _number(values: FieldForm, key: str, *, whole: bool) -> int | float | None:
    raw = str(getattr(values, key))
    if not raw:
        return None
    try:
        number = float(raw)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or (whole and not number.is_integer()):
        values.errors[key] = "must be a whole number" if whole else "must be a number"
        return None
    return int(number) if whole or number.is_integer() else number


def _default(values: FieldForm) -> Any:
    """The default typed for the field (JSON for structured types)."""
    raw, kind = values.default, values.type
    if not raw:
        return None
    if kind == "number":
        return _number(values, "default", whole=False)
    if kind in {"boolean", "checkbox"}:
        if raw.lower() not in {"true", "false"}:
            values.errors["default"] = "must be true or false"
            return None
        return raw.lower() == "true"
    if kind in {"json", "object", "array", "multiselect"}:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            values.errors["default"] = "must be JSON (a list for multi-select and lists)"
            return None
    return raw


def _options(values: FieldForm) -> tuple[list[Any], list[str]]:
    """Enum values and their labels from ``value`` or ``value = Label`` lines."""
    enum: list[Any] = []
    labels: list[str] = []
    for line in values.options.splitlines():
        if not line.strip():
            continue
        value, _, label = line.partition(" = ")
        enum.append(value.strip())
        labels.append(label.strip())
    return enum, labels


def field_config(values: FieldForm, old: dict[str, Any] | None) -> dict[str, Any]:
    """The field config the form describes; keys the form does not edit (widget, format,
    nested fields of a kept type...) are kept from ``old``. Read problems go to
    ``values.errors``."""
    kind = values.type
    config = {k: v for k, v in (old or {}).items() if k not in FORM_KEYS}
    old_type = (old or {}).get("type")
    for structure, keys in STRUCTURE_KEYS.items():
        if old_type == structure and kind != structure:
            for key in keys:
                config.pop(key, None)
    config["type"] = kind
    for key in ("title", "helpText", "description", "placeholder"):
        if getattr(values, key):
            config[key] = getattr(values, key)
    if values.required:
        config["required"] = True
    default = _default(values)
    if default is not None:
        config["default"] = default
    numbers: list[tuple[str, bool]] = []
    if kind == "number":
        numbers += [("min", False), ("max", False)]
    if kind in LENGTH_TYPES:
        numbers += [("minLength", True), ("maxLength", True)]
        if values.pattern:
            config["pattern"] = values.pattern
    if kind == "array":
        numbers += [("minItems", True), ("maxItems", True)]
    for key, whole in numbers:
        number = _number(values, key, whole=whole)
        if number is not None:
            config[key] = number
    if kind in OPTION_TYPES:
        enum, labels = _options(values)
        if enum or kind in ENUM_TYPES:
            config["enum"] = enum
        if any(labels):
            config["enumLabels"] = [
                label or value for value, label in zip(enum, labels, strict=True)
            ]
    if kind == "reference" and values.collections:
        chosen = values.collections
        config["collection"] = chosen[0] if len(chosen) == 1 else chosen
    if kind == "object":
        config.setdefault("properties", {})
    if kind == "array":
        _list_of(config, values)
    return config


def _list_of(config: dict[str, Any], values: FieldForm) -> None:
    """A list holds items of one type, or blocks (each block its own fields)."""
    if values.list_of == "blocks":
        config.pop("items", None)
        if not isinstance(config.get("blocks"), dict):
            config["blocks"] = {}
        if values.discriminator:
            config["discriminator"] = values.discriminator
        return
    config.pop("blocks", None)
    kind = values.list_of if values.list_of in FIELD_TYPES else "string"
    items = config.get("items")
    if not isinstance(items, dict) or items.get("type") != kind:
        items = {"type": kind}
        if kind in ENUM_TYPES:
            items["enum"] = []
        if kind == "object":
            items["properties"] = {}
    config["items"] = items


def new_config(kind: str) -> dict[str, Any]:
    """A new field of ``kind`` before its options are set."""
    return field_config(FieldForm(type=kind), None)


@dataclass
class BlockNode:
    """One block of a list field, as the editor lists it."""

    name: str
    label: str
    path: str
    fields: list[FieldNode]


@dataclass
class FieldNode:
    """One field of the draft, as the editor lists it (paths as the buttons post them)."""

    name: str
    type: str
    title: str
    required: bool
    path: str
    #: an object's fields; a list's item field; a list's blocks
    fields: list[FieldNode] = field(default_factory=list)
    items: FieldNode | None = None
    blocks: list[BlockNode] = field(default_factory=list)
    #: a list field holding blocks (its ``blocks`` may be empty yet)
    block_list: bool = False
    facts: list[str] = field(default_factory=list)


def _facts(config: dict[str, Any]) -> list[str]:
    """Short notes on a field's options, for its row."""
    facts = []
    for key, label in (
        ("minLength", "min length"),
        ("maxLength", "max length"),
        ("min", "min"),
        ("max", "max"),
        ("minItems", "min items"),
        ("maxItems", "max items"),
    ):
        if key in config:
            facts.append(f"{label} {_number_text(config[key])}")
    if "pattern" in config:
        facts.append(f"pattern {_text(config['pattern'])}")
    if isinstance(config.get("enum"), list):
        facts.append(f"{len(config['enum'])} options")
    if "collection" in config:
        target = config["collection"]
        facts.append("→ " + (target if isinstance(target, str) else ", ".join(map(str, target))))
    if "default" in config:
        facts.append(f"default {_text(config['default'])[:40]}")
    return facts


def tree(schema: dict[str, Any], container: Path = ()) -> list[FieldNode]:
    """The fields of the container at ``container`` (the root by default), nested ones too."""
    try:
        owner = node_at(schema, container)
    except DraftError:
        return []
    return _fields(owner, container)


def _fields(owner: dict[str, Any], base: Path) -> list[FieldNode]:
    props = owner.get("properties")
    if not isinstance(props, dict):
        return []
    return [
        _node(str(name), config, (*base, "properties", str(name)), is_required(owner, name, config))
        for name, config in props.items()
        if isinstance(config, dict)
    ]


def _node(name: str, config: dict[str, Any], path: Path, required: bool) -> FieldNode:
    kind = str(config.get("type", ""))
    node = FieldNode(
        name=name,
        type=kind,
        title=_text(config.get("title")),
        required=required,
        path=path_text(path),
        facts=_facts(config),
    )
    if kind == "object":
        node.fields = _fields(config, path)
    blocks = config.get("blocks")
    if kind == "array" and isinstance(blocks, dict):
        node.block_list = True
        for block, spec in blocks.items():
            if isinstance(spec, dict):
                block_path = (*path, "blocks", str(block))
                label = _text(spec.get("label")) or str(block)
                fields = _fields(spec, block_path)
                node.blocks.append(BlockNode(str(block), label, path_text(block_path), fields))
    elif kind == "array" and isinstance(config.get("items"), dict):
        node.items = _node("items", config["items"], (*path, "items"), False)
    return node
