"""Config-managed collections: created, unchanged, updated, error, deactivated; CLI output."""

from __future__ import annotations

import shutil

from sqlalchemy import select
from typer.testing import CliRunner

from sonic_cms.actors import SYSTEM
from sonic_cms.cli.collections import app
from sonic_cms.content.collection_sync import summary_line, sync_collections
from sonic_cms.db.schema import Collection
from tests.content.helpers import EXAMPLES
from tests.utils.auth import bearer_headers


def test_second_sync_is_unchanged(ctx):
    first = sync_collections(ctx.acting_as(SYSTEM), EXAMPLES)
    assert summary_line(first).endswith("3 created, 0 updated, 0 unchanged, 0 errors")
    second = sync_collections(ctx.acting_as(SYSTEM), EXAMPLES)
    assert summary_line(second).endswith("0 created, 0 updated, 3 unchanged, 0 errors")


def test_changed_file_updates_bad_file_errors_missing_file_deactivates(db, ctx, tmp_path):
    folder = tmp_path / "cols"
    shutil.copytree(EXAMPLES, folder)
    sync_collections(ctx.acting_as(SYSTEM), folder)
    faq = folder / "faq.yaml"
    faq.write_text(faq.read_text().replace("displayName: FAQ", "displayName: Questions"))
    (folder / "pages.yaml").unlink()
    (folder / "broken.yaml").write_text(
        "name: broken\ndisplayName: B\nschema:\n  properties:\n    x: {type: wat}\n"
    )
    results = {r.name: r.status for r in sync_collections(ctx.acting_as(SYSTEM), folder)}
    assert results == {
        "blog-posts": "unchanged",
        "faq": "updated",
        "broken": "error",
        "pages": "deactivated",
    }
    with db.read() as conn:
        pages = conn.execute(select(Collection).where(Collection.name == "pages")).one()
    assert pages.is_active is False


def test_managed_collection_cannot_be_edited_through_the_api(client, db, settings, clock, ctx):
    sync_collections(ctx.acting_as(SYSTEM), EXAMPLES)
    admin = bearer_headers(db, settings, clock, "admin")
    response = client.patch("/admin/api/collections/faq", headers=admin, json={"display_name": "X"})
    assert response.status_code == 409
    assert "managed by config" in response.json()["error"]


def test_cli_prints_the_summary(settings, tmp_path):
    runner = CliRunner()
    args = ["--dir", str(EXAMPLES), "--database-url", settings.database_url, "--env", "test"]
    first = runner.invoke(app, args, env={"SONIC_SECRET_KEY": settings.secret_key})
    assert first.exit_code == 0, first.output
    assert "3 created, 0 updated, 0 unchanged, 0 errors" in first.output
    second = runner.invoke(app, args, env={"SONIC_SECRET_KEY": settings.secret_key})
    assert "0 created, 0 updated, 3 unchanged, 0 errors" in second.output
