"""one search document expression on PostgreSQL, and a way to defer it for a bulk import

Revision 0008's trigger computed each item's weighted search vector in its own body, so a bulk
import that wanted to index a batch as one set (one ``INSERT ... SELECT`` instead of a trigger
call, an insert and an ``ON CONFLICT`` check per row) would have had to write the expression a
second time. This revision moves the expression into the SQL function
``sonic_content_document(title, data)``, which the trigger and the bulk import both call, and
gives the trigger a ``WHEN`` condition: it does nothing in a transaction that has set
``sonic.search_deferred`` to ``on`` (``set_config(..., true)``, so only that transaction, and
only until it sets it back; see ``content.search.pg_search_deferred``). No lock and no DDL at
import time; every other writer keeps the trigger. SQLite is unchanged.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 00:10:00
"""

from __future__ import annotations

import importlib

from alembic import op

revision = "0013"
down_revision: str | None = "0012"

#: The configuration of revision 0008 (content/search.py names it for queries).
_CONFIG = "sonic_search"

_DOCUMENT_FUNCTION = f"""CREATE OR REPLACE FUNCTION sonic_content_document(title text, data jsonb)
RETURNS tsvector LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT setweight(to_tsvector('{_CONFIG}'::regconfig, coalesce(title, '')), 'A') ||
         setweight(jsonb_to_tsvector('{_CONFIG}'::regconfig, coalesce(data, '{{}}'::jsonb),
                                     '["string"]'::jsonb), 'B')
$$"""


_SYNC_FUNCTION = """CREATE OR REPLACE FUNCTION sonic_content_fts_sync() RETURNS trigger AS $$
    BEGIN
      INSERT INTO content_fts_vectors (content_id, document)
      VALUES (NEW.id, sonic_content_document(NEW.title, NEW.data))
      ON CONFLICT (content_id) DO UPDATE SET document = EXCLUDED.document;
      RETURN NULL;
    END
    $$ LANGUAGE plpgsql"""


def _trigger(condition: str) -> str:
    return (
        "CREATE TRIGGER content_fts_sync AFTER INSERT OR UPDATE OF title, data ON content "
        f"FOR EACH ROW {condition}EXECUTE FUNCTION sonic_content_fts_sync()"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_DOCUMENT_FUNCTION)
    op.execute(_SYNC_FUNCTION)
    op.execute("DROP TRIGGER IF EXISTS content_fts_sync ON content")
    # WHEN is checked before the row's event is queued: a deferred row costs no function call
    op.execute(
        _trigger("WHEN (current_setting('sonic.search_deferred', true) IS DISTINCT FROM 'on') ")
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # back to revision 0008's trigger function, which computes the vector in its own body
    previous = importlib.import_module(
        "sonic_cms.db.migrations.versions.0008_pg_accent_insensitive_search"
    )
    op.execute(previous._sync_function(_CONFIG))
    op.execute("DROP TRIGGER IF EXISTS content_fts_sync ON content")
    op.execute(_trigger(""))
    op.execute("DROP FUNCTION IF EXISTS sonic_content_document(text, jsonb)")
