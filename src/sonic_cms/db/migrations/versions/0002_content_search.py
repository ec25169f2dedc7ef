"""content search and keyset indexes

SQLite: an FTS5 table ``content_fts`` over each item's title and the string values of its data,
kept in sync by triggers on ``content``. FTS rows are keyed through ``content_fts_ids`` (an
explicit INTEGER PRIMARY KEY), because VACUUM may renumber the implicit rowid of ``content``.
PostgreSQL: a GIN index on the weighted tsvector expression the search service queries.
Both: (status, created_at, id) and (collection_id, status, created_at, id) for keyset paging.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision: str | None = "0001"

#: The document text of an item: string values of ``data`` (keys and punctuation left out).
SQLITE_BODY = "(SELECT group_concat(value, ' ') FROM json_tree({row}.data) WHERE type = 'text')"
PG_VECTOR = (
    "(setweight(to_tsvector('simple'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(jsonb_to_tsvector('simple'::regconfig, coalesce(data, '{}'::jsonb), "
    "'[\"string\"]'::jsonb), 'B'))"
)

_SQLITE_UP = [
    "CREATE TABLE content_fts_ids (rowid INTEGER PRIMARY KEY, content_id TEXT NOT NULL UNIQUE)",
    "CREATE VIRTUAL TABLE content_fts USING fts5(title, body, "
    "tokenize = 'unicode61 remove_diacritics 2')",
    f"""CREATE TRIGGER content_fts_insert AFTER INSERT ON content BEGIN
        INSERT INTO content_fts_ids (content_id) VALUES (new.id);
        INSERT INTO content_fts (rowid, title, body) VALUES (
            (SELECT rowid FROM content_fts_ids WHERE content_id = new.id),
            new.title, {SQLITE_BODY.format(row="new")});
    END""",
    f"""CREATE TRIGGER content_fts_update AFTER UPDATE OF title, data ON content BEGIN
        UPDATE content_fts SET title = new.title, body = {SQLITE_BODY.format(row="new")}
        WHERE rowid = (SELECT rowid FROM content_fts_ids WHERE content_id = new.id);
    END""",
    """CREATE TRIGGER content_fts_delete AFTER DELETE ON content BEGIN
        DELETE FROM content_fts
        WHERE rowid = (SELECT rowid FROM content_fts_ids WHERE content_id = old.id);
        DELETE FROM content_fts_ids WHERE content_id = old.id;
    END""",
    "INSERT INTO content_fts_ids (content_id) SELECT id FROM content",
    f"""INSERT INTO content_fts (rowid, title, body)
        SELECT i.rowid, c.title, {SQLITE_BODY.format(row="c")}
        FROM content c JOIN content_fts_ids i ON i.content_id = c.id""",
]
_SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS content_fts_delete",
    "DROP TRIGGER IF EXISTS content_fts_update",
    "DROP TRIGGER IF EXISTS content_fts_insert",
    "DROP TABLE IF EXISTS content_fts",
    "DROP TABLE IF EXISTS content_fts_ids",
]


def upgrade() -> None:
    """Apply this revision."""
    op.create_index("idx_content_status_created", "content", ["status", "created_at", "id"])
    op.create_index(
        "idx_content_collection_status_created",
        "content",
        ["collection_id", "status", "created_at", "id"],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE INDEX content_fts_gin ON content USING GIN ({PG_VECTOR})")
        return
    for statement in _SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    """Drop the search objects and the keyset indexes."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS content_fts_gin")
    else:
        for statement in _SQLITE_DOWN:
            op.execute(statement)
    op.drop_index("idx_content_collection_status_created", table_name="content")
    op.drop_index("idx_content_status_created", table_name="content")
