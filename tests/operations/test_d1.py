"""The D1-style API: D1's shapes, all-or-nothing batches, and the seed's raw SQL on both engines."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sonic_cms.clock import FrozenClock
from sonic_cms.db import d1
from sonic_cms.db.engine import Database
from tests.utils.auth import create_random_user

INSERT_COLLECTION = (
    "INSERT INTO collections (id, name, display_name, schema, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
INSERT_CONTENT = (
    "INSERT INTO content (id, title, slug, collection_id, data, author_id, created_at, "
    "updated_at, status, published_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@pytest.fixture
def d1db(db: Database) -> d1.D1Database:
    return d1.connect(db)


@pytest.fixture
def author_id(db: Database, clock: FrozenClock) -> str:
    return create_random_user(db, clock, "author").id


def seed_content(d1db: d1.D1Database, author_id: str) -> None:
    d1db.prepare(INSERT_COLLECTION).bind(
        "blog-posts-collection", "blog_posts", "Blog Posts", {"type": "object"}, 1, 1
    ).run()
    rows = [
        ("c1", "Cloudflare at the edge", "edge", {"body": "cloudflare workers"}, "published", 30),
        ("c2", "Drafting", "drafting", {"body": "not yet"}, "draft", None),
        ("c3", "Python", "python", {"body": "Cloudflare and Python"}, "published", 20),
    ]
    d1db.batch(
        [
            d1db.prepare(INSERT_CONTENT).bind(
                cid,
                title,
                slug,
                "blog-posts-collection",
                data,
                author_id,
                10,
                10,
                status,
                published,
            )
            for cid, title, slug, data, status, published in rows
        ]
    )


def test_first_all_run_raw_have_d1_shapes(d1db: d1.D1Database):
    run = d1db.prepare(INSERT_COLLECTION).bind("col-1", "pages", "Pages", "{}", 5, 6).run()
    assert run.success and run.meta["changes"] == 1 and run.meta["duration"] >= 0
    first = d1db.prepare("SELECT name, display_name FROM collections WHERE id = ?").bind("col-1")
    assert first.first() == {"name": "pages", "display_name": "Pages"}
    assert first.first("display_name") == "Pages"
    assert d1db.prepare("SELECT name FROM collections WHERE id = ?").bind("nope").first() is None
    result = d1db.prepare("SELECT id, name FROM collections").all()
    assert result.to_dict()["results"] == [{"id": "col-1", "name": "pages"}]
    assert d1db.prepare("SELECT id, name FROM collections").raw(column_names=True) == [
        ["id", "name"],
        ["col-1", "pages"],
    ]


def test_first_with_unknown_column_is_an_error(d1db: d1.D1Database):
    with pytest.raises(d1.D1Error, match="D1_COLUMN_NOTFOUND"):
        d1db.prepare("SELECT 1 AS one").first("two")


def test_batch_whose_third_statement_fails_leaves_no_trace(d1db: d1.D1Database):
    statements = [
        d1db.prepare(INSERT_COLLECTION).bind("col-a", "a", "A", "{}", 1, 1),
        d1db.prepare(INSERT_COLLECTION).bind("col-b", "b", "B", "{}", 1, 1),
        d1db.prepare(INSERT_COLLECTION).bind("col-c", "a", "duplicate name", "{}", 1, 1),
    ]
    with pytest.raises(d1.D1Error) as failure:
        d1db.batch(statements)
    assert failure.value.index == 2
    assert d1db.prepare("SELECT COUNT(*) AS n FROM collections").first("n") == 0


def test_batch_limit_is_enforced(d1db: d1.D1Database, db: Database):
    limit = db.settings.d1_batch_max_statements
    statements = [d1db.prepare("SELECT 1")] * (limit + 1)
    with pytest.raises(d1.D1Error, match="exceeds the limit"):
        d1db.batch(statements)


def test_exec_runs_a_script_with_a_trigger(d1db: d1.D1Database, author_id: str):
    seed_content(d1db, author_id)
    script = """
        CREATE TABLE audit (content_id TEXT, note TEXT);
        -- a trigger body holds semicolons of its own
        CREATE TRIGGER content_audit AFTER UPDATE ON content
        BEGIN
          INSERT INTO audit VALUES (NEW.id, 'updated; really');
        END;
        UPDATE content SET title = 'x;y' WHERE id = 'c2';
    """
    if d1db.database.dialect == "postgresql":
        script = """
            CREATE TABLE audit (content_id TEXT, note TEXT);
            CREATE FUNCTION audit_fn() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN INSERT INTO audit VALUES (NEW.id, 'updated; really'); RETURN NEW; END; $$;
            CREATE TRIGGER content_audit AFTER UPDATE ON content
              FOR EACH ROW EXECUTE FUNCTION audit_fn();
            UPDATE content SET title = 'x;y' WHERE id = 'c2';
        """
    result = d1db.exec(script)
    assert result.count == script.count("CREATE") + 1
    assert d1db.prepare("SELECT note FROM audit").all().results == [{"note": "updated; really"}]


def test_exec_is_all_or_nothing(d1db: d1.D1Database):
    with pytest.raises(d1.D1Error) as failure:
        d1db.exec(
            "CREATE TABLE t1 (a INTEGER); INSERT INTO t1 VALUES (1); INSERT INTO nope VALUES (2);"
        )
    assert failure.value.index == 2
    with pytest.raises(d1.D1Error):
        d1db.prepare("SELECT * FROM t1").all()


def build_search_query(d1db: d1.D1Database, filters: dict) -> d1.D1PreparedStatement:
    """The seed's buildSearchQuery, line for line."""
    sql = "SELECT * FROM content WHERE status = ?"
    params = [filters["status"]]
    if filters.get("collectionId"):
        sql += " AND collection_id = ?"
        params.append(filters["collectionId"])
    if filters.get("authorId"):
        sql += " AND author_id = ?"
        params.append(filters["authorId"])
    if filters.get("searchTerm"):
        sql += " AND (title LIKE ? OR data LIKE ?)"
        params.extend([f"%{filters['searchTerm']}%", f"%{filters['searchTerm']}%"])
    sql += " ORDER BY created_at DESC LIMIT ?"
    params.append(filters.get("limit", 20))
    return d1db.prepare(sql).bind(*params)


