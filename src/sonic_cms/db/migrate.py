"""Apply, list and create Alembic revisions shipped inside the package.

Unlike SonicJS's MigrationService, which logs a failure and still reports success, a failing
revision stops the run and raises :class:`MigrationError` naming the revision and the cause;
the revisions before it stay applied (each committed on its own), the failing one left no trace.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from sqlalchemy import Connection, inspect, text

from sonic_cms.db.engine import Database


class MigrationError(RuntimeError):
    """A revision failed; ``revision`` names it and ``cause`` says why."""

    def __init__(self, revision: str | None, cause: str) -> None:
        self.revision = revision
        self.cause = cause
        super().__init__(f"migration {revision or '?'} failed: {cause}")


@dataclass(frozen=True)
class RevisionState:
    """One revision as `sonic db migrations list` shows it."""

    revision: str
    name: str
    filename: str
    applied: bool
    applied_at: datetime | None


#: Objects that revisions own but models do not describe (FTS shadow tables, engine tables).
ENGINE_MANAGED_PREFIXES = ("alembic_version", "content_fts", "sqlite_")


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Autogenerate and drift checks skip objects owned by revisions rather than models."""
    managed = bool(name) and str(name).startswith(ENGINE_MANAGED_PREFIXES)
    return not (type_ in ("table", "index") and reflected and compare_to is None and managed)


def migrations_dir() -> Path:
    """Where the revisions live, in the source tree or an installed wheel alike."""
    return Path(str(resources.files("sonic_cms.db") / "migrations"))


def alembic_config(db: Database | None = None) -> Config:
    """An Alembic Config pointing at the packaged revisions, with no ini file."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(migrations_dir() / "versions"))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    if db is not None:
        config.attributes["database"] = db
    return config


_SCRIPTS: dict[tuple[tuple[str, int], ...], ScriptDirectory] = {}


def script_directory() -> ScriptDirectory:
    """The packaged revisions, parsed once per set of revision files.

    Alembic imports every revision module to build the directory (~10 ms each time); the
    admin's database page and `/health` ask often. The cache key is the files' names and
    modification times, so a revision written by `sonic db revision` in this process is seen.
    """
    versions = migrations_dir() / "versions"
    key = tuple(sorted((p.name, p.stat().st_mtime_ns) for p in versions.glob("*.py")))
    found = _SCRIPTS.get(key)
    if found is None:
        found = ScriptDirectory.from_config(alembic_config())
        _SCRIPTS.clear()
        _SCRIPTS[key] = found
    return found


def ordered_revisions() -> list[Script]:
    """Every revision, oldest first."""
    return list(reversed(list(script_directory().walk_revisions())))


def head_revision() -> str | None:
    """The newest revision id."""
    return script_directory().get_current_head()


def current_revision(db: Database) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def pending_revisions(db: Database) -> list[Script]:
    """Revisions not yet applied, oldest first."""
    current = current_revision(db)
    revisions = ordered_revisions()
    if current is None:
        return revisions
    ids = [script.revision for script in revisions]
    return revisions[ids.index(current) + 1 :] if current in ids else revisions


def upgrade(db: Database, target: str = "head") -> list[str]:
    """Apply pending revisions up to ``target``; returns the ids applied, oldest first.

    Raises:
        MigrationError: a revision failed; earlier ones in this run stay applied.
    """
    before = {script.revision for script in pending_revisions(db)}
    try:
        _run(db, lambda config: command.upgrade(config, target))
    except Exception as exc:
        remaining = pending_revisions(db)
        failed = remaining[0].revision if remaining else None
        raise MigrationError(failed, _describe(exc)) from exc
    after = {script.revision for script in pending_revisions(db)}
    return [s.revision for s in ordered_revisions() if s.revision in before - after]


def downgrade(db: Database, target: str) -> None:
    """Revert to ``target`` (a revision id or ``base``); for tests and emergencies."""
    _run(db, lambda config: command.downgrade(config, target))


def _next_revision_id() -> str:
    """Revisions are numbered 0001, 0002, ... so their files sort in the order they apply."""
    numbers = [int(s.revision) for s in ordered_revisions() if s.revision.isdigit()]
    return f"{max(numbers, default=0) + 1:04d}"


def _run(db: Database, action: Callable[[Config], object]) -> None:
    with db.engine.connect() as conn, _foreign_keys_off(conn):
        config = alembic_config(db)
        config.attributes["connection"] = conn
        action(config)
        conn.commit()


@contextmanager
def _foreign_keys_off(conn: Connection) -> Iterator[None]:
    """On SQLite, revisions run with foreign keys off, as SQLite's table rebuild asks: dropping
    a table with them on deletes its rows first and cascades to the rows that reference them.
    A revision that rebuilds a table runs ``PRAGMA foreign_key_check`` before it commits. The
    pragma is ignored inside a transaction, so it is set before the first one begins."""
    if conn.dialect.name != "sqlite":
        yield
        return
    driver = conn.connection.driver_connection
    assert driver is not None
    driver.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        driver.execute("PRAGMA foreign_keys = ON")


def _describe(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig or exc).strip().splitlines()[0] if str(orig or exc).strip() else repr(exc)


def revision_states(db: Database) -> list[RevisionState]:
    """Every packaged revision with whether and when it was applied."""
    applied = _applied_at(db)
    pending = {script.revision for script in pending_revisions(db)}
    return [
        RevisionState(
            revision=script.revision,
            name=script.doc or "",
            filename=Path(script.path).name,
            applied=script.revision not in pending,
            applied_at=applied.get(script.revision),
        )
        for script in ordered_revisions()
    ]


def _applied_at(db: Database) -> dict[str, datetime | None]:
    with db.read() as conn:
        if not inspect(conn).has_table("migrations"):
            return {}
        rows = conn.execute(text("SELECT id, applied_at FROM migrations")).all()
    return {row[0]: _as_datetime(row[1]) for row in rows}


def _as_datetime(value: object) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def create_revision(
    db: Database, message: str, autogenerate: bool = True, directory: Path | None = None
) -> Path:
    """Write a new revision file; autogenerated from the models when they differ from the db.

    ``directory`` writes it elsewhere than the package's versions folder (for review first).
    """
    config = alembic_config(db)
    if directory is not None:
        locations = f"{migrations_dir() / 'versions'}{os.pathsep}{directory}"
        config.set_main_option("version_locations", locations)
    with db.engine.connect() as conn:
        config.attributes["connection"] = conn
        script = command.revision(
            config,
            message=message,
            autogenerate=autogenerate,
            rev_id=_next_revision_id(),
            version_path=str(directory) if directory else None,
        )
    if isinstance(script, list):
        script = script[0]
    assert script is not None
    return Path(script.path)
