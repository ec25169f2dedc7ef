"""Rich text is HTML a browser will run: it is cleaned with an allow-list before it is stored.

SonicJS stores ``richtext`` (and its editors' aliases ``quill`` and ``tinymce``) as the HTML the
client sent, so anyone who may write content could store a ``<script>`` that runs in every
reader's browser. sonic-cms cleans every HTML field on every write with nh3 (the Python binding of
ammonia, a maintained Rust allow-list sanitizer built on a real HTML5 parser): what is not on the
list below is dropped, and the stored value is what the list lets through.

The policy (see docs/content.md):

- elements: headings, paragraphs, lists, links, images, tables, blockquote, pre/code, inline
  formatting (strong/b, em/i, u, s/strike/del, ins, mark, small, sub, sup, code, kbd, abbr, cite,
  q), br, hr, span and div (editors' formatting wrappers), figure/figcaption;
- ``script``, ``style``, ``iframe``, ``object``, ``embed``, ``noscript``, ``template`` are removed
  with their content; any other element not listed (form, input, svg, math...) is unwrapped:
  its text stays, the element goes;
- attributes: ``class``, ``title``, ``dir`` and ``lang`` anywhere; ``style`` anywhere but only the
  properties in :data:`STYLE_PROPERTIES` (TinyMCE aligns and colours with inline styles);
  links' ``href`` and ``target`` (``_blank`` / ``_self``), images' ``src``, ``alt``, ``width`` and
  ``height``, table cells' spans, list numbering, Quill's ``data-list``/``data-language``;
  every ``on*`` handler and every other attribute is dropped;
- URLs (``href``, ``src``): http, https, mailto and tel, or relative; ``javascript:``,
  ``data:``, ``vbscript:`` and every other scheme are dropped;
- every link gets ``rel="noopener noreferrer"``; comments are removed.

``mdxeditor`` fields hold markdown in SonicJS (its EasyMDE editor) and are not cleaned unless the
field says ``"sanitize": true``; ``markdown`` fields always stay exactly as written. A field of an
HTML type may opt out with ``"sanitize": false`` (the risk is documented in docs/content.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import nh3

#: Field types whose value is HTML and cleaned unless the field opts out.
HTML_TYPES = frozenset({"richtext", "quill", "tinymce"})
#: Field types that may hold HTML and are cleaned only when the field opts in.
OPT_IN_TYPES = frozenset({"mdxeditor"})
#: The field config key that turns cleaning off (HTML types) or on (opt-in types).
SANITIZE_KEY = "sanitize"

TAGS = frozenset(
    {
        *(f"h{n}" for n in range(1, 7)),
        "p",
        "br",
        "hr",
        "div",
        "span",
        "blockquote",
        "pre",
        "code",
        "kbd",
        "ul",
        "ol",
        "li",
        "a",
        "img",
        "figure",
        "figcaption",
        "strong",
        "b",
        "em",
        "i",
        "u",
        "s",
        "strike",
        "del",
        "ins",
        "mark",
        "small",
        "sub",
        "sup",
        "abbr",
        "cite",
        "q",
        "table",
        "caption",
        "colgroup",
        "col",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "th",
        "td",
    }
)
#: Removed together with everything inside them.
REMOVED_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "object", "embed", "noscript", "template"}
)
ATTRIBUTES: dict[str, set[str]] = {
    "*": {"class", "title", "dir", "lang", "style"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "reversed", "type"},
    "li": {"value", "data-list"},
    "pre": {"data-language"},
    "div": {"data-language"},
}
ATTRIBUTE_VALUES: dict[str, dict[str, set[str]]] = {
    "a": {"target": {"_blank", "_self"}},
    "pre": {"spellcheck": {"true", "false"}},
}
#: The only CSS properties kept in a ``style`` attribute: text formatting, nothing that can
#: position, overlay or load anything (no position, background-image, url(), content).
STYLE_PROPERTIES = frozenset(
    {
        "color",
        "background-color",
        "text-align",
        "text-decoration",
        "font-weight",
        "font-style",
        "padding-left",
        "margin-left",
        "vertical-align",
        "width",
        "height",
    }
)
#: Schemes kept in ``href`` and ``src`` (relative URLs are kept too). One list for both: a
#: per-attribute Python callback to refuse mailto:/tel: in an image's src would double the cost
#: of every clean, and such an image loads nothing and runs nothing.
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})


_CLEANER = nh3.Cleaner(
    tags=set(TAGS),
    clean_content_tags=set(REMOVED_WITH_CONTENT),
    attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
    tag_attribute_values={
        tag: {name: set(values) for name, values in attrs.items()}
        for tag, attrs in ATTRIBUTE_VALUES.items()
    },
    filter_style_properties=set(STYLE_PROPERTIES),
    url_schemes=set(URL_SCHEMES),
    link_rel="noopener noreferrer",
    strip_comments=True,
)


def clean_html(value: str) -> str:
    """``value`` with everything off the allow-list removed.

    Text with no ``<`` cannot hold an element, so it is returned as written (``a > b & c``
    stays so) without parsing: most short rich text values and every plain one cost nothing.
    """
    if "<" not in value:
        return value
    return _CLEANER.clean(value)


@dataclass(frozen=True)
class HtmlPlan:
    """Where HTML lives inside a value of one schema node; only nodes that lead to HTML exist.

    ``html``: the value itself is an HTML string. ``fields``: an object's properties.
    ``items``: every element of an array. ``blocks``: an array of blocks, by the value of
    ``discriminator`` in each block.
    """

    html: bool = False
    fields: Mapping[str, HtmlPlan] = field(default_factory=dict)
    items: HtmlPlan | None = None
    blocks: Mapping[str, HtmlPlan] = field(default_factory=dict)
    discriminator: str = "blockType"


def cleans(config: Mapping[str, Any]) -> bool:
    """Whether a field config's value is cleaned: HTML types unless they opt out, opt-in types
    (mdxeditor) only when they ask."""
    kind = config.get("type")
    if kind in HTML_TYPES:
        return config.get(SANITIZE_KEY) is not False
    return kind in OPT_IN_TYPES and config.get(SANITIZE_KEY) is True


def sanitize_key_problem(config: Mapping[str, Any]) -> str | None:
    """What is wrong with a field config's ``sanitize`` key, if anything."""
    if SANITIZE_KEY not in config:
        return None
    if config.get("type") not in HTML_TYPES | OPT_IN_TYPES:
        allowed = ", ".join(sorted(HTML_TYPES | OPT_IN_TYPES))
        return f"only HTML fields ({allowed}) take {SANITIZE_KEY}"
    if not isinstance(config[SANITIZE_KEY], bool):
        return "must be true or false"
    return None


