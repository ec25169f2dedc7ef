"""Bulk import: the service (both engines) and `sonic content import`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from sonic_cms.actors import ANONYMOUS, SYSTEM
from sonic_cms.cli.content import SHOWN_PROBLEMS
from sonic_cms.cli.main import app
from sonic_cms.content.bulk import Malformed, bulk_create_items
from sonic_cms.content.items import create_item
from sonic_cms.content.lists import list_content
from sonic_cms.db.planner_statistics import MIN_GROWTH, GrowthAnalyzer
from sonic_cms.db.schema import Content, ContentVersion
from sonic_cms.errors import NotFound
from tests.conftest import POSTGRES_ONLY
from tests.content.helpers import context_on, counts, sync_examples
from tests.utils.auth import actor_with_role, create_random_user

runner = CliRunner()


def _post(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "title": f"Post number {n}",
        "status": "published",
        "data": {"content": f"<p>body {n} zanzibar</p>", "category": "news"},
        **extra,
    }


@pytest.fixture
def author(db, clock) -> str:
    sync_examples(db, clock)
    return create_random_user(db, clock, "editor").id


def _import(db, clock, items, author, batch_size=10, actor=SYSTEM):
    ctx = context_on(db, clock, actor)
    return bulk_create_items(ctx, "blog-posts", items, batch_size=batch_size, author_id=author)


def _slugs(db) -> list[str]:
    with db.read() as conn:
        return sorted(conn.execute(select(Content.slug)).scalars())


def test_valid_items_are_written_with_version_one_and_are_searchable(db, clock, author, ctx):
    report = _import(db, clock, [_post(n) for n in range(25)], author)
    assert report.created == 25 and len(report.batches) == 3 and not report.rejected
    assert counts(db)[1:] == (25, 25)
    with db.read() as conn:
        versions = conn.execute(select(ContentVersion.version, ContentVersion.data)).all()
    assert {v.version for v in versions} == {1}
    assert all(v.data["title"].startswith("Post number") for v in versions)
    anonymous = ctx.acting_as(ANONYMOUS)
    found = list_content(anonymous, [("search", "zanzibar"), ("limit", "100")])
    assert found["meta"]["count"] == 25
    one = list_content(anonymous, [("search", "number 7")])
    assert one["data"][0]["title"] == "Post number 7"


def test_generated_slugs_stay_unique_within_the_batch_and_against_the_table(db, clock, author, ctx):
    actor = actor_with_role(db, clock, "admin")
    body = {"collectionId": "blog-posts", "title": "Same title", "data": {"content": "x"}}
    create_item(ctx.acting_as(actor), body)
    report = _import(db, clock, [_post(1, title="Same title") for _ in range(3)], author)
    assert report.created == 3
    assert _slugs(db) == ["same-title", "same-title-2", "same-title-3", "same-title-4"]


def test_bad_row_fails_its_whole_batch_only(db, clock, author):
    items = [_post(n) for n in range(30)]
    items[13]["data"]["category"] = "gossip"  # line 14, in the batch of lines 11-20
    items[16] = Malformed("unexpected character")  # line 17, same batch
    report = _import(db, clock, items, author)
    assert report.created == 20
    [bad] = report.rejected
    assert (bad.first_line, bad.last_line, bad.written) == (11, 20, 0)
    assert [(p.line, p.path) for p in bad.problems] == [(14, "data.category"), (17, "line")]
    assert "must be one of" in bad.problems[0].message
    assert counts(db)[1:] == (20, 20)
    assert "post-number-10" not in _slugs(db) and "post-number-20" in _slugs(db)


@pytest.mark.parametrize(
    ("item", "path"),
    [
        ({"title": ""}, "title"),
        ({"title": "ok", "status": "live"}, "status"),
        ({"title": "ok", "slug": "Not A Slug"}, "slug"),
        ({"title": "ok", "data": []}, "data"),
        ({"title": "ok", "data": {"content": 5}}, "data.content"),
        ({"title": "ok", "data": {}}, "data.content"),
        ({"title": "ok", "colour": "red"}, "colour"),
        ({"title": "ok", "author_id": "nobody"}, "author_id"),
        ("not an object", "line"),
    ],
)
def test_each_kind_of_bad_item_is_reported(db, clock, author, item, path):
    report = _import(db, clock, [_post(1), item], author)
    assert report.created == 0
    assert [p.path for p in report.rejected[0].problems] == [path]
    assert {p.line for p in report.rejected[0].problems} == {2}
    assert counts(db)[1:] == (0, 0)


def test_explicit_slug_taken_in_table_or_batch_is_refused(db, clock, author):
    _import(db, clock, [_post(1, slug="taken")], author)
    report = _import(db, clock, [_post(2, slug="fresh"), _post(3, slug="fresh")], author)
    assert [(p.line, p.path) for p in report.rejected[0].problems] == [(2, "slug")]
    report = _import(db, clock, [_post(4, slug="taken")], author)
    assert report.rejected[0].problems[0].message == "'taken' is already used in blog-posts"
    assert _slugs(db) == ["taken"]


def test_a_user_actor_needs_publish_permission_and_cannot_name_authors(db, clock, author):
    actor = actor_with_role(db, clock, "author")
    items = [_post(1, status="draft"), _post(2), _post(3, status="draft", author_id=author)]
    report = _import(db, clock, items, None, actor=actor)
    assert [(p.line, p.path) for p in report.rejected[0].problems] == [
        (2, "status"),
        (3, "author_id"),
    ]
    report = _import(db, clock, [_post(1, status="draft")], None, actor=actor)
    assert report.created == 1
    with db.read() as conn:
        assert conn.execute(select(Content.author_id)).scalar_one() == actor.user_id


def test_unknown_collection_is_a_404_before_any_input_is_read(ctx, author):
    def never() -> Any:
        raise AssertionError("input read")
        yield

    with pytest.raises(NotFound):
        bulk_create_items(ctx.acting_as(SYSTEM), "nope", never(), batch_size=5, author_id=author)


def test_sqlite_search_index_matches_what_the_trigger_writes(sqlite_db, clock):
    sync_examples(sqlite_db, clock)
    actor = actor_with_role(sqlite_db, clock, "admin")
    data = {"content": "<p>Crème brûlée</p>", "excerpt": "nested", "tags": ["python", "cms"]}
    one = create_item(
        context_on(sqlite_db, clock, actor),
        {"collectionId": "blog-posts", "title": "One", "data": data},
    )
    _import(sqlite_db, clock, [{"title": "Two", "data": data}], actor.user_id, actor=SYSTEM)
    with sqlite_db.read() as conn:
        rows = conn.execute(
            text(
                "SELECT c.id, f.title, f.body FROM content_fts f "
                "JOIN content_fts_ids i ON i.rowid = f.rowid JOIN content c ON c.id = i.content_id"
            )
        ).all()
        triggers = conn.execute(
            text(
                "SELECT count(*) FROM sqlite_master "
                "WHERE type = 'trigger' AND name LIKE 'content\\_fts\\_%' ESCAPE '\\'"
            )
        ).scalar()
    bodies = {r.title: r.body for r in rows}
    # data mirrors each item's title and slug; everything else is the same document
    assert len(rows) == 2 and bodies["One"].replace("One one", "Two two") == bodies["Two"]
    assert "brûlée" in bodies["Two"] and triggers == 3
    assert one["id"] in {r.id for r in rows}


def test_sqlite_change_log_of_a_bulk_import_is_what_the_triggers_write(sqlite_db, clock):
    """The bulk path logs for time travel with one statement per table; the entries must be
    the ones the per-row capture triggers write for the same rows (same JSON, same order)."""
    sync_examples(sqlite_db, clock)
    actor = actor_with_role(sqlite_db, clock, "admin")
    data = {"content": "<p>Crème brûlée</p>", "tags": ["python"]}
    create_item(
        context_on(sqlite_db, clock, actor),
        {"collectionId": "blog-posts", "title": "One", "data": data},
    )
    _import(
        sqlite_db, clock, [{"title": f"Bulk {n}", "data": data} for n in range(3)], actor.user_id
    )
    with sqlite_db.read() as conn:
        entries = conn.execute(
            text(
                "SELECT table_name, op, row_id, row_data FROM change_log "
                "WHERE table_name IN ('content', 'content_versions') ORDER BY id"
            )
        ).all()
        paused = conn.execute(text("SELECT count(*) FROM change_log_pause")).scalar()
        rows = {
            table: {
                r["id"]: dict(r) for r in conn.execute(text(f"SELECT * FROM {table}")).mappings()
            }
            for table in ("content", "content_versions")
        }
    # the trigger wrote the create's pair; the bulk path wrote 3 content then 3 version entries
    assert [(e.table_name, e.op) for e in entries] == [
        ("content", "I"),
        ("content_versions", "I"),
        *[("content", "I")] * 3,
        *[("content_versions", "I")] * 3,
    ]
    for entry in entries:
        assert orjson.loads(entry.row_data) == rows[entry.table_name][entry.row_id]
    assert {orjson.loads(e.row_data)["title"] for e in entries[2:5]} == {
        "Bulk 0",
        "Bulk 1",
        "Bulk 2",
    }
    assert paused == 0


def _write_jsonl(path: Path, lines: list[Any]) -> Path:
    path.write_bytes(
        b"\n".join(x if isinstance(x, bytes) else orjson.dumps(x) for x in lines) + b"\n"
    )
    return path


def _cli(*args: str, url: str):
    return runner.invoke(
        app, [*args, "--database-url", url], env={"SONIC_CONFIG_FILE": "/nonexistent"}
    )


def test_cli_import_reports_bad_lines_and_writes_the_other_batches(
    db, db_url, clock, author, tmp_path
):
    lines: list[Any] = [_post(n) for n in range(6)]
    lines[4] = b'{"title": "broken'
    path = _write_jsonl(tmp_path / "posts.jsonl", lines)
    argv = ["content", "import", str(path), "--collection", "blog-posts", "--batch-size", "3"]
    result = _cli(*argv, "--author", author, url=db_url)
    assert result.exit_code == 1, result.output
    assert "lines 4-6: batch not written" in result.output
    assert "line 5: line: not JSON" in result.output
    assert "Imported 3 items into blog-posts" in result.output
    assert counts(db)[1:] == (3, 3)


def test_cli_import_shows_the_first_problems_and_counts_the_rest(db, db_url, author, tmp_path):
    """A file of 60 bad lines in batches of 25: every rejected batch is named, 20 problems are
    shown and the other 40 counted, so a wrong file does not flood the terminal."""
    path = _write_jsonl(tmp_path / "bad.jsonl", [b"{not json"] * 60)
    argv = ["content", "import", str(path), "--collection", "blog-posts", "--batch-size", "25"]
    result = _cli(*argv, "--author", author, url=db_url)
    assert result.exit_code == 1, result.output
    for lines in ("1-25", "26-50", "51-60"):
        assert f"lines {lines}: batch not written" in result.output
    shown = [line for line in result.output.splitlines() if line.startswith("  line ")]
    assert len(shown) == SHOWN_PROBLEMS == 20
    assert shown[-1].startswith("  line 20: ")
    assert "... and 40 more problem(s) not shown" in result.output
    assert counts(db)[1:] == (0, 0)


def test_cli_import_of_a_clean_file_exits_zero(db, db_url, clock, author, tmp_path):
    path = _write_jsonl(tmp_path / "posts.jsonl", [_post(n) for n in range(5)])
    result = _cli("content", "import", str(path), "--collection", "blog-posts", url=db_url)
    assert result.exit_code == 1 and "no admin user" in result.output
    result = _cli(
        "content", "import", str(path), "--collection", "blog-posts", "--author", author,
        url=db_url,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Imported 5 items" in result.output and counts(db)[1:] == (5, 5)
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(Content)).scalar_one() == 5


def test_a_slug_taken_between_preparing_and_writing_a_batch_is_prepared_again(
    db, clock, ctx, author, monkeypatch
):
    """Batches are prepared outside their write transaction (in a thread); a writer that takes
    one of a prepared batch's slugs in between must not make the import fail or collide."""
    from sonic_cms.content import bulk as content_bulk

    prepare_outside = content_bulk._Import._prepare_outside
    raced: list[str] = []

    def prepare_then_race(self, start, batch):
        prepared = prepare_outside(self, start, batch)
        if not raced:  # another editor creates an item with the first prepared slug
            actor = actor_with_role(db, clock, "admin")
            taken = prepared.rows[0]["slug"]
            create_item(
                ctx.acting_as(actor),
                {
                    "collectionId": "blog-posts",
                    "title": "Racer",
                    "slug": taken,
                    "data": {"content": "x"},
                },
            )
            raced.append(taken)
        return prepared

    monkeypatch.setattr(content_bulk._Import, "_prepare_outside", prepare_then_race)
    report = _import(db, clock, [_post(1), _post(2), _post(3)], author, batch_size=2)
    assert report.created == 3 and not report.rejected
    slugs = _slugs(db)
    assert raced == ["post-number-1"]
    assert len(slugs) == len(set(slugs)) == 4
    assert "post-number-1-2" in slugs  # the imported item took the next free slug


