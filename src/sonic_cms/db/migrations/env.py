"""Alembic environment: runs revisions on the connection sonic-cms hands over.

Each revision runs in its own transaction (``transaction_per_migration``) and records itself in
the seed's ``migrations`` table inside that same transaction, so a revision and the record that
it ran commit together or not at all.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from alembic import context
from sqlalchemy import Connection, inspect, text

from sonic_cms.db.schema import metadata

config = context.config


def _record_step(ctx: Any, step: Any, heads: Any, run_args: Any) -> None:
    connection: Connection = ctx.connection
    revision_id = step.up_revision_id
    if not step.is_upgrade:
        if not inspect(connection).has_table("migrations"):
            return  # the revision that created the table has just dropped it
        connection.execute(text("DELETE FROM migrations WHERE id = :id"), {"id": revision_id})
        return
    script = step.up_revision
    path = Path(script.path)
    checksum = hashlib.sha256(path.read_bytes()).hexdigest()
    connection.execute(
        text(
            "INSERT INTO migrations (id, name, filename, checksum) "
            "VALUES (:id, :name, :filename, :checksum)"
        ),
        {"id": revision_id, "name": script.doc, "filename": path.name, "checksum": checksum},
    )


def _include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    # FTS shadow tables and other engine-managed objects are owned by revisions, not models.
    return not (type_ == "table" and reflected and compare_to is None and _is_managed(name))


def _is_managed(name: str | None) -> bool:
    return bool(name) and (str(name).startswith(("alembic_version", "content_fts", "sqlite_")))


def run_migrations_online() -> None:
    """Run on the connection passed in ``config.attributes['connection']``."""
    connection: Connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        transaction_per_migration=True,
        render_as_batch=connection.dialect.name == "sqlite",
        on_version_apply=_record_step,
        include_object=_include_object,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
