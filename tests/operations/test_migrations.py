"""Migrations: atomic per revision, idempotent, failure reported, no drift on either engine."""

from __future__ import annotations

import uuid
import warnings

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, make_url, select, text

from sonic_cms.clock import FrozenClock
from sonic_cms.content.search import parse_search, search_subquery, search_words
from sonic_cms.db import migrate
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import metadata
from tests.conftest import (
    START_MS,
    _libpq,
    create_pg_database,
    drop_pg_database,
    make_settings,
    postgres_admin_url,
)
from tests.utils.auth import create_random_user
from tests.utils.content_rows import make_collection, make_content


def schema_drift(db: Database) -> list[object]:
    with db.engine.connect() as conn, warnings.catch_warnings():
        # Alembic cannot reflect SQLite expression indexes and says so; the seed-schema tests
        # compare those indexes directly.
        warnings.filterwarnings("ignore", message=".*expression-based index.*")
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_object": migrate.include_object,
            },
        )
        return list(compare_metadata(context, metadata))


@pytest.fixture
def empty_db(empty_db_url: str):
    database = Database(make_settings(empty_db_url))
    yield database
    database.dispose()


def test_migrate_from_empty_reaches_head_without_drift(empty_db: Database):
    applied = migrate.upgrade(empty_db)
    assert applied == [r.revision for r in migrate.ordered_revisions()]
    assert migrate.current_revision(empty_db) == migrate.head_revision()
    assert schema_drift(empty_db) == []


def test_rerunning_migrate_is_a_no_op(db: Database):
    assert migrate.upgrade(db) == []
    with db.read() as conn:
        recorded = conn.execute(text("SELECT id, checksum FROM migrations")).all()
    assert [row[0] for row in recorded] == [r.revision for r in migrate.ordered_revisions()]
    assert all(len(row[1]) == 64 for row in recorded)


@pytest.mark.parametrize("start", [r.revision for r in migrate.ordered_revisions()])
def test_every_older_revision_migrates_to_head(empty_db: Database, start: str):
    migrate.upgrade(empty_db, start)
    assert migrate.current_revision(empty_db) == start
    migrate.upgrade(empty_db)
    assert migrate.current_revision(empty_db) == migrate.head_revision()
    assert schema_drift(empty_db) == []


def test_downgrade_to_base_removes_everything(empty_db: Database):
    migrate.upgrade(empty_db)
    migrate.downgrade(empty_db, "base")
    with empty_db.read() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}


def test_failed_revision_is_reported_and_leaves_no_trace(empty_db: Database):
    with empty_db.write() as conn:
        conn.execute(text("CREATE TABLE media (id TEXT PRIMARY KEY)"))  # collides with 0001
    with pytest.raises(migrate.MigrationError) as failure:
        migrate.upgrade(empty_db)
    assert failure.value.revision == migrate.ordered_revisions()[0].revision
    assert "media" in failure.value.cause
    with empty_db.read() as conn:
        tables = set(inspect(conn).get_table_names())
    assert "users" not in tables and "migrations" not in tables
    assert migrate.current_revision(empty_db) is None


def test_revision_states_list_applied_and_pending(empty_db: Database):
    pending = migrate.revision_states(empty_db)
    assert pending and not any(state.applied for state in pending)
    migrate.upgrade(empty_db)
    applied = migrate.revision_states(empty_db)
    assert all(state.applied and state.applied_at is not None for state in applied)
    assert applied[0].filename.startswith("0001_")


def test_revisions_ship_inside_the_package():
    assert migrate.migrations_dir().joinpath("env.py").is_file()
    assert "site-packages" in str(migrate.migrations_dir()) or "src/sonic_cms" in str(
        migrate.migrations_dir()
    )


def test_search_finds_rows_stored_before_0008_without_their_accents(empty_db: Database):
    """Revision 0008 rebuilds PostgreSQL's stored vectors; SQLite's FTS5 folded accents before."""
    clock = FrozenClock(START_MS)
    migrate.upgrade(empty_db, "0007")
    author = create_random_user(empty_db, clock, "editor").id
    item = make_content(empty_db, clock, make_collection(empty_db, clock), author)
    with empty_db.write() as conn:
        conn.execute(text("UPDATE content SET title = 'Crème Brûlée' WHERE id = :id"), {"id": item})
    migrate.upgrade(empty_db)
    hits = search_subquery(empty_db.dialect)
    words = {"search_q": search_words(empty_db.dialect, parse_search("creme brulee", 100))}
    with empty_db.read() as conn:
        assert conn.execute(select(hits.c.content_id), words).scalars().all() == [item]


@pytest.mark.postgres
def test_pg_migration_says_what_to_do_when_unaccent_cannot_be_added():
    """Revision 0008 needs the unaccent extension: a user without CREATE on the database gets
    the statement to ask for; with it (a trusted extension) no superuser is needed."""
    url = create_pg_database()
    name = make_url(url).database
    role = f"sonic_r_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(_libpq(postgres_admin_url()), autocommit=True)
    try:
        admin.execute(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER')
        with psycopg.connect(_libpq(url), autocommit=True) as owner:
            owner.execute(f'GRANT CREATE ON SCHEMA public TO "{role}"')
        as_role = make_url(url).set(username=role).render_as_string(hide_password=False)
        db = Database(make_settings(as_role))
        try:
            with pytest.raises(migrate.MigrationError) as failure:
                migrate.upgrade(db)
            assert failure.value.revision == "0008"
            assert "CREATE EXTENSION unaccent;" in failure.value.cause
            assert migrate.current_revision(db) == "0007"
            admin.execute(f'GRANT CREATE ON DATABASE "{name}" TO "{role}"')
            ids = [r.revision for r in migrate.ordered_revisions()]
            assert migrate.upgrade(db) == ids[ids.index("0008") :]
        finally:
            db.dispose()
    finally:
        drop_pg_database(url)
        admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        admin.close()