def test_a_schema_change_between_preparing_and_writing_is_checked_again(
    db, clock, author, monkeypatch
):
    from sonic_cms.content import bulk as content_bulk

    prepare_outside = content_bulk._Import._prepare_outside

    def prepare_then_tighten(self, start, batch):
        prepared = prepare_outside(self, start, batch)
        with db.write() as conn:  # the collection now requires an excerpt nobody sent
            schema = conn.execute(
                text("SELECT schema FROM collections WHERE name = 'blog-posts'")
            ).scalar_one()
            schema = orjson.loads(schema) if isinstance(schema, str) else schema
            schema["properties"]["excerpt"]["required"] = True
            schema.setdefault("required", []).append("excerpt")
            conn.execute(
                text("UPDATE collections SET schema = :s WHERE name = 'blog-posts'"),
                {"s": orjson.dumps(schema).decode()},
            )
        return prepared

    monkeypatch.setattr(content_bulk._Import, "_prepare_outside", prepare_then_tighten)
    report = _import(db, clock, [_post(1)], author)
    assert report.created == 0
    assert [p.path for p in report.rejected[0].problems] == ["data.excerpt"]
    assert counts(db)[1:] == (0, 0)


@POSTGRES_ONLY
def test_postgresql_change_log_and_search_vectors_of_a_bulk_import_are_what_the_triggers_write(
    db, clock, author
):
    """The PostgreSQL bulk path COPYs with the per-row triggers standing aside and writes the
    change log and the search vectors as sets; touching every row afterwards makes the per-row
    triggers write both again, which must give the same row JSON and the same vectors."""
    data = {"content": "<p>Crème brûlée</p>", "excerpt": "nested", "tags": ["python"]}
    _import(db, clock, [{"title": f"Bulk {n}", "data": data} for n in range(3)], author)
    _import(db, clock, [{"title": "Second batch", "data": data}], author)
    logged_sql = (
        "SELECT table_name, op, row_id, row_data, txid FROM change_log "
        "WHERE table_name IN ('content', 'content_versions') AND op = :op ORDER BY id"
    )
    vectors_sql = "SELECT content_id, document::text FROM content_fts_vectors"
    with db.read() as conn:
        logged = conn.execute(text(logged_sql), {"op": "I"}).all()
        vectors = dict(conn.execute(text(vectors_sql)).all())
    with db.write() as conn:  # fires content_fts_sync and change_log_capture for every row
        conn.execute(text("UPDATE content SET title = title"))
        conn.execute(text("UPDATE content_versions SET version = version"))
    with db.read() as conn:
        rewritten = conn.execute(text(logged_sql), {"op": "U"}).all()
        retriggered = dict(conn.execute(text(vectors_sql)).all())
        paused = conn.execute(text("SELECT count(*) FROM change_log_pause")).scalar()
    assert [(e.table_name, e.op) for e in logged] == [
        *[("content", "I")] * 3,
        *[("content_versions", "I")] * 3,
        ("content", "I"),
        ("content_versions", "I"),
    ]
    by_row = {(e.table_name, e.row_id): e.row_data for e in rewritten}
    assert len(by_row) == 8
    for entry in logged:
        assert entry.row_data == by_row[(entry.table_name, entry.row_id)]
    # one transaction per batch, each entry stamped with it as the trigger stamps
    assert len({e.txid for e in logged[:6]}) == 1 and logged[6].txid == logged[7].txid
    assert logged[0].txid != logged[6].txid and None not in {e.txid for e in logged}
    assert len(vectors) == 4 and vectors == retriggered
    assert "'brulee':" in next(iter(vectors.values())) and paused == 0