def plan_for_schema(schema: Any, depth: int = 0) -> HtmlPlan | None:
    """The HTML plan of a collection schema (``{"properties": {...}}``); None: no HTML field.

    Tolerant of malformed configs (they are skipped), so it also serves schemas imported from
    SonicJS that were never checked.
    """
    if depth > 16 or not isinstance(schema, Mapping):
        return None
    props = schema.get("properties")
    if not isinstance(props, Mapping):
        return None
    fields = {}
    for name, config in props.items():
        plan = _field_plan(config, depth + 1)
        if plan is not None:
            fields[str(name)] = plan
    return HtmlPlan(fields=fields) if fields else None


def _field_plan(config: Any, depth: int) -> HtmlPlan | None:
    if not isinstance(config, Mapping):
        return None
    if cleans(config):
        return HtmlPlan(html=True)
    kind = config.get("type")
    if kind == "object":
        return plan_for_schema(config, depth)
    if kind != "array":
        return None
    blocks = config.get("blocks")
    if isinstance(blocks, Mapping) and blocks:
        plans = {str(name): plan_for_schema(spec, depth) for name, spec in blocks.items()}
        found = {name: plan for name, plan in plans.items() if plan is not None}
        key = str(config.get("discriminator") or "blockType")
        return HtmlPlan(blocks=found, discriminator=key) if found else None
    items = _field_plan(config.get("items"), depth + 1)
    return HtmlPlan(items=items) if items is not None else None


def sanitize(plan: HtmlPlan | None, value: Any, changed: list[str] | None = None) -> Any:
    """``value`` with every HTML string ``plan`` points at cleaned.

    Returns ``value`` itself when nothing changed (no copy); otherwise new containers along the
    changed paths only. Values of the wrong shape are left alone for validation to refuse.
    ``changed`` collects the dotted paths of the strings that changed.
    """
    if plan is None:
        return value
    return _walk(plan, value, "", changed)


def _walk(plan: HtmlPlan, value: Any, path: str, changed: list[str] | None) -> Any:
    if plan.html:
        if not isinstance(value, str):
            return value
        cleaned = clean_html(value)
        if cleaned == value:
            return value
        if changed is not None:
            changed.append(path)
        return cleaned
    if isinstance(value, dict) and plan.fields:
        return _walk_fields(plan.fields, value, path, changed)
    if isinstance(value, list) and (plan.items is not None or plan.blocks):
        return _walk_items(plan, value, path, changed)
    return value


def _walk_fields(
    fields: Mapping[str, HtmlPlan], value: dict[str, Any], path: str, changed: list[str] | None
) -> dict[str, Any]:
    out = value
    for name, plan in fields.items():
        if name in value:
            new = _walk(plan, value[name], f"{path}.{name}" if path else name, changed)
            if new is not value[name]:
                if out is value:
                    out = dict(value)
                out[name] = new
    return out


def _walk_items(
    plan: HtmlPlan, value: list[Any], path: str, changed: list[str] | None
) -> list[Any]:
    out = value
    for index, item in enumerate(value):
        item_plan = plan.items
        if plan.blocks and isinstance(item, dict):
            item_plan = plan.blocks.get(str(item.get(plan.discriminator)))
        if item_plan is None:
            continue
        new = _walk(item_plan, item, f"{path}.{index}" if path else str(index), changed)
        if new is not item:
            if out is value:
                out = list(value)
            out[index] = new
    return out
