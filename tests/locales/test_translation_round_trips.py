"""Translations survive the JSON export, the SQL dump (what a backup is) and their imports,
on and between engines: each row keeps its locale and its group."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sonic_cms.db import migrate
from sonic_cms.db.engine import Database
from sonic_cms.db.schema.tables import CONTENT
from sonic_cms.operations.dump_format import open_output
from sonic_cms.operations.export_json import export_json, import_json
from sonic_cms.operations.export_sql import export_dump
from sonic_cms.operations.import_sql import import_dump
from tests.conftest import make_settings
from tests.utils.auth import bearer_headers


@pytest.fixture
def settings(db_url: str):
    return make_settings(db_url, trusted_proxies="testclient", locales="en,fr,de")


@pytest.fixture
def translated(client, db, settings, clock) -> list[tuple[Any, ...]]:
    admin = bearer_headers(db, settings, clock, "admin")
    made = client.post(
        "/admin/api/collections",
        headers=admin,
        json={"name": "pages", "display_name": "Pages", "schema": {"type": "object"}},
    )
    assert made.status_code == 201, made.text
    item = client.post(
        "/api/content",
        headers=admin,
        json={"collectionId": "pages", "title": "Home", "slug": "home"},
    ).json()["data"]
    for locale, title in (("fr", "Accueil"), ("de", "Startseite")):
        answer = client.post(
            f"/api/content/{item['id']}/translations",
            headers=admin,
            json={"locale": locale, "title": title, "slug": "home"},
        )
        assert answer.status_code == 201, answer.text
    return content_rows(db)


def content_rows(db: Database) -> list[tuple[Any, ...]]:
    columns = (CONTENT.c.id, CONTENT.c.locale, CONTENT.c.translation_group_id, CONTENT.c.slug)
    with db.read() as conn:
        return [tuple(r) for r in conn.execute(select(*columns).order_by(CONTENT.c.id))]


def test_sql_dump_round_trip_keeps_translations(translated, db, empty_db_url, tmp_path: Path):
    assert [r[1] for r in translated] == [None, "fr", "de"]
    dump = tmp_path / "dump.sql.gz"
    with open_output(dump) as out:
        export_dump(db, out)
    target = Database(make_settings(empty_db_url))
    try:
        import_dump(target, dump)
        assert content_rows(target) == translated
    finally:
        target.dispose()


def test_json_export_round_trip_keeps_translations(translated, db, empty_db_url, tmp_path: Path):
    path = tmp_path / "export.json"
    export_json(db, path)
    target = Database(make_settings(empty_db_url))
    try:
        migrate.upgrade(target)
        import_json(target, path)
        assert content_rows(target) == translated
    finally:
        target.dispose()
