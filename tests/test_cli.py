"""The `sonic` command, run in-process with Typer's runner against real databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from sonic_cms.cli.main import app
from sonic_cms.content.collections import create_collection
from sonic_cms.content.items import create_item
from sonic_cms.db import migrate
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Content, ContentVersion
from sonic_cms.operations import databases as admin
from tests.conftest import make_settings
from tests.content.helpers import context_on
from tests.utils.auth import create_random_user
from tests.utils.content_rows import make_collection, make_content

runner = CliRunner()


def sonic(*args: str, url: str | None = None, input: str | None = None, env=None):
    argv = list(args) + (["--database-url", url] if url else [])
    return runner.invoke(
        app, argv, input=input, env={"SONIC_CONFIG_FILE": "/nonexistent", **(env or {})}
    )


def test_migrate_then_migrate_again_is_a_no_op(empty_db_url: str):
    first = sonic("db", "migrate", url=empty_db_url)
    assert first.exit_code == 0, first.output
    assert f"Applied {len(migrate.ordered_revisions())} migration(s)" in first.output
    second = sonic("db", "migrate", url=empty_db_url)
    assert second.exit_code == 0 and "All migrations are up to date" in second.output


def test_migrations_list_shows_applied_and_pending(empty_db_url: str):
    assert "pending" in sonic("db", "migrations", "list", url=empty_db_url).output
    sonic("db", "migrate", url=empty_db_url)
    listed = sonic("db", "migrations", "list", url=empty_db_url)
    assert listed.exit_code == 0 and "applied" in listed.output and "pending" not in listed.output


def test_execute_json_matches_wrangler_shape(db_url: str):
    result = sonic(
        "db",
        "execute",
        "--command",
        "SELECT id FROM workflow_states WHERE is_initial = 1",
        "--json",
        url=db_url,
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body[0]["results"] == [{"id": "draft"}]
    assert body[0]["success"] is True
    assert set(body[0]["meta"]) >= {"duration", "changes", "last_row_id"}


def test_execute_bad_sql_prints_engine_error_and_exits_non_zero(db_url: str):
    result = sonic("db", "execute", "--command", "SELEC nothing", url=db_url)
    assert result.exit_code == 1
    assert "syntax error" in result.output.lower()


def test_execute_file_is_one_transaction(db_url: str, tmp_path: Path):
    script = tmp_path / "script.sql"
    script.write_text(
        "UPDATE log_config SET retention_days = 1 WHERE category = 'api';\n"
        "INSERT INTO no_such_table VALUES (1);\n"
    )
    failed = sonic("db", "execute", "--file", str(script), url=db_url)
    assert failed.exit_code == 1
    check = sonic(
        "db",
        "execute",
        "--command",
        "SELECT retention_days FROM log_config WHERE category = 'api'",
        "--json",
        url=db_url,
    )
    assert json.loads(check.output)[0]["results"] == [{"retention_days": 30}]


def test_execute_needs_exactly_one_source(db_url: str):
    assert sonic("db", "execute", url=db_url).exit_code == 1


def test_info_lists_tables_with_counts_and_version(db_url: str):
    result = sonic("db", "info", url=db_url)
    assert result.exit_code == 0, result.output
    assert "workflow_states" in result.output and "up to date" in result.output
    assert ("sqlite 3." in result.output) or ("postgresql 1" in result.output)


def test_create_info_and_delete_a_database(empty_db_url: str, engine_name: str):
    if engine_name == "postgres":
        admin.delete(empty_db_url)  # the fixture made it; start from nothing
    created = sonic("db", "create", url=empty_db_url)
    assert created.exit_code == 0, created.output
    assert admin.exists(empty_db_url)
    assert sonic("db", "create", url=empty_db_url).exit_code == 1  # already exists
    refused = sonic("db", "delete", url=empty_db_url, input="n\n")
    assert refused.exit_code == 1 and admin.exists(empty_db_url)
    deleted = sonic("db", "delete", "--yes", url=empty_db_url)
    assert deleted.exit_code == 0 and not admin.exists(empty_db_url)
    if engine_name == "postgres":
        admin.create(empty_db_url)  # the fixture drops it afterwards


def test_delete_is_refused_while_a_server_runs_on_the_database(db_url: str):
    from sonic_cms.operations.server_lock import server_presence
    from tests.conftest import make_settings

    with server_presence(make_settings(db_url)):  # what every `sonic serve` worker holds
        refused = sonic("db", "delete", "--yes", url=db_url)
    assert refused.exit_code == 1, refused.output
    assert "server_running" in refused.output
    assert admin.exists(db_url)


def test_list_shows_every_environment(tmp_path: Path):
    config = tmp_path / "sonic.toml"
    config.write_text(
        f'database_url = "sqlite:///{tmp_path}/dev.db"\n'
        f'[env.production]\ndatabase_url = "sqlite:///{tmp_path}/prod.db"\n'
        'secret_key = "0123456789abcdef0123456789abcdef-prod"\n'
    )
    sonic("db", "migrate", env={"SONIC_CONFIG_FILE": str(config)})
    result = runner.invoke(app, ["db", "list"], env={"SONIC_CONFIG_FILE": str(config)})
    assert result.exit_code == 0, result.output
    assert "default" in result.output and "production" in result.output
    assert "not created" in result.output  # prod.db was never made


def test_migrations_create_writes_a_revision(db_url: str, tmp_path: Path, monkeypatch):
    result = sonic(
        "db",
        "migrations",
        "create",
        "add comments",
        "--empty",
        "--directory",
        str(tmp_path),
        url=db_url,
    )
    assert result.exit_code == 0, result.output
    written = list(tmp_path.glob("*_add_comments.py"))
    assert len(written) == 1
    source = written[0].read_text()
    assert f"down_revision: str | None = '{migrate.head_revision()}'" in source


def test_users_create_reads_password_from_stdin(db_url: str):
    result = sonic(
        "users",
        "create",
        "--email",
        "Ed@Example.com",
        "--username",
        "eddie",
        "--role",
        "editor",
        "--password-stdin",
        url=db_url,
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "ed@example.com" in result.output
    duplicate = sonic(
        "users",
        "create",
        "--email",
        "ed@example.com",
        "--username",
        "eddie2",
        "--password-stdin",
        url=db_url,
        input="another long password\n",
    )
    assert duplicate.exit_code == 1 and "already exists" in duplicate.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--email", "not-an-email", "--username", "bob"], "email"),
        (["--email", "bob@example.com", "--username", "bo"], "username"),
        (["--email", "bob@example.com", "--username", "bob", "--role", "root"], "role"),
    ],
)
def test_users_create_rejects_bad_input(db_url: str, args: list[str], message: str):
    result = sonic(
        "users", "create", *args, "--password-stdin", url=db_url, input="a long enough password\n"
    )
    assert result.exit_code == 1
    assert message in result.output


def test_ensure_admin_creates_once_and_prints_generated_password(db_url: str):
    first = sonic("users", "ensure-admin", url=db_url)
    assert first.exit_code == 0 and "generated password" in first.output
    second = sonic("users", "ensure-admin", url=db_url)
    assert second.exit_code == 0 and "nothing to do" in second.output


def test_production_without_secret_refuses_with_exit_2(tmp_path: Path):
    result = sonic(
        "db",
        "info",
        url=f"sqlite:///{tmp_path}/x.db",
        env={"SONIC_ENV": "production", "SONIC_SECRET_KEY": ""},
    )
    assert result.exit_code == 2
    assert "SONIC_SECRET_KEY" in result.output


# -- sonic content sanitize: rich text stored before writes were cleaned -----------------------

_DIRTY = '<p>Hi</p><script>alert(1)</script><a href="javascript:x()" onclick="y()">go</a>'
_CLEAN = '<p>Hi</p><a rel="noopener noreferrer">go</a>'


def _rich_text_rows(db_url: str, clock) -> tuple[Database, dict[str, str]]:
    """Items as an older sonic-cms stored them: raw HTML in rich text, top-level and nested."""
    db = Database(make_settings(db_url))
    admin_user = create_random_user(db, clock, "admin")
    schema = {
        "type": "object",
        "properties": {
            "body": {"type": "richtext"},
            "md": {"type": "markdown"},
            "blocks": {
                "type": "array",
                "blocks": {"text": {"properties": {"html": {"type": "quill"}}}},
            },
        },
    }
    values = {"name": "notes", "display_name": "Notes", "schema": schema}
    system = context_on(db, clock)
    create_collection(system, values)
    ids = {}
    for key in ("dirty", "nested", "clean"):
        body = {"collectionId": "notes", "title": key, "author_id": admin_user.id}
        ids[key] = create_item(system, {**body, "data": {"body": "<p>ok</p>"}})["id"]
    raw = {
        "dirty": {"body": _DIRTY, "md": _DIRTY},
        "nested": {"body": "<p>ok</p>", "blocks": [{"blockType": "text", "html": _DIRTY}]},
    }
    with db.write() as conn:
        for key, data in raw.items():
            conn.execute(update(Content).where(Content.id == ids[key]).values(data=data))
    return db, ids


def _state(db: Database) -> list[tuple[object, ...]]:
    with db.read() as conn:
        items = conn.execute(
            select(Content.id, Content.data, Content.version_number).order_by(Content.id)
        ).all()
        versions = conn.execute(
            select(ContentVersion.content_id, ContentVersion.version, ContentVersion.data)
        ).all()
    return sorted(tuple(r) for r in items) + sorted(
        (r[0], r[1], json.dumps(r[2], sort_keys=True)) for r in versions
    )


def test_content_sanitize_dry_run_reports_and_writes_nothing(db_url: str, clock):
    db, ids = _rich_text_rows(db_url, clock)
    try:
        before = _state(db)
        result = sonic("content", "sanitize", "--dry-run", "--batch-size", "2", url=db_url)
        assert result.exit_code == 0, result.output
        assert f"notes/{ids['dirty']}: data.body\n" in result.output
        assert f"notes/{ids['nested']}: data.blocks.0.html\n" in result.output
        assert ids["clean"] not in result.output
        assert "notes: 2 item(s) would change" in result.output
        assert "Dry run: 2 of 3 item(s) with rich text would change (2 batch(es))" in result.output
        assert _state(db) == before
    finally:
        db.dispose()


def test_content_sanitize_cleans_writes_a_version_and_a_second_run_changes_nothing(
    db_url: str, clock
):
    db, ids = _rich_text_rows(db_url, clock)
    try:
        result = sonic("content", "sanitize", "--batch-size", "2", url=db_url)
        assert result.exit_code == 0, result.output
        assert f"notes/{ids['dirty']} (version 2): data.body\n" in result.output
        assert "2 of 3 item(s) with rich text changed" in result.output
        with db.read() as conn:
            rows = {r.id: r for r in conn.execute(select(Content)).all()}
            versions = conn.execute(
                select(ContentVersion).where(ContentVersion.content_id == ids["dirty"])
            ).all()
        dirty = rows[ids["dirty"]]
        assert dirty.data == {"body": _CLEAN, "md": _DIRTY}  # markdown stays as written
        assert dirty.version_number == 2 and not dirty.is_auto_saved
        assert rows[ids["nested"]].data["blocks"] == [{"blockType": "text", "html": _CLEAN}]
        assert rows[ids["clean"]].version_number == 1
        newest = max(versions, key=lambda v: v.version)
        assert (newest.version, newest.data["data"]) == (2, dirty.data)
        again = sonic("content", "sanitize", url=db_url)
        assert again.exit_code == 0, again.output
        assert "0 of 3 item(s) with rich text changed" in again.output
    finally:
        db.dispose()


def test_content_sanitize_unknown_collection_fails(db_url: str):
    result = sonic("content", "sanitize", "--dry-run", "--collection", "nope", url=db_url)
    assert result.exit_code == 1 and "not found" in result.output


def test_content_bulk_acts_per_item_and_exits_1_when_one_failed(db_url: str, clock):
    db = Database(make_settings(db_url))
    try:
        author = create_random_user(db, clock, "author").id
        col = make_collection(db, clock)
        first, second = make_content(db, clock, col, author), make_content(db, clock, col, author)
        done = sonic("content", "bulk", "publish", "--ids", f"{first},{second}", url=db_url)
        assert done.exit_code == 0, done.output
        assert f"{first}: ok\n{second}: ok\n" in done.output
        assert "publish: 2 of 2 item(s) done, 0 failed" in done.output
        with db.read() as conn:
            statuses = set(conn.execute(select(Content.status)).scalars())
        assert statuses == {"published"}
        gone = sonic("content", "bulk", "delete", "--ids", first, "--ids", "nope", url=db_url)
        assert gone.exit_code == 1
        assert "nope: 404 content_not_found: Content not found" in gone.output
        assert "delete: 1 of 2 item(s) done, 1 failed" in gone.output
        assert sonic("content", "bulk", "nuke", "--ids", second, url=db_url).exit_code == 1
    finally:
        db.dispose()
