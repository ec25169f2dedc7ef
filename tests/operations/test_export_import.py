"""SQL dumps: round trips on and between engines, streamed, and refused when damaged."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from sonic_cms.db import migrate
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Content
from sonic_cms.operations.dump_format import DumpError, open_output
from sonic_cms.operations.export_sql import export_dump
from sonic_cms.operations.import_sql import import_dump, verify_dump
from tests.conftest import create_pg_database, drop_pg_database, make_settings
from tests.utils.sample_data import NASTY, seed_sample, table_rows


def export_to(db: Database, path: Path, **options) -> Path:
    with open_output(path) as out:
        export_dump(db, out, **options)
    return path


def fresh_sqlite(template: Path, path: Path) -> Database:
    shutil.copyfile(template, path)
    return Database(make_settings(f"sqlite:///{path}"))


def content_count(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(Content)).scalar_one())


@pytest.fixture
def dumped(db: Database, clock, tmp_path: Path) -> Path:
    seed_sample(db, clock)
    return export_to(db, tmp_path / "dump.sql.gz")


def test_export_then_import_into_empty_database_gives_same_rows(
    db: Database, dumped: Path, empty_db_url: str
):
    target = Database(make_settings(empty_db_url))
    try:
        summary = import_dump(target, dumped)
        assert summary.created_schema and summary.inserted["content"] == 3
        assert table_rows(target) == table_rows(db)
    finally:
        target.dispose()


def test_dump_is_plain_sql_with_header_and_checksums(db: Database, clock, tmp_path: Path):
    seed_sample(db, clock)
    path = export_to(db, tmp_path / "dump.sql")
    body = path.read_text()
    assert body.startswith("-- sonic-cms dump\n-- format: 1\n")
    assert f"-- schema_revision: {migrate.head_revision()}" in body
    assert 'INSERT INTO "content" ("id",' in body
    assert "-- table-end: content rows=3 checksum=" in body
    assert body.rstrip().endswith("rows=" + body.rstrip().rsplit("rows=", 1)[1])
    assert "it''s" in body  # quotes doubled, never spliced raw


def test_no_schema_and_single_table(db: Database, clock, tmp_path: Path):
    seed_sample(db, clock)
    path = export_to(db, tmp_path / "c.sql", tables=["content"], include_schema=False)
    body = path.read_text()
    assert "-- schema: omitted" in body and "CREATE TABLE" not in body
    assert 'INSERT INTO "users"' not in body and body.count('INSERT INTO "content"') == 3
    with pytest.raises(DumpError) as error:
        export_to(db, tmp_path / "x.sql", tables=["nope"])
    assert error.value.code == "unknown_table"


def test_round_trip_sqlite_postgres_sqlite_keeps_every_row(
    sqlite_template: Path, pg_template: str, tmp_path: Path, clock
):
    source = fresh_sqlite(sqlite_template, tmp_path / "a.db")
    pg_url = create_pg_database(template=pg_template)
    middle = Database(make_settings(pg_url))
    final = fresh_sqlite(sqlite_template, tmp_path / "b.db")
    try:
        seed_sample(source, clock)
        first = export_to(source, tmp_path / "1.sql.gz")
        import_dump(middle, first, replace=True)
        second = export_to(middle, tmp_path / "2.sql.gz")
        import_dump(final, second, replace=True)
        assert verify_dump(first) == verify_dump(second)
        checksums = [
            [
                line
                for line in gzip.decompress(p.read_bytes()).decode().splitlines()
                if line.startswith("-- table-end")
            ]
            for p in (first, second)
        ]
        assert checksums[0] == checksums[1]
        assert table_rows(final) == table_rows(source)
        with final.read() as conn:
            bio = conn.execute(text("SELECT bio FROM users WHERE bio IS NOT NULL")).scalar()
        assert bio == NASTY
    finally:
        for database in (source, middle, final):
            database.dispose()
        drop_pg_database(pg_url)


def _damaged(dumped: Path, tmp_path: Path, how: str) -> Path:
    raw = gzip.decompress(dumped.read_bytes())
    target = tmp_path / f"bad-{how}.sql.gz"
    if how == "truncated-gzip":
        target.write_bytes(dumped.read_bytes()[: len(dumped.read_bytes()) // 2])
        return target
    if how == "truncated-text":
        raw = raw[: raw.index(b"-- table-end: content")]
    elif how == "altered-value":
        raw = raw.replace(b"'post-1'", b"'post-X'", 1)
    elif how == "garbage":
        raw = raw.replace(b'INSERT INTO "content"', b"DROP TABLE users; --", 1)
    elif how == "newer-schema":
        raw = raw.replace(b"-- schema_revision: ", b"-- schema_revision: 9999", 1)
        raw = raw.replace(b"9999" + migrate.head_revision().encode(), b"9999", 1)
    elif how == "not-a-dump":
        raw = b"CREATE TABLE x (id INTEGER);\n"
    elif how == "wrong-type":
        raw = raw.replace(b"'post-1'", b"12345", 1)
    target.write_bytes(gzip.compress(raw))
    return target


@pytest.mark.parametrize(
    ("how", "code"),
    [
        ("truncated-gzip", "truncated_dump"),
        ("truncated-text", "truncated_dump"),
        ("altered-value", "corrupt_dump"),
        ("garbage", "corrupt_dump"),
        ("newer-schema", "newer_schema"),
        ("not-a-dump", "not_a_dump"),
        ("wrong-type", "wrong_type"),
    ],
)
def test_bad_dump_is_refused_and_target_untouched(
    db: Database, dumped: Path, tmp_path: Path, how: str, code: str
):
    bad = _damaged(dumped, tmp_path, how)
    before = table_rows(db)
    with pytest.raises(DumpError) as error:
        import_dump(db, bad, replace=True)
    assert error.value.code == code, str(error.value)
    assert table_rows(db) == before


def test_import_conflicting_rows_is_all_or_nothing(db: Database, dumped: Path):
    with db.write() as conn:
        conn.execute(text("DELETE FROM workflow_history"))
        conn.execute(text("DELETE FROM content WHERE id <> 'c2'"))
    with pytest.raises(DumpError) as error:
        import_dump(db, dumped)
    assert error.value.code == "conflict"
    assert content_count(db) == 1


def test_failed_import_into_empty_database_leaves_it_empty(dumped: Path, tmp_path, empty_db_url):
    bad = _damaged(dumped, tmp_path, "altered-value")
    target = Database(make_settings(empty_db_url))
    try:
        with pytest.raises(DumpError):
            import_dump(target, bad)
        assert migrate.current_revision(target) is None
    finally:
        target.dispose()


def test_dump_with_many_rows_streams_in_batches(db: Database, clock, tmp_path: Path):
    seed_sample(db, clock)
    with db.write() as conn:
        conn.execute(
            Content.__table__.insert(),
            [
                {
                    "id": f"bulk-{i:05d}",
                    "collection_id": "col-blog-1a2b3c4d",
                    "slug": f"bulk-{i}",
                    "title": "t",
                    "data": {"i": i},
                    "author_id": conn.execute(text("SELECT id FROM users LIMIT 1")).scalar(),
                    "created_at": i,
                    "updated_at": i,
                }
                for i in range(2500)
            ],
        )
    path = export_to(db, tmp_path / "big.sql.gz")
    assert verify_dump(path)["content"] == 2503
