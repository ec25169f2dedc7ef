"""The query language over HTTP on both engines: where JSON, filter[], sort, paging, search."""

from __future__ import annotations

import orjson
import pytest

from tests.content.helpers import PRODUCT_SCHEMA, counts
from tests.utils.auth import bearer_headers

ITEMS = [
    ("Red hammer", 10, "tools", ["new"], "A sturdy steel hammer for nails"),
    ("Blue ball", 3.5, "toys", ["sale", "eco"], "Bouncy rubber ball"),
    ("Python book", 42, "books", ["new", "eco"], "Learn Python programming quickly"),
    ("Green saw", 25, "tools", [], "A saw for wood"),
]


@pytest.fixture
def seeded(client, db, settings, clock):
    admin = bearer_headers(db, settings, clock, "admin")
    client.post(
        "/admin/api/collections",
        headers=admin,
        json={"name": "products", "display_name": "Products", "schema": PRODUCT_SCHEMA},
    )
    for title, price, category, tags, body in ITEMS:
        clock.advance(1000)
        response = client.post(
            "/api/content",
            headers=admin,
            json={
                "collectionId": "products",
                "title": title,
                "status": "published",
                "data": {"price": price, "category": category, "tags": tags, "body": body},
            },
        )
        assert response.status_code == 201, response.text
    return admin


def _titles(client, query, path="/api/collections/products/content"):
    response = client.get(path, params=query)
    assert response.status_code == 200, response.text
    return [i["title"] for i in response.json()["data"]]


def test_where_json_with_and(client, seeded):
    where = {
        "and": [
            {"field": "data.price", "operator": "greater_than", "value": 10},
            {"field": "data.category", "operator": "equals", "value": "tools"},
        ]
    }
    assert _titles(client, {"where": orjson.dumps(where).decode()}) == ["Green saw"]


def test_where_or_and_in(client, seeded):
    where = {
        "or": [
            {"field": "data.category", "operator": "in", "value": ["toys", "books"]},
            {"field": "title", "operator": "like", "value": "hammer"},
        ]
    }
    titles = _titles(client, {"where": orjson.dumps(where).decode(), "sort": "title"})
    assert titles == ["Blue ball", "Python book", "Red hammer"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            {
                "filter[data.price][gte]": "10",
                "filter[data.price][lt]": "42",
                "sort": "-data.price",
            },
            ["Green saw", "Red hammer"],
        ),
        ({"filter[data.category]": "toys"}, ["Blue ball"]),
        ({"filter[data.tags][contains]": "eco", "sort": "title"}, ["Blue ball", "Python book"]),
        ({"filter[data.category][nin]": "tools,toys"}, ["Python book"]),
        ({"filter[title][contains]": "SAW"}, ["Green saw"]),
        (
            {"filter[data.category][ne]": "tools", "sort": '[{"field": "title", "order": "desc"}]'},
            ["Python book", "Blue ball"],
        ),
    ],
)
def test_bracket_filters(client, seeded, query, expected):
    assert _titles(client, query) == expected


def test_created_at_range_and_default_sort_newest_first(client, seeded):
    all_items = client.get("/api/collections/products/content").json()["data"]
    second = all_items[2]["created_at"]
    titles = _titles(client, {"filter[created_at][lte]": str(second)})
    assert titles == ["Blue ball", "Red hammer"]


def test_pagination_object(client, seeded):
    body = client.get("/api/content", params={"limit": 3, "page": 2}).json()
    assert body["meta"]["pagination"] == {
        "page": 2,
        "limit": 3,
        "offset": 3,
        "total": 4,
        "pages": 2,
        "hasNext": False,
        "hasPrev": True,
    }
    assert body["meta"]["count"] == 1


def test_cursor_walks_every_item_once(client, seeded):
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        meta_and_data = client.get("/api/content", params=params).json()
        seen += [i["title"] for i in meta_and_data["data"]]
        cursor = meta_and_data["meta"]["next_cursor"]
        if cursor is None:
            break
    assert seen == [t[0] for t in reversed(ITEMS)]