@pytest.mark.parametrize(
    "text_value", ["back\\slash \\N", "tab\there", "line\nbreak", "q\"'\u00e9"]
)
def test_text_survives_the_set_insert_byte_for_byte(db, clock, author, text_value):
    """COPY's text format and json_each both escape: backslashes, COPY's null marker, tabs,
    newlines and quotes come back as sent, in columns and inside JSON."""
    _import(
        db,
        clock,
        [{"title": f"T {text_value}", "data": {"content": "x", "excerpt": text_value}}],
        author,
    )
    with db.read() as conn:
        row = conn.execute(select(Content.title, Content.data)).one()
    assert row.title == f"T {text_value}" and row.data["excerpt"] == text_value


def _traces(db) -> tuple[int, int, int, int]:
    """Rows of content, content_versions, their change log entries and the search index."""
    index = "content_fts_vectors" if db.dialect == "postgresql" else "content_fts_ids"
    with db.read() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in (
                "content",
                "content_versions",
                "change_log WHERE table_name IN ('content', 'content_versions')",
                index,
            )
        )


def test_a_duplicate_slug_in_a_batch_leaves_nothing_of_the_batch(db, clock, author):
    _import(db, clock, [_post(0)], author)
    before = _traces(db)
    report = _import(db, clock, [_post(1, slug="dup"), _post(2), _post(3, slug="dup")], author)
    assert [(p.line, p.path) for p in report.rejected[0].problems] == [(3, "slug")]
    assert before == (1, 1, 2, 1) and _traces(db) == before


