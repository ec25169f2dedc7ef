"""The same search cases on SQLite and PostgreSQL: case, accents, prefixes, phrases, hostile text.

SQLite's FTS5 folds case and accents; before revision 0008 PostgreSQL folded case only, so
``creme`` found "Crème Brûlée" on SQLite and nothing on PostgreSQL.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from sonic_cms.content.search import plan_each_search
from tests.conftest import POSTGRES_ONLY
from tests.content.helpers import counts
from tests.content.test_query_api import INJECTIONS
from tests.utils.auth import bearer_headers

SCHEMA = {"type": "object", "properties": {"body": {"type": "string"}}}
ITEMS = [
    ("Crème Brûlée", "A custard with caramel"),
    ("ÉCOLE NORMALE", "Où les élèves étudient"),
    ("Ångström units", "Tiny lengths"),
    ("Plain toast", "Naïve café food"),
    ("Ñandú facts", "A bird of Patagonia"),
]


@pytest.fixture
def recipes(client, db, settings, clock):
    admin = bearer_headers(db, settings, clock, "admin")
    made = client.post(
        "/admin/api/collections",
        headers=admin,
        json={"name": "recipes", "display_name": "Recipes", "schema": SCHEMA},
    )
    assert made.status_code == 201, made.text
    for title, body in ITEMS:
        clock.advance(1000)
        response = client.post(
            "/api/content",
            headers=admin,
            json={
                "collectionId": "recipes",
                "title": title,
                "status": "published",
                "data": {"body": body},
            },
        )
        assert response.status_code == 201, response.text
    return admin


def _found(client, search):
    response = client.get("/api/collections/recipes/content", params={"search": search})
    assert response.status_code == 200, response.text
    return sorted(item["title"] for item in response.json()["data"])


CASES = [
    ("creme", ["Crème Brûlée"]),
    ("Crème", ["Crème Brûlée"]),
    ("CRÈME BRÛLÉE", ["Crème Brûlée"]),
    ("brulee", ["Crème Brûlée"]),
    ("cre*", ["Crème Brûlée"]),
    ("crè*", ["Crème Brûlée"]),
    ('"creme brulee"', ["Crème Brûlée"]),
    ('"brulee creme"', []),
    ("ecole", ["ÉCOLE NORMALE"]),
    ("École", ["ÉCOLE NORMALE"]),
    ("eleves", ["ÉCOLE NORMALE"]),  # in data, not the title
    ("ou", ["ÉCOLE NORMALE"]),
    ("angstrom", ["Ångström units"]),
    ("naive cafe", ["Plain toast"]),
    ("NAÏVE", ["Plain toast"]),
    ("nandu", ["Ñandú facts"]),
    ("ñandú", ["Ñandú facts"]),
    ("caramel", ["Crème Brûlée"]),
    ("CARAMEL", ["Crème Brûlée"]),
    ("carame*", ["Crème Brûlée"]),
    ("creme toast", []),  # every word must match
    ("cremes", []),  # no stemming on either engine
]


@pytest.mark.parametrize(("search", "expected"), CASES)
def test_search_folds_case_and_accents_on_both_engines(client, recipes, search, expected):
    assert _found(client, search) == expected


def test_an_edit_is_found_without_its_accents(client, recipes):
    item = client.get("/api/collections/recipes/content", params={"search": "toast"}).json()
    item_id = item["data"][0]["id"]
    response = client.put(
        f"/api/content/{item_id}",
        headers=recipes,
        json={"title": "Pâté en croûte", "data": {"body": "Déjà vu"}},
    )
    assert response.status_code == 200, response.text
    assert _found(client, "pate croute") == ["Pâté en croûte"]
    assert _found(client, "deja") == ["Pâté en croûte"]
    assert _found(client, "toast") == []


#: the query API's injection strings, and tsquery / FTS5 operators around accented words
HOSTILE = [
    *INJECTIONS,
    "creme:* | toast",
    "creme & !toast",
    "creme <-> brulee",
    "crème' OR '1'='1",
    '"unclosed crème',
    "\\crème",
    "NEAR(creme brulee)",
    "creme)",
    "((((",
    "ü",
]


@pytest.mark.parametrize("search", HOSTILE)
def test_hostile_search_text_is_words_or_400_never_500(client, recipes, db, search):
    before = counts(db)
    response = client.get("/api/collections/recipes/content", params={"search": search})
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert response.json()["code"] == "invalid_search"
    assert counts(db) == before


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("'; DROP TABLE content; --", []),
        ("creme:* | toast", []),  # words creme, toast: both must match
        ("creme & !toast", []),
        ("creme <-> brulee", ["Crème Brûlée"]),
        ("crème' OR '1'='1", []),
        ('"unclosed crème', []),  # an unpaired quote is dropped: words unclosed, crème
        ("NEAR(creme brulee)", []),
        ("creme)", ["Crème Brûlée"]),
    ],
)
def test_hostile_text_means_the_same_words_on_both_engines(client, recipes, search, expected):
    assert _found(client, search) == expected


def _planner_settings(conn) -> tuple[str, str]:
    row = conn.execute(
        text(
            "SELECT current_setting('plan_cache_mode'), "
            "current_setting('max_parallel_workers_per_gather')"
        )
    ).one()
    return (row[0], row[1])


@POSTGRES_ONLY
def test_a_search_transaction_plans_for_its_words_without_parallel_workers(db):
    """A search is planned per call (a generic plan cannot see how many items the words match)
    and without parallel workers (their start-up costs more than a thousand-match window);
    both only for the search's own transaction."""
    with db.read() as conn:
        before = _planner_settings(conn)
        plan_each_search(conn, "postgresql")
        assert _planner_settings(conn) == ("force_custom_plan", "0")
    assert before != ("force_custom_plan", "0")
    with db.read() as conn:
        assert _planner_settings(conn) == before
