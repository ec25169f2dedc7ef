"""A plugin's own Alembic revisions: a named migration set per plugin, as in sqlite-utils.

Each plugin ships a folder of ordinary revision files and gets its own version table,
``alembic_version_<name>``, so its revisions never enter the core revision graph (core
``sonic db migrate`` and the lead's re-chaining are untouched) and uninstall can take the
plugin back to ``base``. Each revision runs in its own transaction together with its record
in the seed's ``migrations`` table (id ``plugin:<name>:<revision>``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text

from sonic_cms.db.engine import Database
from sonic_cms.db.migrate import MigrationError


def version_table(plugin: str) -> str:
    """The plugin's Alembic version table."""
    return "alembic_version_" + plugin.replace("-", "_")


def _script(folder: Path) -> ScriptDirectory:
    return ScriptDirectory(str(folder), version_locations=[str(folder)])


def _recorder(plugin: str) -> Any:
    def record(ctx: Any, step: Any, heads: Any, run_args: Any) -> None:
        connection: Connection = ctx.connection
        record_id = f"plugin:{plugin}:{step.up_revision_id}"
        if not step.is_upgrade:
            connection.execute(text("DELETE FROM migrations WHERE id = :id"), {"id": record_id})
            return
        path = Path(step.up_revision.path)
        connection.execute(
            text(
                "INSERT INTO migrations (id, name, filename, checksum) "
                "VALUES (:id, :name, :filename, :checksum)"
            ),
            {
                "id": record_id,
                "name": step.up_revision.doc or plugin,
                "filename": path.name,
                "checksum": hashlib.sha256(path.read_bytes()).hexdigest(),
            },
        )

    return record


def _run(db: Database, plugin: str, folder: Path, target: str, upgrade: bool) -> None:
    script = _script(folder)
    config = Config()

    def step(rev: Any, context: Any) -> Any:
        if upgrade:
            return script._upgrade_revs(target, rev)
        return script._downgrade_revs(target, rev)

    with db.engine.connect() as conn:
        with EnvironmentContext(config, script, fn=step) as env:
            env.configure(
                connection=conn,
                version_table=version_table(plugin),
                transaction_per_migration=True,
                render_as_batch=conn.dialect.name == "sqlite",
                on_version_apply=_recorder(plugin),
            )
            with env.begin_transaction():
                env.run_migrations()
        conn.commit()


def upgrade(db: Database, plugin: str, folder: Path) -> list[str]:
    """Apply the plugin's pending revisions; returns the ids applied.

    Raises:
        MigrationError: a revision failed (the earlier ones stay applied).
    """
    before = current(db, plugin)
    try:
        _run(db, plugin, folder, "heads", upgrade=True)
    except Exception as exc:
        raise MigrationError(f"{plugin}:{current(db, plugin) or 'base'}+1", str(exc)) from exc
    ordered = [s.revision for s in reversed(list(_script(folder).walk_revisions()))]
    start = ordered.index(before) + 1 if before in ordered else 0
    return ordered[start:]


def downgrade(db: Database, plugin: str, folder: Path) -> None:
    """Revert every revision of the plugin (drops its tables) and its version table."""
    _run(db, plugin, folder, "base", upgrade=False)
    with db.write() as conn:
        if inspect(conn).has_table(version_table(plugin)):
            conn.execute(text(f'DROP TABLE "{version_table(plugin)}"'))


def current(db: Database, plugin: str) -> str | None:
    """The plugin's applied revision, or None."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": version_table(plugin)})
        return context.get_current_revision()
