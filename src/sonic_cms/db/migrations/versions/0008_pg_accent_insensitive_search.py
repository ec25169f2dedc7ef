"""accent-insensitive search on PostgreSQL

SQLite's FTS5 tokenizer (unicode61, ``remove_diacritics 2``, revision 0002) folds case and
accents, so ``creme`` finds "Crème Brûlée"; PostgreSQL's ``simple`` configuration folded case
only, so the same search found nothing there. This revision adds the ``unaccent`` extension
(a trusted extension since PostgreSQL 13: the database owner, or any user with CREATE on the
database, may add it; it ships in the server's contrib package) and the text search
configuration ``sonic_search``: ``simple`` with the ``unaccent`` dictionary before it for words
that hold letters. The stored vectors of revision 0007 are rebuilt with it, and queries use it
too (``content.search``), so both sides lose their accents the same way. SQLite is unchanged.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import Connection, text

revision = "0008"
down_revision: str | None = "0007"

#: The configuration both the stored vectors and the queries use (content/search.py names it).
CONFIG = "sonic_search"
#: Token types of PostgreSQL's default parser that may hold non-ASCII letters.
_LETTER_TOKENS = "word, hword, hword_part, numword, numhword, hword_numpart"


def _vector(row: str, config: str) -> str:
    """The weighted document vector of a content row (the expression of revision 0007)."""
    return (
        f"(setweight(to_tsvector('{config}'::regconfig, coalesce({row}.title, '')), 'A') || "
        f"setweight(jsonb_to_tsvector('{config}'::regconfig, coalesce({row}.data, '{{}}'::jsonb), "
        "'[\"string\"]'::jsonb), 'B'))"
    )


def _sync_function(config: str) -> str:
    """The trigger function of revision 0007, computing vectors with ``config``."""
    return f"""CREATE OR REPLACE FUNCTION sonic_content_fts_sync() RETURNS trigger AS $$
    BEGIN
      INSERT INTO content_fts_vectors (content_id, document)
      VALUES (NEW.id, {_vector("NEW", config)})
      ON CONFLICT (content_id) DO UPDATE SET document = EXCLUDED.document;
      RETURN NULL;
    END
    $$ LANGUAGE plpgsql"""


def _rebuild(config: str) -> str:
    return (
        f"UPDATE content_fts_vectors SET document = {_vector('content', config)} "
        "FROM content WHERE content.id = content_fts_vectors.content_id"
    )


_CREATE_CONFIG = f"""DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_ts_config
                 WHERE cfgname = '{CONFIG}' AND cfgnamespace = current_schema()::regnamespace)
  THEN
    CREATE TEXT SEARCH CONFIGURATION {CONFIG} (COPY = simple);
    ALTER TEXT SEARCH CONFIGURATION {CONFIG}
      ALTER MAPPING FOR {_LETTER_TOKENS} WITH unaccent, simple;
  END IF;
END $$"""


def _require_unaccent(conn: Connection) -> None:
    """Fail with what to do when the extension cannot be added (not shipped, or no right)."""
    installed = conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'unaccent'")).first()
    if installed:
        return
    available = conn.execute(
        text("SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent'")
    ).first()
    if available is None:
        raise RuntimeError(
            "PostgreSQL's unaccent extension is not installed on the database server (search "
            "needs it): install the server's contrib package (Debian/Ubuntu: postgresql-contrib)"
            ", then run `sonic db migrate` again"
        )
    allowed = conn.execute(
        text("SELECT has_database_privilege(current_user, current_database(), 'CREATE')")
    ).scalar()
    if not allowed:
        raise RuntimeError(
            "this database user may not add the unaccent extension (search needs it): run "
            "`CREATE EXTENSION unaccent;` in this database as its owner, or grant CREATE on the "
            "database, then run `sonic db migrate` again"
        )


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    _require_unaccent(conn)
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.execute(_CREATE_CONFIG)
    op.execute(_sync_function(CONFIG))
    op.execute(_rebuild(CONFIG))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_sync_function("simple"))
    op.execute(_rebuild("simple"))
    op.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {CONFIG}")
    # the extension stays: other objects of the database may use it
