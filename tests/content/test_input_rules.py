"""Inputs refused by one rule each: control characters, reserved collection and field names,
unknown keys in a ``where`` condition. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert
from typer.testing import CliRunner

from sonic_cms.actors import SYSTEM
from sonic_cms.cli.collections import app as collections_cli
from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.content.collection_sync import sync_collections
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.db.schema.tables import COLLECTIONS
from tests.content.helpers import sync_examples
from tests.utils.auth import bearer_headers

SCHEMA: dict[str, Any] = {"type": "object", "properties": {"body": {"type": "string"}}}


@pytest.fixture
def admin(db: Database, settings: Settings, clock: FrozenClock) -> dict[str, str]:
    sync_examples(db, clock)
    return bearer_headers(db, settings, clock, "admin")


def _paths(response: Any) -> list[str]:
    return [d["path"] for d in response.json()["details"]]


@pytest.mark.parametrize("bad", ["\x00", "\x01", "\x1b[31m", "\x7f", "\x0b"])
def test_control_characters_in_titles_are_a_422_naming_the_field(
    client: TestClient, admin: dict[str, str], bad: str
):
    response = client.post(
        "/api/content",
        headers=admin,
        json={"collectionId": "blog-posts", "title": f"A{bad}B", "data": {"content": "x"}},
    )
    assert response.status_code == 422, response.text
    assert "title" in _paths(response)


def test_tab_and_newlines_in_titles_stay_allowed(client: TestClient, admin: dict[str, str]):
    response = client.post(
        "/api/content",
        headers=admin,
        json={"collectionId": "blog-posts", "title": "A\tB\r\nC", "data": {"content": "x"}},
    )
    assert response.status_code == 201, response.text


def test_nul_in_content_data_is_a_422_other_controls_are_data(
    client: TestClient, admin: dict[str, str]
):
    refused = client.post(
        "/api/content",
        headers=admin,
        json={"collectionId": "blog-posts", "title": "T", "data": {"content": "a\x00b"}},
    )
    assert refused.status_code == 422, refused.text
    assert _paths(refused) == ["data.content"]
    kept = client.post(
        "/api/content",
        headers=admin,
        json={"collectionId": "blog-posts", "title": "T2", "data": {"content": "bell \x07"}},
    )
    assert kept.status_code == 201, kept.text
    assert kept.json()["data"]["data"]["content"] == "bell \x07"


@pytest.mark.parametrize(
    ("field", "value"),
    [("display_name", "Bad\x00name"), ("description", "a\x08b"), ("display_name", "x\x1fy")],
)
def test_control_characters_in_collection_texts_are_a_422(
    client: TestClient, admin: dict[str, str], field: str, value: str
):
    body = {"name": "notes", "display_name": "Notes", "schema": SCHEMA, field: value}
    response = client.post("/admin/api/collections", headers=admin, json=body)
    assert response.status_code == 422, response.text
    assert field in _paths(response)


@pytest.mark.parametrize(
    "name",
    [
        "sqlite_master",
        "sqlite_sequence",
        "pg_class",
        "information_schema",
        "content",
        "users",
        "collections",
        "content_versions",
        "faqs",
        "alembic_version",
    ],
)
def test_table_and_engine_names_are_refused_as_collection_names(
    client: TestClient, admin: dict[str, str], name: str
):
    body = {"name": name, "display_name": "X", "schema": SCHEMA}
    response = client.post("/admin/api/collections", headers=admin, json=body)
    assert response.status_code == 422, response.text
    assert _paths(response) == ["name"]


@pytest.mark.parametrize(
    ("properties", "path"),
    [
        ({"__proto__": {"type": "string"}}, "schema.properties.__proto__"),
        ({"constructor": {"type": "string"}}, "schema.properties.constructor"),
        ({"prototype": {"type": "string"}}, "schema.properties.prototype"),
        ({"Constructor": {"type": "string"}}, "schema.properties.Constructor"),
        ({"title": {"type": "string"}, "Title": {"type": "string"}}, "schema.properties.Title"),
        (
            {
                "box": {
                    "type": "object",
                    "properties": {"a": {"type": "string"}, "A": {"type": "string"}},
                }
            },
            "schema.properties.box.properties.A",
        ),
    ],
)
def test_reserved_and_case_clashing_field_names_are_a_422(
    client: TestClient, admin: dict[str, str], properties: dict[str, Any], path: str
):
    schema = {"type": "object", "properties": properties}
    body = {"name": "notes", "display_name": "Notes", "schema": schema}
    response = client.post("/admin/api/collections", headers=admin, json=body)
    assert response.status_code == 422, response.text
    assert path in _paths(response)


def test_config_files_obey_the_same_name_rules(ctx: Context, tmp_path: Path):
    folder = tmp_path / "cols"
    folder.mkdir()
    (folder / "a.yaml").write_text(
        "name: clash\ndisplayName: C\nschema:\n  properties:\n"
        "    title: {type: string}\n    Title: {type: string}\n"
    )
    (folder / "b.yaml").write_text(
        "name: proto\ndisplayName: P\nschema:\n  properties:\n    __proto__: {type: string}\n"
    )
    (folder / "c.yaml").write_text("name: users\ndisplayName: U\nschema:\n  properties: {}\n")
    (folder / "d.yaml").write_text('name: nul\ndisplayName: "N\\0"\nschema: {properties: {}}\n')
    results = {r.name: r for r in sync_collections(ctx.acting_as(SYSTEM), folder)}
    assert {name: r.status for name, r in results.items()} == {
        "clash": "error",
        "proto": "error",
        "users": "error",
        "nul": "error",
    }
    assert "schema.properties.Title" in results["clash"].message
    assert "schema.properties.__proto__" in results["proto"].message
    assert "reserved" in results["users"].message
    assert "display_name" in results["nul"].message


def test_an_existing_collection_with_a_reserved_name_keeps_working_and_sync_warns(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock, tmp_path: Path
):
    admin = bearer_headers(db, settings, clock, "admin")
    with db.write() as conn:  # as an import from before the rule would have left it
        conn.execute(
            insert(COLLECTIONS).values(
                id="col-users-legacy",
                name="users",
                display_name="Users (legacy)",
                schema=SCHEMA,
                is_active=True,
                managed=False,
                created_at=clock.now_ms(),
                updated_at=clock.now_ms(),
            )
        )
    created = client.post(
        "/api/content",
        headers=admin,
        json={"collectionId": "users", "title": "Still works", "data": {"body": "x"}},
    )
    assert created.status_code == 201, created.text
    listed = client.get("/api/collections/users/content", headers=admin)
    assert listed.status_code == 200 and listed.json()["data"][0]["title"] == "Still works"
    empty = tmp_path / "empty"
    empty.mkdir()
    runner = CliRunner()
    args = ["--dir", str(empty), "--database-url", settings.database_url, "--env", "test"]
    result = runner.invoke(collections_cli, args, env={"SONIC_SECRET_KEY": settings.secret_key})
    assert result.exit_code == 0, result.output
    assert "? users: warning - Collection name 'users' is reserved" in result.output
    assert result.output.rstrip().endswith("1 warnings")


def test_unknown_key_in_a_where_condition_is_a_400_naming_it(
    client: TestClient, admin: dict[str, str]
):
    where = {"and": [{"field": "title", "operator": "equals", "value": "x", "sql": "1=1"}]}
    response = client.get(
        "/api/collections/blog-posts/content",
        params={"where": orjson.dumps(where).decode()},
        headers=admin,
    )
    assert response.status_code == 400, response.text
    assert _paths(response) == ["where.and[0].sql"]


@pytest.mark.parametrize("name", ["a\x00b", "a\x01b"])
def test_control_characters_in_user_names_are_refused_naming_the_field(
    client: TestClient, admin: dict[str, str], name: str
):
    body = {"email": "ctl@example.com", "username": f"user{name}", "role": "viewer"}
    created = client.post("/admin/api/users", headers=admin, json=body)
    assert created.status_code in (400, 422), created.text
    assert any(p.endswith("username") or p == "body" for p in _paths(created))
    token = client.post(
        "/api/tokens", headers=admin, json={"name": f"t{name}", "permissions": ["content.read"]}
    )
    assert token.status_code in (400, 422), token.text
    assert any(p.endswith("name") or p == "body" for p in _paths(token))


def test_a_trailing_newline_does_not_slip_past_a_name_pattern(
    client: TestClient, admin: dict[str, str]
):
    """``re.match(r"^...$")`` accepts "users\\n": patterns end with ``\\Z``."""
    bad_name = {"name": "users\n", "display_name": "X", "schema": SCHEMA}
    response = client.post("/admin/api/collections", headers=admin, json=bad_name)
    assert response.status_code == 422 and _paths(response) == ["name"], response.text
    field = {"type": "object", "properties": {"title\n": {"type": "string"}}}
    bad_field = {"name": "notes", "display_name": "X", "schema": field}
    response = client.post("/admin/api/collections", headers=admin, json=bad_field)
    assert response.status_code == 422, response.text
    assert _paths(response) == ["schema.properties.title\n"]
    slug = client.post(
        "/api/content",
        headers=admin,
        json={"collectionId": "blog-posts", "title": "T", "slug": "t\n", "data": {"content": "x"}},
    )
    assert slug.status_code == 422 and "slug" in _paths(slug), slug.text
    state = client.post(
        "/admin/api/workflow/states", headers=admin, json={"id": "late\n", "name": "Late"}
    )
    assert state.status_code == 422 and "id" in _paths(state), state.text
