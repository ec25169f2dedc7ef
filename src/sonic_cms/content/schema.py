"""SonicJS collection schemas, compiled once into a JSON Schema (draft 2020-12) validator.

SonicJS checks length, pattern, enum and min/max only in its admin form; sonic-cms compiles the
same field configs into JSON Schema and validates every write on the server. What JSON Schema
cannot express (a slug's shape is a pattern, but a reference's or media id's existence is not) is
listed on the compiled schema so the content service can check it against the database.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Set
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import jsonschema_rs
import orjson
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError, ValidationError

from sonic_cms.content.slugs import VALID_SLUG
from sonic_cms.inputs.html import (
    HtmlPlan,
    plan_for_schema,
    sanitize,
    sanitize_key_problem,
)

STRING_TYPES = frozenset(
    {"string", "text", "textarea", "richtext", "markdown", "quill", "tinymce", "mdxeditor"}
)
FIELD_TYPES = STRING_TYPES | frozenset(
    {
        "number",
        "boolean",
        "checkbox",
        "date",
        "datetime",
        "email",
        "url",
        "slug",
        "color",
        "select",
        "multiselect",
        "radio",
        "json",
        "object",
        "array",
        "media",
        "file",
        "reference",
    }
)
ENUM_TYPES = frozenset({"select", "multiselect", "radio"})
_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}\Z")
MAX_SCHEMA_DEPTH = 8
#: Names that reach a JavaScript object's prototype when a client copies data into an object
#: (``obj[name] = value``): refused in any letter case, at every nesting level.
RESERVED_FIELD_NAMES = frozenset({"__proto__", "constructor", "prototype"})

_FORMATS = FormatChecker(formats=())


@_FORMATS.checks("email")
def _is_email(value: object) -> bool:
    return (
        not isinstance(value, str) or re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value) is not None
    )


@_FORMATS.checks("uri")
def _is_url(value: object) -> bool:
    return (
        not isinstance(value, str)
        or re.fullmatch(r"(?i)(https?|mailto|ftp)://\S+|/\S*", value) is not None
    )


@_FORMATS.checks("slug")
def _is_slug(value: object) -> bool:
    # A format, not a ``pattern``: jsonschema-rs reads ``\w`` as ASCII (ECMA-262) while Python's
    # ``re`` reads it as Unicode, so a pattern made the two validators disagree on "东京".
    return not isinstance(value, str) or VALID_SLUG.match(value) is not None


@_FORMATS.checks("color")
def _is_color(value: object) -> bool:
    # A format for the same reason, and so that "#fff\n" is refused (Python's ``$`` allows it).
    return not isinstance(value, str) or _COLOR.fullmatch(value) is not None


@_FORMATS.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    return not isinstance(value, str) or bool(date.fromisoformat(value))


@_FORMATS.checks("date-time", raises=ValueError)
def _is_datetime(value: object) -> bool:
    return not isinstance(value, str) or bool(datetime.fromisoformat(value.replace("Z", "+00:00")))


def _fast_format(check: Callable[[object], bool]) -> Callable[[str], bool]:
    def run(value: str) -> bool:
        try:
            return check(value)
        except ValueError:
            return False

    return run


#: The same format rules for the fast validator (jsonschema-rs), so both accept the same data.
_FAST_FORMATS = {
    "email": _fast_format(_is_email),
    "uri": _fast_format(_is_url),
    "slug": _fast_format(_is_slug),
    "color": _fast_format(_is_color),
    "date": _fast_format(_is_date),
    "date-time": _fast_format(_is_datetime),
}


def _fast_validator(json_schema: dict[str, Any]) -> Any:
    """A compiled jsonschema-rs validator, or None when it cannot take the schema (a regex
    Python's ``re`` accepts but Rust's engine does not): then every check uses jsonschema."""
    try:
        return jsonschema_rs.validator_for(
            json_schema, formats=_FAST_FORMATS, validate_formats=True
        )
    except (ValueError, jsonschema_rs.ValidationError):
        return None


@dataclass(frozen=True)
class FieldInfo:
    """A top-level field of a collection: what the query layer may filter and sort on."""

    name: str
    type: str
    json_type: str  # string | number | boolean | array | object | any


@dataclass(frozen=True)
class CompiledSchema:
    """A collection schema ready for validation, with the checks JSON Schema cannot do."""

    source: dict[str, Any]
    json_schema: dict[str, Any]
    validator: Draft202012Validator
    fields: dict[str, FieldInfo]
    #: top-level reference fields -> allowed collection names (empty: any collection)
    references: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: top-level media/file fields
    media: tuple[str, ...] = ()
    defaults: dict[str, Any] = field(default_factory=dict)
    slug_fields: tuple[str, ...] = ()
    #: jsonschema-rs validator of the same JSON Schema: answers "valid?" about 50x faster
    fast: Any = None
    #: where the HTML fields are (nested ones too); None: the collection stores no HTML
    html: HtmlPlan | None = None
    #: the schema says ``"additionalProperties": true``: ``data`` may hold undeclared keys
    extra_keys: bool = False
    #: top-level fields marked ``"translatable": false``: one value per translation group
    shared_fields: tuple[str, ...] = ()


def _required_names(schema: dict[str, Any]) -> set[str]:
    required = schema.get("required") or []
    names = {str(n) for n in required} if isinstance(required, list) else set()
    props = schema.get("properties") or {}
    return names | {
        n for n, f in props.items() if isinstance(f, dict) and f.get("required") is True
    }


def definition_errors(schema: Any, path: str = "schema", depth: int = 0) -> list[dict[str, str]]:
    """Problems with a SonicJS schema definition itself: unknown types, missing enum, bad regex."""
    if depth > MAX_SCHEMA_DEPTH:
        return [{"path": path, "message": f"nested deeper than {MAX_SCHEMA_DEPTH} levels"}]
    if not isinstance(schema, dict):
        return [{"path": path, "message": "must be an object"}]
    props = schema.get("properties", {})
    if not isinstance(props, dict):
        return [{"path": f"{path}.properties", "message": "must be an object"}]
    errors: list[dict[str, str]] = []
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(n, str) for n in required):
        errors.append({"path": f"{path}.required", "message": "must be a list of field names"})
    errors.extend(_name_clashes(props, f"{path}.properties"))
    for name, config in props.items():
        errors.extend(_field_errors(name, config, f"{path}.properties.{name}", depth))
    return errors


def _name_clashes(props: dict[str, Any], path: str) -> list[dict[str, str]]:
    """Two field names equal but for letter case (``Title`` beside ``title``) would be two
    fields to the API and one to every case-insensitive consumer (forms, SQL on some engines)."""
    first: dict[str, str] = {}
    errors = []
    for name in props:
        seen = first.setdefault(str(name).casefold(), name)
        if seen != name:
            message = f"differs from field {seen!r} only in letter case"
            errors.append({"path": f"{path}.{name}", "message": message})
    return errors


def _field_errors(name: str, config: Any, path: str, depth: int) -> list[dict[str, str]]:
    if not FIELD_NAME.match(name):
        return [{"path": path, "message": "field names are letters, digits and _ (max 64)"}]
    if name.casefold() in RESERVED_FIELD_NAMES:
        reserved = ", ".join(sorted(RESERVED_FIELD_NAMES))
        return [{"path": path, "message": f"is a reserved name ({reserved})"}]
    if not isinstance(config, dict):
        return [{"path": path, "message": "field config must be an object"}]
    kind = config.get("type")
    if kind not in FIELD_TYPES:
        allowed = ", ".join(sorted(FIELD_TYPES))
        return [
            {"path": f"{path}.type", "message": f"unknown field type {kind!r}; allowed: {allowed}"}
        ]
    errors: list[dict[str, str]] = []
    sanitize_problem = sanitize_key_problem(config)
    if sanitize_problem:
        errors.append({"path": f"{path}.sanitize", "message": sanitize_problem})
    if "translatable" in config and not isinstance(config["translatable"], bool):
        errors.append({"path": f"{path}.translatable", "message": "must be true or false"})
    if kind in ENUM_TYPES and not isinstance(config.get("enum"), list):
        errors.append({"path": f"{path}.enum", "message": f"a {kind} field needs an enum list"})
    if kind == "reference" and not isinstance(config.get("collection"), str | list):
        errors.append({"path": f"{path}.collection", "message": "a reference needs a collection"})
    pattern = config.get("pattern")
    if pattern is not None:
        try:
            re.compile(str(pattern))
        except re.error as exc:
            errors.append({"path": f"{path}.pattern", "message": f"invalid regex: {exc}"})
    if kind == "object":
        errors.extend(definition_errors(config, path, depth + 1))
    if kind == "array" and isinstance(config.get("items"), dict):
        errors.extend(_field_errors("items", config["items"], f"{path}.items", depth + 1))
    for block, spec in (config.get("blocks") or {}).items():
        errors.extend(definition_errors(spec, f"{path}.blocks.{block}", depth + 1))
    return errors


def _with_null(schema: dict[str, Any]) -> dict[str, Any]:
    """Optional fields accept null, as SonicJS forms send it for an empty input."""
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
    if "enum" in schema:
        schema["enum"] = [*schema["enum"], None]
    return schema


def _field_schema(config: dict[str, Any]) -> dict[str, Any]:
    kind = config["type"]
    out: dict[str, Any] = _base_schema(kind, config)
    for src, dst in (
        ("minLength", "minLength"),
        ("maxLength", "maxLength"),
        ("pattern", "pattern"),
    ):
        if src in config and out.get("type") == "string":
            out[dst] = config[src]
    if kind == "number":
        for src, dst in (("min", "minimum"), ("max", "maximum")):
            if isinstance(config.get(src), int | float):
                out[dst] = config[src]
    if "enum" in config and kind in {"select", "radio", "string"}:
        out["enum"] = list(config["enum"])
    if "title" in config:
        out["title"] = str(config["title"])
    return out


def _base_schema(kind: str, config: dict[str, Any]) -> dict[str, Any]:
    simple: dict[str, dict[str, Any]] = {
        "number": {"type": "number"},
        "boolean": {"type": "boolean"},
        "checkbox": {"type": "boolean"},
        "date": {"type": "string", "format": "date"},
        "datetime": {"type": "string", "format": "date-time"},
        "email": {"type": "string", "format": "email"},
        "url": {"type": "string", "format": "uri"},
        "slug": {"type": "string", "format": "slug"},
        "color": {"type": "string", "format": "color"},
        "media": {"type": "string", "minLength": 1},
        "file": {"type": "string", "minLength": 1},
        "reference": {"type": "string", "minLength": 1},
        "json": {},
    }
    if kind in simple:
        return dict(simple[kind])
    if kind in STRING_TYPES or kind in {"select", "radio"}:
        return {"type": "string"}
    if kind == "multiselect":
        return {
            "type": "array",
            "uniqueItems": True,
            "items": {"enum": list(config.get("enum", []))},
        }
    if kind == "object":
        return _object_schema(config)
    return _array_schema(config)


def _array_schema(config: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "array"}
    blocks = config.get("blocks")
    if isinstance(blocks, dict) and blocks:
        key = str(config.get("discriminator") or "blockType")
        variants = []
        for block, spec in blocks.items():
            variant = _object_schema(spec)
            variant["properties"][key] = {"const": block}
            variant["required"] = sorted({*variant.get("required", []), key})
            variants.append(variant)
        out["items"] = {"oneOf": variants}
    elif isinstance(config.get("items"), dict):
        out["items"] = _field_schema(config["items"])
    for src, dst in (("minItems", "minItems"), ("maxItems", "maxItems")):
        if isinstance(config.get(src), int):
            out[dst] = config[src]
    return out


def _object_schema(schema: dict[str, Any]) -> dict[str, Any]:
    required = _required_names(schema)
    props: dict[str, Any] = {}
    for name, config in (schema.get("properties") or {}).items():
        compiled = _field_schema(config)
        props[name] = compiled if name in required else _with_null(compiled)
    return {"type": "object", "properties": props, "required": sorted(required & set(props))}


_JSON_TYPES = {
    "number": "number",
    "boolean": "boolean",
    "checkbox": "boolean",
    "multiselect": "array",
    "array": "array",
    "object": "object",
    "json": "any",
}


def compile_schema(schema: dict[str, Any]) -> CompiledSchema:
    """Compile a SonicJS schema (already checked by :func:`definition_errors`)."""
    return _compile_cached(orjson.dumps(schema, option=orjson.OPT_SORT_KEYS))


@functools.lru_cache(maxsize=512)
def _compile_cached(canonical: bytes) -> CompiledSchema:
    """Compiled once per distinct schema text: a collection version, however many writes."""
    source: dict[str, Any] = orjson.loads(canonical)
    json_schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **_object_schema(source),
    }
    Draft202012Validator.check_schema(json_schema)
    props: dict[str, Any] = source.get("properties") or {}
    fields = {
        name: FieldInfo(name, str(c["type"]), _JSON_TYPES.get(str(c["type"]), "string"))
        for name, c in props.items()
    }
    references = {
        name: tuple([c["collection"]] if isinstance(c["collection"], str) else c["collection"])
        for name, c in props.items()
        if c["type"] == "reference"
    }
    return CompiledSchema(
        source=source,
        json_schema=json_schema,
        validator=Draft202012Validator(json_schema, format_checker=_FORMATS),
        fields=fields,
        references=references,
        media=tuple(n for n, c in props.items() if c["type"] in {"media", "file"}),
        defaults={n: c["default"] for n, c in props.items() if "default" in c},
        slug_fields=tuple(n for n, c in props.items() if c["type"] == "slug"),
        fast=_fast_validator(json_schema),
        html=plan_for_schema(source),
        extra_keys=source.get("additionalProperties") is True,
        shared_fields=tuple(n for n, c in props.items() if c.get("translatable") is False),
    )


def schema_problems(schema: Any) -> list[dict[str, str]]:
    """Everything wrong with a schema definition, the JSON Schema meta-check included."""
    errors = definition_errors(schema)
    if isinstance(schema, dict) and not isinstance(schema.get("additionalProperties", False), bool):
        message = "must be true (data may hold undeclared keys) or false (the default)"
        errors.append({"path": "schema.additionalProperties", "message": message})
    if isinstance(schema, dict) and not isinstance(schema.get("comments", True), bool):
        message = "must be false (the collection takes no comments) or true (the default)"
        errors.append({"path": "schema.comments", "message": message})
    if errors:
        return errors
    try:
        compile_schema(schema)
    except SchemaError as exc:
        return [{"path": "schema", "message": f"not a valid JSON Schema: {exc.message}"}]
    return []


def clean_data(compiled: CompiledSchema, data: Any, changed: list[str] | None = None) -> Any:
    """``data`` as it is stored: every HTML field (nested ones too) cleaned by the allow-list of
    sonic_cms.inputs.html. ``data`` itself when there was nothing to clean."""
    return sanitize(compiled.html, data, changed)


def undeclared_keys(
    compiled: CompiledSchema, data: Any, kept: Set[str] = frozenset()
) -> list[dict[str, str]]:
    """One entry per top-level key of ``data`` the schema does not declare, unless the schema
    allows them (``"additionalProperties": true``).

    A stored key must be one a filter can name (``filter[data.<field>]`` takes declared
    fields). ``kept``: keys the item already holds, which an update may keep (rows stored
    before the rule, or before a field left the schema, still save).
    """
    if compiled.extra_keys or not isinstance(data, dict):
        return []
    message = (
        "is not a field of the collection's schema (declare it, or let the collection accept "
        'undeclared keys with "additionalProperties": true)'
    )
    names = sorted(set(data) - set(compiled.fields) - set(kept))
    return [{"path": str(name), "message": message} for name in names]


def data_errors(compiled: CompiledSchema, data: Any) -> list[dict[str, str]]:
    """One entry per failing field path, in a stable order.

    Valid data (nearly every write) is accepted by the fast validator alone; only data it
    refuses goes through jsonschema, which names each failing path. A fast validator that
    refuses what jsonschema accepts costs time, never correctness; the converse is guarded by
    tests/content/test_fast_validator.py (both validators agree on generated data).
    """
    if compiled.fast is not None and compiled.fast.is_valid(data):
        return []
    details: list[dict[str, str]] = []
    for error in compiled.validator.iter_errors(data):
        details.extend(_describe(error))
    return sorted(details, key=lambda d: (d["path"], d["message"]))


def _describe(error: ValidationError) -> list[dict[str, str]]:
    base = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        required: Any = error.validator_value
        missing = [n for n in required if n not in error.instance]
        return [{"path": _join(base, n), "message": "is required"} for n in missing]
    return [{"path": base or "data", "message": _message(error)}]


def _join(base: str, name: str) -> str:
    return f"{base}.{name}" if base else name


def _message(error: ValidationError) -> str:
    value: Any = error.validator_value
    messages = {
        "maxLength": f"must be at most {value} characters",
        "minLength": f"must be at least {value} characters",
        "maximum": f"must be at most {value}",
        "minimum": f"must be at least {value}",
        "pattern": f"must match the pattern {value}",
        "format": f"must be a valid {value}",
        "type": f"must be of type {value}",
        "uniqueItems": "must not repeat items",
        "oneOf": "matches no allowed block",
        "const": f"must be {value!r}",
    }
    if error.validator == "enum":
        allowed = [v for v in value if v is not None]
        return f"must be one of {allowed}"
    return messages.get(str(error.validator), str(error.message)[:200])
