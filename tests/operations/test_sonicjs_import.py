"""Moving in from SonicJS: a realistic `wrangler d1 export` mapped into sonic-cms, both engines."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import text

from sonic_cms.actors import SYSTEM
from sonic_cms.auth.passwords import needs_rehash, verify_password
from sonic_cms.content.slugs import is_valid_slug
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.operations import settings_admin
from sonic_cms.operations.sonicjs_import import (
    SonicJSImportError,
    import_sonicjs,
    imported_slug,
    token_digest,
)
from tests.conftest import make_settings

FIXTURE = Path(__file__).parents[1] / "fixtures" / "sonicjs_export.sql"


@pytest.fixture
def target(db_url: str, tmp_path: Path):
    database = Database(make_settings(db_url, backup_dir=tmp_path / "backups"))
    yield database
    database.dispose()


@pytest.fixture
def operator(ctx: Context, target: Database) -> Context:
    """An operator's context on ``target``, whose settings name the test's backup folder."""
    return replace(ctx, db=target, settings=target.settings)


def scalar(db: Database, sql: str, **params):
    with db.read() as conn:
        return conn.execute(text(sql), params).scalar()


def test_sonicjs_export_is_mapped_and_reported(target: Database, operator: Context):
    report = import_sonicjs(operator, FIXTURE)
    users = report.table("users")
    assert (users.mapped, users.skipped) == (3, 0)
    assert any("superuser" in note for note in users.notes)
    assert scalar(target, "SELECT role FROM users WHERE id = 'user-weird-role'") == "viewer"
    assert (
        scalar(target, "SELECT invited_by FROM users WHERE id = 'user-legacy'") == "admin-user-id"
    )
    assert scalar(target, "SELECT bio FROM users WHERE id = 'user-legacy'") == "Line one\nLine two"

    content = report.table("content")
    assert (content.mapped, content.skipped) == (4, 1)
    slugs = dict(
        (r[0], r[1])
        for r in _rows(target, "SELECT id, slug FROM content WHERE id LIKE 'content-%'")
    )
    assert slugs["content-about"] == "about" and slugs["content-about-dup"] == "about-2"
    assert slugs["content-cafe"] == "café-menu"  # a SonicJS URL keeps working as it was
    assert any("user-deleted-long-ago" in n for n in content.notes)
    assert scalar(target, "SELECT collection_id FROM content WHERE id = 'content-cafe'") == (
        "col-blog-1a2b3c4d"
    )

    versions = report.table("content_versions")
    assert versions.mapped == 3 and any("renumbered 3" in n for n in versions.notes)

    assert scalar(target, "SELECT uploaded_at FROM media WHERE id = 'media-1'") == 1756720000000
    assert scalar(target, "SELECT deleted_at FROM media WHERE id = 'media-2'") == 1756800000000
    assert (
        scalar(target, "SELECT installed_at FROM plugins WHERE id = 'plugin-faq'") == 1756720000000
    )
    assert scalar(target, "SELECT created_at FROM system_logs WHERE id = 'log-1'") == 1756720800000
    assert scalar(target, "SELECT category FROM system_logs WHERE id = 'log-2'") == "system"

    history = report.table("workflow_history")
    assert (history.mapped, history.skipped) == (1, 1)
    assert (
        scalar(target, "SELECT to_state_id FROM workflow_history WHERE id = 'wh-1'") == "published"
    )

    for skipped in ("migrations", "d1_migrations", "faqs", "forms", "otp_codes"):
        assert report.table(skipped).mapped == 0
    assert report.table("faqs").skipped == 1 and report.scratch.exists()
    # SonicJS's settings rows have the same table here (revision 0011): the site name moves in
    assert report.table("settings").mapped == 1
    assert scalar(target, "SELECT id FROM settings WHERE key = 'siteName'") == "set-1"
    ctx = replace(operator, actor=SYSTEM)
    assert settings_admin.get_settings(ctx)["site_name"] == "My Site"


def test_passwords_keep_working_and_ask_for_rehash(target: Database, operator: Context):
    import_sonicjs(operator, FIXTURE)
    legacy = scalar(target, "SELECT password_hash FROM users WHERE id = 'user-legacy'")
    assert verify_password(legacy, "password123") and needs_rehash(legacy)
    assert not verify_password(legacy, "wrong")


def test_api_tokens_are_stored_as_digests_never_plaintext(target: Database, operator: Context):
    import_sonicjs(operator, FIXTURE)
    plaintext = "st_live_9f8e7d6c5b4a39281706f5e4d3c2b1a0"
    stored = scalar(target, "SELECT token FROM api_tokens WHERE id = 'tok-1'")
    assert stored == token_digest(target.settings, plaintext) and plaintext not in stored
    assert scalar(target, "SELECT COUNT(*) FROM api_tokens WHERE token = :t", t=plaintext) == 0


def test_importing_twice_skips_what_is_already_there(target: Database, operator: Context):
    import_sonicjs(operator, FIXTURE)
    again = import_sonicjs(operator, FIXTURE)
    assert again.table("users").mapped == 0 and again.table("users").skipped == 3
    assert scalar(target, "SELECT COUNT(*) FROM content WHERE id LIKE 'content-%'") == 4


def test_unreadable_export_writes_nothing(target: Database, operator: Context, tmp_path: Path):
    broken = tmp_path / "broken.sql"
    broken.write_text(FIXTURE.read_text()[:3000] + "\nINSERT INTO nowhere VALUES(")
    with pytest.raises(SonicJSImportError) as error:
        import_sonicjs(operator, broken)
    assert error.value.code == "bad_export"
    assert scalar(target, "SELECT COUNT(*) FROM users") == 0


@pytest.mark.parametrize(
    ("raw", "slug"),
    [
        ("legacy-page-ncode", "legacy-page-ncode"),
        ("my_post", "my_post"),
        ("café-menu", "café-menu"),
        ("東京-タワー", "東京-タワー"),
        ("Legacy Page Ünïcode", "legacy-page-ünïcode"),
        ("東京 タワー", "東京-タワー"),
        ("!!!", "item"),
    ],
)
def test_imported_slugs_follow_the_api_rule(raw: str, slug: str):
    """One slug rule: what the API accepts is kept as it is, the rest made by the API's slugify."""
    assert imported_slug(raw) == slug
    assert is_valid_slug(slug)


