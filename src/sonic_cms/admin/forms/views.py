"""One schema field as the editor's templates see it.

:class:`FieldView` is the contract between the form generator (which walks the schema and the
item's data) and the field templates under ``templates/fields/<widget>.html``: each template
renders ``f`` (a FieldView) and submits its value under ``f.name``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class FieldView:
    """A field of the form: what to render, where its value goes, what went wrong."""

    #: the schema's field type ("text", "quill", "reference", "array", ...)
    kind: str
    #: the template under ``templates/fields/`` that renders it
    widget: str
    #: the form input name the value is submitted under (``data.body``, ``data.links.0.url``)
    name: str
    #: the HTML id of the input (label ``for=`` points here)
    id: str
    label: str
    #: the current value, as stored in the item's data (None: unset)
    value: Any
    #: the field's schema config (enum, min/max, collection of a reference, blocks ...)
    config: dict[str, Any]
    required: bool = False
    help: str | None = None
    #: the server's message for this field (a 422 path mapped to this input)
    error: str | None = None
    #: the fields inside an object, an array's items, a block's fields
    children: list[FieldView] = field(default_factory=list)
    #: the value as the input's text: "" when unset, JSON pretty-printed, a datetime as the
    #: ``datetime-local`` input reads it (UTC), or what the user typed when it did not parse
    text: str = ""
    #: an array entry's key among its siblings (the position, or the placeholder in a template)
    key: str = ""
    #: a repeater's prototypes for a new entry: "" for a plain array, one per block type
    templates: dict[str, FieldView] = field(default_factory=dict)
    #: the token standing for a new entry's key in :attr:`templates` (one per nesting depth,
    #: so cloning an outer entry leaves the inner repeaters' placeholders alone)
    placeholder: str = ""
