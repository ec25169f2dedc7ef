"""Property tests: slug generation and the filter parser never misbehave on any input."""

from __future__ import annotations

import orjson
from hypothesis import given
from hypothesis import strategies as st

from sonic_cms.content.query import FieldSet, Group, Limits, parse_brackets, parse_where
from sonic_cms.content.schema import FieldInfo
from sonic_cms.content.slugs import MAX_SLUG_LENGTH, is_valid_slug, numbered, slugify
from sonic_cms.errors import BadRequest

FIELDS = FieldSet(
    {
        "price": FieldInfo("price", "number", "number"),
        "category": FieldInfo("category", "select", "string"),
    }
)


@given(st.text())
def test_slugify_output_is_empty_or_a_valid_slug(text):
    slug = slugify(text)
    assert slug == "" or is_valid_slug(slug)
    assert slug == slug.casefold() or slug == slugify(slug)
    assert len(slug) <= MAX_SLUG_LENGTH


@given(st.text())
def test_slugify_is_idempotent(text):
    assert slugify(slugify(text)) == slugify(text)


@given(st.text(min_size=1), st.integers(min_value=2, max_value=10**6))
def test_numbered_slugs_stay_valid(text, number):
    base = slugify(text) or "item"
    assert is_valid_slug(numbered(base, number))


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_where_parser_returns_a_tree_or_a_400(document):
    try:
        tree = parse_where(orjson.dumps(document).decode(), FIELDS, Limits())
    except BadRequest as exc:
        assert exc.status == 400 and exc.details
    else:
        assert isinstance(tree, Group)


@given(st.lists(st.tuples(st.text(max_size=30), st.text(max_size=30)), max_size=5))
def test_bracket_parser_returns_conditions_or_a_400(pairs):
    keys = [(f"filter[{k}]", v) for k, v in pairs]
    try:
        conds = parse_brackets(keys, FIELDS, Limits())
    except BadRequest as exc:
        assert exc.status == 400
    else:
        assert all(c.field in FIELDS.allowed() for c in conds)


@given(st.sampled_from(["eq", "gt", "lte", "in"]), st.text(max_size=10))
def test_price_values_are_numbers_or_rejected(op, value):
    try:
        (cond,) = parse_brackets([(f"filter[data.price][{op}]", value)], FIELDS, Limits())
    except BadRequest:
        return
    values = cond.value if isinstance(cond.value, tuple) else (cond.value,)
    assert all(isinstance(v, int | float) for v in values)
