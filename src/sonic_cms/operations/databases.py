"""Creating, inspecting and dropping databases: what `wrangler d1 create/info/delete` do.

A SQLite database is a file (with its -wal and -shm companions); a PostgreSQL database lives
on a server, reached for create and drop through the server's maintenance database.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy import exc as sa_exc
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
        problem = connection_problem(exc) or f"cannot reach the PostgreSQL server: {exc}"
        raise DatabaseAdminError(problem) from exc


_PG_SERVER = re.compile(
    r'connection to server (?:at "(?P<host>[^"]+)"(?: \([^)]*\))?, port (?P<port>\d+)'
    r'|on socket "(?P<socket>[^"]+)")'
)
#: libpq's connection failures, each with what the operator should do next.
_PG_CONNECT_FAILURES = [
    (
        re.compile(r'database "(?P<name>[^"]+)" does not exist'),
        "database {name} does not exist on {server}: create it with `sonic db create`",
    ),
    (
        re.compile(r'password authentication failed for user "(?P<name>[^"]+)"'),
        "password authentication failed for user {name} on {server}: "
        "fix the password in SONIC_DATABASE_URL",
    ),
    (
        re.compile(r'role "(?P<name>[^"]+)" does not exist'),
        "user {name} does not exist on {server}: fix the user in SONIC_DATABASE_URL "
        "or create the role",
    ),
    (
        re.compile(r"no password supplied|fe_sendauth"),
        "the PostgreSQL server at {server} asks for a password: put it in SONIC_DATABASE_URL",
    ),
    (
        re.compile(r"Connection refused|No such file or directory"),
        "cannot reach the PostgreSQL server at {server} (connection refused): start it, "
        "or fix the host and port in SONIC_DATABASE_URL",
    ),
    (
        re.compile(r"timeout expired|timed out"),
        "the PostgreSQL server at {server} did not answer in time: check the host in "
        "SONIC_DATABASE_URL and the network",
    ),
    (
        re.compile(r"could not translate host name|failed to resolve host|Name or service"),
        "cannot resolve the host of {server}: fix the host in SONIC_DATABASE_URL",
    ),
]


def connection_problem(exc: BaseException) -> str | None:
    """One sentence naming why the database cannot be reached or opened, and what to do next;
    None when ``exc`` is not such a failure. libpq reports these only as message text (no
    SQLSTATE before the session exists), so the text is what is matched."""
    cause: BaseException | None = exc
    if isinstance(exc, sa_exc.DBAPIError):
        if not isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
            return None
        cause = exc.orig or exc
    if isinstance(cause, sqlite3.OperationalError):
        first = str(cause).strip().splitlines()[0]
        if first.startswith("no such table"):
            return (
                f"SQLite: {first}: this database is not migrated; run `sonic db migrate` "
                "(or check that SONIC_DATABASE_URL names the database you meant)"
            )
        return f"SQLite: {first}; check SONIC_DATABASE_URL and that its folder is writable"
    if not isinstance(cause, psycopg.OperationalError):
        return None
    message = str(cause)
    where = _PG_SERVER.search(message)
    server = "the server"
    if where:
        server = where["socket"] or f"{where['host']}:{where['port']}"
    for pattern, sentence in _PG_CONNECT_FAILURES:
        found = pattern.search(message)
        if found:
            return sentence.format(server=server, **found.groupdict())
    return None