def test_seed_dynamic_search_query_runs_unchanged(d1db: d1.D1Database, author_id: str):
    seed_content(d1db, author_id)
    results = (
        build_search_query(d1db, {"status": "published", "searchTerm": "cloudflare", "limit": 50})
        .all()
        .results
    )
    assert sorted(row["id"] for row in results) == ["c1", "c3"]
    assert isinstance(results[0]["data"], str)  # JSON comes back as text, as from D1
    injected = build_search_query(d1db, {"status": "published' OR '1'='1"}).all().results
    assert injected == []


def test_seed_aggregations_and_joins_run_unchanged(d1db: d1.D1Database, author_id: str):
    seed_content(d1db, author_id)
    stats = d1db.prepare(
        "SELECT COUNT(*) AS total, "
        "COUNT(CASE WHEN status = 'published' THEN 1 END) AS published, "
        "COUNT(CASE WHEN status = 'draft' THEN 1 END) AS draft FROM content"
    ).first()
    assert stats == {"total": 3, "published": 2, "draft": 1}
    media = d1db.prepare(
        "SELECT COUNT(*) AS totalFiles, SUM(size) AS totalSize, AVG(size) AS avgSize "
        "FROM media WHERE deleted_at IS NULL"
    ).first()
    assert {k.lower(): v for k, v in media.items()}["totalfiles"] == 0
    joined = (
        d1db.prepare(
            "SELECT content.id, users.first_name || ' ' || users.last_name AS authorName "
            "FROM content LEFT JOIN users ON content.author_id = users.id "
            "WHERE content.status = ? ORDER BY content.published_at DESC"
        )
        .bind("published")
        .all()
        .results
    )
    assert [row["id"] for row in joined] == ["c1", "c3"]
    assert joined[0][next(k for k in joined[0] if k.lower() == "authorname")].startswith("Author ")


def test_numbered_placeholders(d1db: d1.D1Database):
    row = d1db.prepare("SELECT ?2 AS b, ?1 AS a, ? AS c").bind("x", "y", "z").first()
    assert row == {"b": "y", "a": "x", "c": "z"}


def test_percent_and_question_marks_in_literals_are_not_placeholders(d1db: d1.D1Database):
    row = d1db.prepare("SELECT '100%?' AS lit, ? AS bound").bind("v").first()
    assert row == {"lit": "100%?", "bound": "v"}


@given(st.text(max_size=40))
def test_translated_placeholders_keep_every_literal(literal: str):
    quoted = "'" + literal.replace("'", "''") + "'"
    sql, params = d1.translate_placeholders(f"SELECT {quoted}, ?", ("p",))
    assert params == ("p",)
    assert sql == f"SELECT {quoted.replace('%', '%%')}, %s"


def test_split_statements_keeps_strings_comments_and_triggers_whole():
    script = (
        "SELECT ';'; /* ; */ SELECT 2;\n"
        "CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; SELECT 2; END;"
    )
    assert list(d1.split_statements(script)) == [
        "SELECT ';';",
        "/* ; */ SELECT 2;",
        "CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; SELECT 2; END;",
    ]
