"""``sonic content get|translations|translate`` on both engines, with SONIC_LOCALES set."""

from __future__ import annotations

import json

from sonic_cms.content.collections import create_collection
from sonic_cms.content.items import create_item
from sonic_cms.db.engine import Database
from tests.conftest import make_settings
from tests.content.helpers import context_on
from tests.test_cli import sonic
from tests.utils.auth import create_random_user

LOCALES = {"SONIC_LOCALES": "en,fr,fr-CA"}


def _item(db_url: str, clock) -> str:
    db = Database(make_settings(db_url))
    try:
        ctx = context_on(db, clock)
        author = create_random_user(db, clock, "editor").id
        create_collection(ctx, {"name": "pages", "display_name": "Pages"})
        item = create_item(
            ctx,
            {"collectionId": "pages", "title": "Home", "status": "published", "author_id": author},
        )
        return str(item["id"])
    finally:
        db.dispose()


def test_translate_list_and_read_in_a_locale(db_url: str, clock):
    item = _item(db_url, clock)
    made = sonic(
        "content",
        "translate",
        item,
        "--locale",
        "fr",
        "--title",
        "Accueil",
        url=db_url,
        env=LOCALES,
    )
    assert made.exit_code == 0, made.output
    fr_id, locale, slug = made.output.strip().split("\t")
    assert (locale, slug) == ("fr", "accueil")
    listed = sonic("content", "translations", item, url=db_url, env=LOCALES)
    assert listed.exit_code == 0, listed.output
    lines = listed.output.strip().splitlines()
    assert lines[0].startswith("en (source)\t" + item)
    assert lines[1].startswith("fr\t" + fr_id) and "\tdraft\t" in lines[1]
    assert lines[2] == "missing: fr-CA"
    read = sonic("content", "get", item, "--locale", "fr-CA", url=db_url, env=LOCALES)
    assert read.exit_code == 0, read.output
    document = json.loads(read.output)
    assert document["data"]["id"] == fr_id, "the system sees the draft translation"
    assert document["meta"]["locale"] == "fr"
    plain = json.loads(sonic("content", "get", item, url=db_url, env=LOCALES).output)
    assert plain["data"]["title"] == "Home" and "meta" not in plain


def test_bad_locales_fail_with_the_enabled_list(db_url: str, clock):
    item = _item(db_url, clock)
    for tag in ("it", "fr_CA"):
        failed = sonic(
            "content", "translate", item, "--locale", tag, "--title", "T", url=db_url, env=LOCALES
        )
        assert failed.exit_code == 1
        assert "enabled locales: en, fr, fr-CA" in failed.output
        read = sonic("content", "get", item, "--locale", tag, url=db_url, env=LOCALES)
        assert read.exit_code == 1 and "enabled locales" in read.output
    again = sonic(
        "content", "translate", item, "--locale", "fr", "--title", "A", url=db_url, env=LOCALES
    )
    assert again.exit_code == 0
    twice = sonic(
        "content", "translate", item, "--locale", "fr", "--title", "B", url=db_url, env=LOCALES
    )
    assert twice.exit_code == 1 and "already has a fr translation" in twice.output
