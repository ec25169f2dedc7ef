"""Schema + data -> the editor's :class:`FieldView` tree.

One walk over the collection's SonicJS schema (``content.schema``): every field becomes a view
named by its path in the submitted form (``data.author.name``, ``data.links.0.url``), so the
server's 422 paths (``details[].path``) land on the input that caused them and
:mod:`.parse` reads the same names back. The item's own title and slug are inputs of their
own (``title``, ``slug``); a schema field the content service mirrors from them (a top-level
``title`` field, every top-level ``slug`` field: ``content.items._prepare_data``) is that
same input, not a second one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from sonic_cms.admin.forms.views import FieldView

#: field type -> the template under ``templates/fields/`` that renders it
WIDGETS = {
    "string": "text",
    "text": "text",
    "textarea": "textarea",
    "markdown": "textarea",
    "richtext": "richtext",
    "quill": "richtext",
    "tinymce": "richtext",
    "mdxeditor": "richtext",
    "number": "number",
    "boolean": "boolean",
    "checkbox": "boolean",
    "select": "select",
    "radio": "radio",
    "multiselect": "multiselect",
    "date": "date",
    "datetime": "datetime",
    "email": "email",
    "url": "url",
    "slug": "slug",
    "color": "color",
    "json": "json",
    "media": "media",
    "file": "media",
    "reference": "reference",
    "object": "object",
    "array": "array",
}
DATA = "data"
#: the discriminator of a block when the schema names none (``content.schema._array_schema``)
DEFAULT_DISCRIMINATOR = "blockType"
TITLE_FIELD = "title"


def widget_of(config: dict[str, Any]) -> str:
    """The template for a field config: blocks are an array with ``blocks``."""
    kind = str(config.get("type", "string"))
    if kind == "array" and isinstance(config.get("blocks"), dict) and config["blocks"]:
        return "blocks"
    return WIDGETS.get(kind, "text")


def is_item_field(name: str, config: dict[str, Any]) -> bool:
    """Whether a top-level schema field is the item's own title or slug input."""
    return name == TITLE_FIELD or config.get("type") == "slug"


def discriminator_of(config: dict[str, Any]) -> str:
    """The key naming a block's type inside each entry."""
    return str(config.get("discriminator") or DEFAULT_DISCRIMINATOR)


def required_names(schema: dict[str, Any]) -> set[str]:
    """The required fields of an object schema: its ``required`` list or ``required: true``."""
    listed = schema.get("required")
    names = {str(n) for n in listed} if isinstance(listed, list) else set()
    props = schema.get("properties") or {}
    return names | {n for n, c in props.items() if isinstance(c, dict) and c.get("required")}


def humanize(name: str) -> str:
    """A label from a field name when the schema gives no ``title``: ``heroImage`` -> Hero image."""
    spaced = "".join(f" {c}" if c.isupper() else c for c in name).replace("_", " ").strip()
    return spaced[:1].upper() + spaced[1:].lower() if spaced else name


def html_id(name: str) -> str:
    """An HTML id from an input name (dots are legal but awkward in CSS selectors)."""
    return "f-" + name.replace(".", "-")


def input_text(kind: str, value: Any) -> str:
    """The value as its input shows it."""
    if value is None or isinstance(value, bool):
        return ""
    if kind == "json":
        return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()
    if kind == "datetime" and isinstance(value, str):
        return local_datetime(value)
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return orjson.dumps(value).decode()


def local_datetime(value: str) -> str:
    """An ISO 8601 moment as a ``datetime-local`` input reads it, in UTC (the label says so)."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S" if moment.second else "%Y-%m-%dT%H:%M")


def build_fields(schema: dict[str, Any], data: dict[str, Any]) -> list[FieldView]:
    """The views of the schema's data fields (the item's title and slug inputs excluded)."""
    required = required_names(schema)
    return [
        view_for(name, config, f"{DATA}.{name}", data.get(name), name in required, 0)
        for name, config in (schema.get("properties") or {}).items()
        if isinstance(config, dict) and not is_item_field(name, config)
    ]


def item_fields(
    title: str, slug: str, schema: dict[str, Any], *, collection: str, item_id: str | None
) -> list[FieldView]:
    """The item's own inputs, ``title`` and ``slug``, labelled as the schema's fields are when
    it declares them; the slug widget asks whether a slug is free in ``collection``, its own
    item's (``item_id``) counting as free."""
    props = schema.get("properties") or {}
    declared = props.get(TITLE_FIELD)
    title_config: dict[str, Any] = declared if isinstance(declared, dict) else {}
    slug_config = next(
        (c for c in props.values() if isinstance(c, dict) and c.get("type") == "slug"), {}
    )
    title_view = FieldView(
        kind="string",
        widget="text",
        name="title",
        id="f-title",
        label=str(title_config.get("title") or "Title"),
        value=title,
        config={"maxLength": 500, **title_config, "type": "string"},
        required=True,
        help=_help(title_config),
        text=title,
    )
    slug_help = _help(slug_config) or "Left empty, it is made from the title."
    slug_view = FieldView(
        kind="slug",
        widget="slug",
        name="slug",
        id="f-slug",
        label=str(slug_config.get("title") or "Slug"),
        value=slug or None,
        config={**slug_config, "type": "slug", "collection": collection, "item_id": item_id},
        help=slug_help,
        text=slug,
    )
    return [title_view, slug_view]


