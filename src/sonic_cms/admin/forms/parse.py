"""The submitted editor form -> the item's body (``title``, ``slug``, typed ``data``).

The walk follows the schema, not the form, so every value gets its field's type: numbers,
booleans (an unchecked box submits nothing: false), multiselect lists, parsed JSON, datetimes
in UTC. An empty optional input is left out of ``data``, as the API's clients leave it out;
the content service judges the rest (required fields, formats, ranges). A repeater submits
``<array>[]`` once per entry, in the page's order, naming each entry's key: moving an entry on
the page is moving its key in that list, so reordering needs no renumbering. Problems are
reported at positional paths (``data.links.1.url``), the paths the service's 422 uses for the
same data.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.datastructures import FormData

from sonic_cms.admin.forms.build import DATA, discriminator_of, is_item_field, widget_of

_INTEGER = re.compile(r"[+-]?\d+")
_TRUE = frozenset({"on", "true", "1"})


class _Missing:
    """An input left empty: the field is left out of ``data``."""


MISSING = _Missing()


@dataclass
class Parsed:
    """The body to send to the content service, and what could not be read."""

    body: dict[str, Any] = field(default_factory=dict)
    #: ``{"path", "message"}`` per input that did not parse (the service's 422 shape)
    problems: list[dict[str, str]] = field(default_factory=list)
    #: what the user typed into the inputs that did not parse, by path, to show it back
    raw: dict[str, str] = field(default_factory=dict)

    def fail(self, path: str, text: str, message: str) -> _Missing:
        """Record an input that did not parse."""
        self.problems.append({"path": path, "message": message})
        self.raw[path] = text
        return MISSING


def parse_item(schema: dict[str, Any], form: FormData) -> Parsed:
    """The item body the form describes: ``title``, ``slug`` (when given) and ``data``."""
    out = Parsed()
    slug = _text(form, "slug").strip()
    out.body = {"title": _text(form, "title"), "data": _object(schema, DATA, DATA, form, out)}
    if slug:
        out.body["slug"] = slug
    return out


def _text(form: FormData, name: str) -> str:
    """The input's text; line breaks as ``\n`` (browsers submit a textarea's as CRLF, which
    an API client would not send)."""
    value = form.get(name)
    return value.replace("\r\n", "\n") if isinstance(value, str) else ""


def _object(
    schema: dict[str, Any], name: str, path: str, form: FormData, out: Parsed
) -> dict[str, Any]:
    """An object's fields (``name``: in the form; ``path``: positional, for problems)."""
    values: dict[str, Any] = {}
    for key, config in (schema.get("properties") or {}).items():
        if not isinstance(config, dict) or (path == DATA and is_item_field(key, config)):
            continue
        value = _value(config, f"{name}.{key}", f"{path}.{key}", form, out)
        if value is not MISSING:
            values[key] = value
    return values


def _value(config: dict[str, Any], name: str, path: str, form: FormData, out: Parsed) -> Any:
    widget = widget_of(config)
    if widget == "boolean":
        return _text(form, name).lower() in _TRUE
    if widget == "multiselect":
        chosen = [v for v in form.getlist(name) if isinstance(v, str) and v]
        return chosen or MISSING
    if widget == "object":
        return _object(config, name, path, form, out) or MISSING
    if widget in {"array", "blocks"}:
        return _array(config, name, path, form, out) or MISSING
    text = _text(form, name)
    if not text.strip():
        return MISSING
    if widget == "number":
        return _number(text, path, out)
    if widget == "json":
        return _json(text, path, out)
    if widget == "datetime":
        return utc_moment(text)
    return text


def _array(config: dict[str, Any], name: str, path: str, form: FormData, out: Parsed) -> list[Any]:
    """The entries in the order the page submitted their keys; empty entries dropped."""
    entries: list[Any] = []
    items = config.get("items") if isinstance(config.get("items"), dict) else None
    item_config: dict[str, Any] = items or {"type": "string"}
    for key in form.getlist(f"{name}[]"):
        entry_name, entry_path = f"{name}.{key}", f"{path}.{len(entries)}"
        if widget_of(config) == "blocks":
            value = _block(config, entry_name, entry_path, form, out)
        else:
            value = _value(item_config, entry_name, entry_path, form, out)
        if value is not MISSING:
            entries.append(value)
    return entries


def _block(config: dict[str, Any], name: str, path: str, form: FormData, out: Parsed) -> Any:
    """One block: its type from ``<entry>.<discriminator>``, its fields from that block."""
    key = discriminator_of(config)
    block = _text(form, f"{name}.{key}")
    spec = config["blocks"].get(block)
    if not isinstance(spec, dict):
        return MISSING
    return {key: block, **_object(spec, name, path, form, out)}


def _number(text: str, path: str, out: Parsed) -> Any:
    cleaned = text.strip()
    try:
        number = int(cleaned) if _INTEGER.fullmatch(cleaned) else float(cleaned)
    except ValueError:
        return out.fail(path, text, "must be a number")
    if isinstance(number, float) and not math.isfinite(number):
        return out.fail(path, text, "must be a finite number")
    return number


def _json(text: str, path: str, out: Parsed) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        return out.fail(path, text, f"is not valid JSON ({exc.msg} at line {exc.lineno})")


def utc_moment(text: str) -> str:
    """A ``datetime-local`` value (UTC, as the label says) as ISO 8601 with its zone; text
    that is no moment is kept as typed for the service to refuse (``must be a valid
    date-time``)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