def _rows(db: Database, sql: str):
    with db.read() as conn:
        return conn.execute(text(sql)).all()


def test_undeclared_data_keys_are_kept_and_their_collection_accepts_them(
    target: Database, operator: Context, tmp_path: Path
):
    original = '{"title":"Café menu","difficulty":"beginner"}'
    export = tmp_path / "export.sql"
    fixture_sql = FIXTURE.read_text(encoding="utf-8")
    assert original in fixture_sql
    export.write_text(
        fixture_sql.replace(
            original, '{"title":"Café menu","difficulty":"beginner","colour":"red"}'
        ),
        encoding="utf-8",
    )
    report = import_sonicjs(operator, export)
    notes = report.table("content").notes
    assert any("col-blog-1a2b3c4d" in n and "colour" in n for n in notes), notes
    with target.read() as conn:
        data, schema = conn.execute(
            text(
                "SELECT content.data, collections.schema FROM content JOIN collections "
                "ON collections.id = content.collection_id WHERE content.id = 'content-cafe'"
            )
        ).one()
        pages = conn.execute(
            text("SELECT schema FROM collections WHERE id = 'pages-collection'")
        ).scalar_one()
    data, schema, pages = (
        v if isinstance(v, dict) else json.loads(v) for v in (data, schema, pages)
    )
    assert data == {"title": "Café menu", "difficulty": "beginner", "colour": "red"}
    assert schema["additionalProperties"] is True
    assert "additionalProperties" not in pages  # its items hold only declared keys
