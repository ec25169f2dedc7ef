"""The SonicJS importer keeps translations: an export whose ``content`` rows carry ``locale``
and ``translation_group_id`` (a SonicJS database moved out of sonic-cms, or one a plugin gave
those columns) is mapped with each row's locale and group, a slug unique per collection and
locale (the same slug in another locale is kept, a clash in the same locale renamed)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import text

from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.operations.sonicjs_import import import_sonicjs
from tests.conftest import make_settings

FIXTURE = Path(__file__).parents[1] / "fixtures" / "sonicjs_export.sql"
ROW = (
    "INSERT INTO \"content\" VALUES('{id}','pages-collection','{slug}','{title}','{{}}','draft',"
    "NULL,'admin-user-id',1756720000000,1756720000000,NULL,NULL,'none',NULL,NULL,NULL,NULL,NULL,"
    "NULL,'standard','draft',NULL,NULL,1,0,'{locale}','{group}');"
)
ABOUT, LEGACY = "content-about", "content-legacy"
EXTRA = "\n".join(
    [
        "ALTER TABLE content ADD COLUMN locale TEXT;",
        "ALTER TABLE content ADD COLUMN translation_group_id TEXT;",
        ROW.format(id="content-about-fr", slug="about", title="FR", locale="fr", group=ABOUT),
        ROW.format(id="content-about-de", slug="about", title="DE", locale="de", group=ABOUT),
        # the same slug in the same locale (another group): renamed as a default row's would be
        ROW.format(id="content-about-de2", slug="about", title="DE", locale="de", group=LEGACY),
        # a second row in one locale for one group: skipped with the reason
        ROW.format(id="content-about-de3", slug="x", title="DE 3", locale="de", group=ABOUT),
        # a tag in another spelling is stored canonical; a malformed one is skipped
        ROW.format(id="content-about-ptbr", slug="about", title="PT", locale="PT-br", group=ABOUT),
        ROW.format(id="content-about-bad", slug="about", title="X", locale="../x", group=ABOUT),
    ]
)


@pytest.fixture
def target(db_url: str, tmp_path: Path):
    database = Database(make_settings(db_url, backup_dir=tmp_path / "backups"))
    yield database
    database.dispose()


def test_translations_keep_their_locale_group_and_slug(
    target: Database, ctx: Context, tmp_path: Path
):
    export = tmp_path / "export.sql"
    source = FIXTURE.read_text()
    marker = "CREATE TABLE content_versions"
    export.write_text(source.replace(marker, EXTRA + "\n" + marker, 1))
    report = import_sonicjs(replace(ctx, db=target, settings=target.settings), export)
    content = report.table("content")
    assert (content.mapped, content.skipped) == (8, 3)
    assert any(n.startswith("content-about-de3: ") for n in content.notes)
    assert any(n.startswith("content-about-bad: ") for n in content.notes)
    with target.read() as conn:
        rows = conn.execute(
            text(
                "SELECT id, locale, translation_group_id, slug FROM content "
                "WHERE id LIKE 'content-about%' ORDER BY id"
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("content-about", None, None, "about"),
        ("content-about-de", "de", "content-about", "about"),
        ("content-about-de2", "de", "content-legacy", "about-2"),
        ("content-about-dup", None, None, "about-2"),
        ("content-about-fr", "fr", "content-about", "about"),
        ("content-about-ptbr", "pt-BR", "content-about", "about"),
    ]
