"""content locales: translations as content rows, with a slug unique per collection and locale

Storage: two nullable columns on ``content`` rather than a side table. ``locale`` is NULL on a
row of the default locale (every row written before this revision, and every row a client
that never says ``locale`` writes) and the canonical BCP 47 tag on a translation;
``translation_group_id`` is NULL on a default-locale row and, on a translation, the id of the
default-locale row it translates (its group). A translation is then a content row like any
other, so versions, workflow, scheduling, search, export and backup need no second copy, and a
read without ``locale`` costs one predicate (``locale IS NULL``) and no join: a side table
would have needed a join or a per-row ``NOT EXISTS`` in every default list.

The seed's UNIQUE(collection_id, slug) becomes two partial unique indexes: (collection_id,
slug) where ``locale IS NULL`` (the same rule as before for default-locale rows) and
(collection_id, locale, slug) where ``locale IS NOT NULL``; a third makes a locale appear once
per group. Partial indexes, not a unique constraint over a NULL column, because NULLs are
distinct in a unique constraint on both engines.

SQLite cannot drop a table constraint: the table is rebuilt (create, copy, drop, rename), its
indexes and triggers (search, change capture) re-created from their stored SQL, and
``PRAGMA foreign_key_check`` run before the revision commits (the runner turns foreign keys
off around revisions on SQLite: dropping ``content`` with them on would cascade-delete the
workflow history). The change-capture triggers are refreshed for the new columns.

Downgrade deletes the translations (their versions, history and schedules) and restores
UNIQUE(collection_id, slug).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 06:30:00
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Connection, text

from sonic_cms.db.change_capture import ensure_capture

revision = "0015"
down_revision: str | None = "0014"

_OLD_UNIQUE = "uq_content_collection_id_slug"
_INDEXES = (
    ("uq_content_default_slug", ["collection_id", "slug"], "locale IS NULL"),
    ("uq_content_locale_slug", ["collection_id", "locale", "slug"], "locale IS NOT NULL"),
    (
        "uq_content_group_locale",
        ["translation_group_id", "locale"],
        "translation_group_id IS NOT NULL",
    ),
)
_OLD_CONSTRAINT_SQL = f"CONSTRAINT {_OLD_UNIQUE} UNIQUE (collection_id, slug)"
_NEW_COLUMNS_SQL = "locale TEXT, \n\ttranslation_group_id TEXT, \n\t"


def upgrade() -> None:
    """Add the columns, swap the slug uniqueness for the per-locale indexes."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _rebuild_sqlite(bind, _to_localised)
    else:
        op.add_column("content", sa.Column("locale", sa.Text(), nullable=True))
        op.add_column("content", sa.Column("translation_group_id", sa.Text(), nullable=True))
        op.drop_constraint(_OLD_UNIQUE, "content", type_="unique")
    for name, columns, where in _INDEXES:
        op.create_index(
            name,
            "content",
            columns,
            unique=True,
            sqlite_where=text(where),
            postgresql_where=text(where),
        )
    ensure_capture(bind)


def downgrade() -> None:
    """Delete the translations and put UNIQUE(collection_id, slug) back."""
    bind = op.get_bind()
    _delete_translations(bind)
    for name, _, _ in _INDEXES:
        op.drop_index(name, table_name="content")
    if bind.dialect.name == "sqlite":
        _rebuild_sqlite(bind, _to_seed_shape)
    else:
        op.create_unique_constraint(_OLD_UNIQUE, "content", ["collection_id", "slug"])
        op.drop_column("content", "translation_group_id")
        op.drop_column("content", "locale")
    ensure_capture(bind)


def _to_localised(create_sql: str) -> tuple[str, list[str]]:
    """The new CREATE TABLE (columns added, the old UNIQUE gone) and the columns to copy."""
    if _OLD_CONSTRAINT_SQL not in create_sql:
        raise RuntimeError(f"content has no {_OLD_UNIQUE} to replace")
    head, _, tail = create_sql.partition("CONSTRAINT pk_content")
    body = head + _NEW_COLUMNS_SQL + "CONSTRAINT pk_content" + tail
    body = body.replace(f", \n\t{_OLD_CONSTRAINT_SQL}", "")
    return body, []


def _to_seed_shape(create_sql: str) -> tuple[str, list[str]]:
    """The CREATE TABLE of revision 0013 again; the two columns are not copied."""
    body = create_sql.replace(_NEW_COLUMNS_SQL, "")
    head, _, tail = body.rpartition("\n)")
    return f"{head}, \n\t{_OLD_CONSTRAINT_SQL}\n){tail}", ["locale", "translation_group_id"]


def _rebuild_sqlite(bind: Connection, reshape: object) -> None:
    """SQLite's table rebuild (https://sqlite.org/lang_altertable.html#otheralter): the new
    shape under a scratch name, rows copied, the old table dropped, the new one renamed, then
    its indexes and triggers re-created from what ``sqlite_master`` held."""
    assert callable(reshape)
    create_sql = bind.execute(
        text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'content'")
    ).scalar_one()
    extras = bind.execute(
        text(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'content' "
            "AND type IN ('index', 'trigger') AND sql IS NOT NULL"
        )
    ).all()
    new_sql, dropped = reshape(create_sql)
    old_columns = [r[1] for r in bind.exec_driver_sql("PRAGMA table_info(content)")]
    columns = ", ".join(f'"{c}"' for c in old_columns if c not in dropped)
    # after a rename SQLite stores the name quoted: CREATE TABLE "content" (
    scratch = re.sub(r'^CREATE TABLE "?content"? \(', "CREATE TABLE content_new (", new_sql)
    bind.exec_driver_sql(scratch)
    bind.exec_driver_sql(f"INSERT INTO content_new ({columns}) SELECT {columns} FROM content")
    for kind, name, _ in extras:
        bind.exec_driver_sql(f'DROP {kind.upper()} IF EXISTS "{name}"')
    bind.exec_driver_sql("DROP TABLE content")
    bind.exec_driver_sql("ALTER TABLE content_new RENAME TO content")
    for _, name, sql in extras:
        if not name.startswith("change_log_"):  # ensure_capture writes them for the new columns
            bind.exec_driver_sql(sql)
    problems = bind.exec_driver_sql("PRAGMA foreign_key_check").all()
    if problems:
        raise RuntimeError(f"foreign key violations after rebuilding content: {problems[:5]}")


def _delete_translations(bind: Connection) -> None:
    """Every translation row, and the rows that reference them."""
    translations = "SELECT id FROM content WHERE locale IS NOT NULL"
    for table in ("content_versions", "workflow_history", "scheduled_content", "content_autosaves"):
        bind.exec_driver_sql(f"DELETE FROM {table} WHERE content_id IN ({translations})")
    bind.exec_driver_sql("DELETE FROM content WHERE locale IS NOT NULL")