def _help(config: dict[str, Any]) -> str | None:
    text = config.get("description") or config.get("help")
    return str(text) if text else None


def view_for(
    name: str, config: dict[str, Any], path: str, value: Any, required: bool, depth: int
) -> FieldView:
    """The view of one field at ``path`` holding ``value`` (``depth``: repeaters above it)."""
    kind = str(config.get("type", "string"))
    view = FieldView(
        kind=kind,
        widget=widget_of(config),
        name=path,
        id=html_id(path),
        label=str(config.get("title") or humanize(name)),
        value=value,
        config=config,
        required=required,
        help=_help(config),
        text=input_text(kind, value),
    )
    if view.widget == "object":
        view.children = _object_children(config, path, value, depth)
    elif view.widget in {"array", "blocks"}:
        _fill_repeater(view, value if isinstance(value, list) else [], depth)
    return view


def _object_children(config: dict[str, Any], path: str, value: Any, depth: int) -> list[FieldView]:
    values = value if isinstance(value, dict) else {}
    required = required_names(config)
    return [
        view_for(n, c, f"{path}.{n}", values.get(n), n in required, depth)
        for n, c in (config.get("properties") or {}).items()
        if isinstance(c, dict)
    ]


def _fill_repeater(view: FieldView, values: list[Any], depth: int) -> None:
    """An array's entries, and the prototypes a new entry is cloned from."""
    view.placeholder = f"__i{depth}__"
    if view.widget == "blocks":
        blocks: dict[str, Any] = view.config["blocks"]
        key = discriminator_of(view.config)
        view.children = [
            _block_entry(view, str(i), blocks, key, v, depth)
            for i, v in enumerate(values)
            if isinstance(v, dict) and v.get(key) in blocks
        ]
        view.templates = {
            block: _block_entry(view, view.placeholder, blocks, key, {key: block}, depth)
            for block in blocks
        }
        return
    items = view.config.get("items") if isinstance(view.config.get("items"), dict) else None
    item_config: dict[str, Any] = items or {"type": "string"}
    view.children = [_entry(view, str(i), item_config, v, depth) for i, v in enumerate(values)]
    view.templates = {"": _entry(view, view.placeholder, item_config, None, depth)}


def _entry(array: FieldView, key: str, config: dict[str, Any], value: Any, depth: int) -> FieldView:
    """One entry of a plain array: an object's fields, or the one scalar input."""
    path = f"{array.name}.{key}"
    item = view_for(array.label, config, path, value, False, depth + 1)
    item.label = str(config.get("title") or array.label)
    children = item.children if item.widget == "object" else [item]
    return FieldView(
        kind="entry",
        widget="entry",
        name=path,
        id=html_id(path) + "-entry",
        label=item.label,
        value=value,
        config={},
        children=children,
        key=key,
    )


def _block_entry(
    array: FieldView,
    key: str,
    blocks: dict[str, Any],
    discriminator: str,
    value: dict[str, Any],
    depth: int,
) -> FieldView:
    """One block: its type (submitted under ``<entry>.<discriminator>``) and its fields."""
    block = str(value[discriminator])
    spec = blocks[block] if isinstance(blocks[block], dict) else {}
    path = f"{array.name}.{key}"
    required = required_names(spec)
    children = [
        view_for(n, c, f"{path}.{n}", value.get(n), n in required, depth + 1)
        for n, c in (spec.get("properties") or {}).items()
        if isinstance(c, dict) and n != discriminator
    ]
    return FieldView(
        kind="entry",
        widget="entry",
        name=path,
        id=html_id(path) + "-entry",
        label=str(spec.get("title") or humanize(block)),
        value=value,
        config={"block": block, "discriminator": discriminator},
        children=children,
        key=key,
    )


def walk(views: list[FieldView]) -> list[FieldView]:
    """Every view of the tree, parents before children (the entries' prototypes left out)."""
    out: list[FieldView] = []
    for view in views:
        out.append(view)
        out.extend(walk(view.children))
    return out