def test_a_slug_the_database_refuses_mid_batch_rolls_the_whole_batch_back(
    db, clock, ctx, author, monkeypatch
):
    """If a slug is taken after the batch's own check (here: the check is told all is well),
    the set insert fails on the unique constraint: the error is the one an INSERT raises and
    no row, log entry, search entry or trigger change of the batch survives."""
    from sqlalchemy.exc import IntegrityError

    from sonic_cms.content import bulk as content_bulk

    prepare_outside = content_bulk._Import._prepare_outside

    def prepare_then_race(self, start, batch):
        prepared = prepare_outside(self, start, batch)
        taken = prepared.rows[1]["slug"]
        body = {"collectionId": "blog-posts", "title": "Racer", "slug": taken}
        create_item(
            ctx.acting_as(actor_with_role(db, clock, "admin")), body | {"data": {"content": "x"}}
        )
        return prepared

    monkeypatch.setattr(content_bulk._Import, "_prepare_outside", prepare_then_race)
    monkeypatch.setattr(content_bulk, "_still_valid", lambda *args: True)
    with pytest.raises(IntegrityError):
        _import(db, clock, [_post(1), _post(2), _post(3)], author)
    assert _traces(db) == (1, 1, 2, 1)
    assert _slugs(db) == ["post-number-2"]
    monkeypatch.undo()
    report = _import(db, clock, [_post(4)], author)  # triggers and capture work as before
    assert report.created == 1 and _traces(db) == (2, 2, 4, 2)