def test_fields_and_include(client, seeded):
    body = client.get(
        "/api/content", params={"fields": "id,title", "include": "author,collection", "limit": 1}
    ).json()
    item = body["data"][0]
    assert set(item) == {"id", "title", "author", "collection"}
    assert item["collection"]["name"] == "products"
    assert "email" not in item["author"]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("hammer", ["Red hammer"]),
        ("progr*", ["Python book"]),
        ('"rubber ball"', ["Blue ball"]),
        ('"ball rubber"', []),
        ("saw wood", ["Green saw"]),
    ],
)
def test_search(client, seeded, search, expected):
    assert _titles(client, {"search": search}) == expected


def test_search_sees_updates_and_deletes(client, seeded):
    item = client.get("/api/content", params={"search": "hammer"}).json()["data"][0]
    client.put(
        f"/api/content/{item['id']}",
        headers=seeded,
        json={"title": "Red mallet", "data": {"price": 10, "body": "wooden"}},
    )
    assert _titles(client, {"search": "hammer"}) == []
    assert _titles(client, {"search": "mallet"}) == ["Red mallet"]
    deleted = client.delete(f"/api/content/{item['id']}", headers=seeded)
    assert deleted.status_code == 200, deleted.text
    assert _titles(client, {"search": "mallet"}) == []


INJECTIONS = [
    "'; DROP TABLE content; --",
    "1 OR 1=1",
    '" OR ""="',
    "NEAR(a b)",
    "*",
    "title:x",
    "') UNION SELECT password_hash FROM users --",
    "\\x00",
    "%_%",
]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injection_strings_are_data_or_400_never_500(client, seeded, db, payload):
    before = counts(db)
    queries = [
        {"filter[title]": payload},
        {"filter[data.category][contains]": payload},
        {"search": payload},
        {"sort": payload},
        {"fields": payload},
        {"include": payload},
        {
            "where": orjson.dumps(
                {"and": [{"field": "title", "operator": "equals", "value": payload}]}
            ).decode()
        },
        {
            "where": orjson.dumps(
                {"and": [{"field": payload, "operator": "equals", "value": 1}]}
            ).decode()
        },
        {"where": payload},
        {"cursor": payload},
        {"limit": payload},
        {f"filter[{payload}]": "x"},
    ]
    for query in queries:
        response = client.get("/api/collections/products/content", params=query)
        assert response.status_code in (200, 400), (query, response.text)
        if response.status_code == 200:
            assert response.json()["data"] == [] or "search" in query
    assert counts(db) == before


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"limit": "-1"}, "invalid_parameter"),
        ({"limit": "abc"}, "invalid_parameter"),
        ({"limit": "1001"}, "invalid_parameter"),
        ({"page": "0"}, "invalid_parameter"),
        ({"page": "1", "offset": "3"}, "invalid_parameter"),
        ({"bogus": "1"}, "unknown_parameter"),
        ({"where": "{not json"}, "invalid_filter"),
        (
            {"where": '{"and": [{"field": "title", "operator": "regex", "value": "x"}]}'},
            "invalid_filter",
        ),
        (
            {"where": '{"and": [{"field": "data.nope", "operator": "equals", "value": 1}]}'},
            "unknown_field",
        ),
        ({"filter[data.price][gt]": "ten"}, "invalid_filter"),
        ({"filter[data.price][zz]": "1"}, "invalid_filter"),
        ({"sort": '[{"field": "title", "order": "sideways"}]'}, "invalid_filter"),
        ({"sort": "password_hash"}, "unknown_field"),
        ({"search": "!!!"}, "invalid_search"),
        ({"search": "x" * 500}, "invalid_search"),
        ({"cursor": "abc", "sort": "data.price"}, "invalid_parameter"),
    ],
)
def test_bad_queries_are_400_with_the_reason(client, seeded, query, code):
    response = client.get("/api/collections/products/content", params=query)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == code and body["details"]
    assert isinstance(body["error"], str)


def test_deeply_nested_where_is_400(client, seeded):
    node: dict = {"field": "title", "operator": "equals", "value": "x"}
    for _ in range(30):
        node = {"and": [node]}
    response = client.get("/api/content", params={"where": orjson.dumps(node).decode()})
    assert (
        response.status_code == 400 and "nested deeper" in response.json()["details"][0]["message"]
    )
