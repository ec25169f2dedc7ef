"""Creating, inspecting and dropping databases: what `wrangler d1 create/info/delete` do.

A SQLite database is a file (with its -wal and -shm companions); a PostgreSQL database lives
on a server, reached for create and drop through the server's maintenance database.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy import inspect, select, table, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.sql import func

from sonic_cms.db.engine import Database, sqlite_path


class DatabaseAdminError(RuntimeError):
    """Creating, inspecting or dropping a database failed; the message says why."""


@dataclass(frozen=True)
class DatabaseInfo:
    """What `sonic db info` prints."""

    engine: str
    location: str
    exists: bool
    size_bytes: int | None
    server_version: str | None
    tables: dict[str, int]


def location(url: str) -> str:
    """A human-readable location, with any password hidden."""
    path = sqlite_path(url)
    if url.startswith("sqlite"):
        return str(path.resolve()) if path else ":memory:"
    return make_url(url).render_as_string(hide_password=True)


def exists(url: str) -> bool:
    """Whether the database exists (a file, or a database on the server)."""
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        return path is None or path.exists()
    parsed = make_url(url)
    with _maintenance_connection(parsed) as conn:
        row = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,)
        ).fetchone()
    return row is not None


def create(url: str) -> None:
    """Create an empty database; refuses when it already exists."""
    if exists(url):
        raise DatabaseAdminError(f"database already exists: {location(url)}")
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path is None:
            raise DatabaseAdminError("an in-memory database cannot be created")
        path.parent.mkdir(parents=True, exist_ok=True)
        sqlite3.connect(path).close()
        return
    parsed = make_url(url)
    with _maintenance_connection(parsed) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(str(parsed.database))))


def delete(url: str) -> None:
    """Drop the database: remove the SQLite file and companions, or DROP DATABASE (FORCE)."""
    if not exists(url):
        raise DatabaseAdminError(f"no such database: {location(url)}")
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        assert path is not None
        for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            candidate.unlink(missing_ok=True)
        return
    parsed = make_url(url)
    with _maintenance_connection(parsed) as conn:
        name = sql.Identifier(str(parsed.database))
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(name))


def info(db: Database) -> DatabaseInfo:
    """Engine, location, size, server version and row count of every table."""
    url = db.settings.database_url
    if not exists(url):
        return DatabaseInfo(db.dialect, location(url), False, None, None, {})
    with db.read() as conn:
        names = sorted(inspect(conn).get_table_names())
        counts = {
            name: int(conn.execute(select(func.count()).select_from(table(name))).scalar_one())
            for name in names
        }
        if db.is_sqlite:
            version = conn.execute(text("SELECT sqlite_version()")).scalar_one()
        else:
            version = conn.execute(text("SHOW server_version")).scalar_one()
    return DatabaseInfo(db.dialect, location(url), True, size_bytes(db), str(version), counts)


def size_bytes(db: Database) -> int | None:
    """Bytes on disk: the SQLite file and its WAL, or pg_database_size."""
    if db.is_sqlite:
        path = sqlite_path(db.settings.database_url)
        if path is None:
            return None
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    with db.read() as conn:
        return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())


def _maintenance_connection(parsed: URL) -> psycopg.Connection[tuple[object, ...]]:
    maintenance = parsed.set(drivername="postgresql", database="postgres")
    try:
        return psycopg.connect(maintenance.render_as_string(hide_password=False), autocommit=True)
    except psycopg.Error as exc:
        raise DatabaseAdminError(f"cannot reach the PostgreSQL server: {exc}") from exc