def test_a_batch_announces_the_tables_it_wrote_for_cache_invalidation(db, clock, author):
    """PostgreSQL's COPY runs on the driver connection, which SQLAlchemy's statement events do
    not see: the batch must still tell the commit listeners (the caches) what it wrote."""
    announced: list[frozenset[str]] = []
    db.commit_listeners.append(announced.append)
    _import(db, clock, [_post(1), _post(2)], author)
    assert {"content", "content_versions"} <= set().union(*announced)


def _insert_probe_rows(db, count: int) -> float:
    """Add ``count`` rows to growth_probe; what PostgreSQL's statistics count there now."""
    with db.write() as conn:
        conn.execute(text("INSERT INTO growth_probe SELECT generate_series(1, :n)"), {"n": count})
    with db.read() as conn:
        return float(
            conn.execute(
                text("SELECT reltuples FROM pg_class WHERE relname = 'growth_probe'")
            ).scalar_one()
        )


@POSTGRES_ONLY
def test_statistics_are_taken_again_each_time_an_import_doubles_the_table(db):
    """A plan made from an empty table's statistics walks the whole collection for each slug
    of a batch; the import refreshes them once it has doubled what they counted."""
    with db.write() as conn:
        conn.execute(text("CREATE TABLE growth_probe (id integer)"))
        conn.execute(text("ANALYZE growth_probe"))
    analyzer = GrowthAnalyzer.start(db, "growth_probe")
    assert analyzer is not None and analyzer.counted == 0
    analyzer.wrote(MIN_GROWTH - 1)
    assert _insert_probe_rows(db, MIN_GROWTH - 1) == 0  # too small to pay for an ANALYZE
    _insert_probe_rows(db, 1)
    analyzer.wrote(1)
    assert _insert_probe_rows(db, 0) == MIN_GROWTH
    _insert_probe_rows(db, MIN_GROWTH - 1)
    analyzer.wrote(MIN_GROWTH - 1)
    assert _insert_probe_rows(db, 0) == MIN_GROWTH  # not doubled yet
    _insert_probe_rows(db, 1)
    analyzer.wrote(1)
    assert _insert_probe_rows(db, 0) == 2 * MIN_GROWTH


@pytest.mark.parametrize("engine_name", ["sqlite"])
def test_sqlite_imports_take_no_statistics(db):
    """SQLite's planner trusts the indexes without statistics: nothing to refresh."""
    assert GrowthAnalyzer.start(db, "content") is None
