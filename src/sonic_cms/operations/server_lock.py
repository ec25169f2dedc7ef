"""Who is using the database: running servers hold a shared lock, a restore needs it exclusive.

SQLite: each server worker holds a shared ``flock`` on ``<database>.server.lock`` next to the
database file (with its pid and start time written in for people); the kernel drops the lock
when the process dies, so a crashed server never leaves a stale lock behind. PostgreSQL: each
worker holds a session-level shared advisory lock on a dedicated connection. A restore takes the
same lock exclusively without waiting, so it refuses at once while a server runs, and a server
started during a restore refuses to start.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from sonic_cms.config import Settings
from sonic_cms.db.engine import sqlite_path

#: The advisory lock key (advisory locks are per database): "sonic" in ASCII.
ADVISORY_KEY = 0x736F6E6963


class DatabaseBusy(RuntimeError):
    """A server is running against the database (or a restore is in progress)."""

    code = "server_running"


def lock_file(settings: Settings) -> Path | None:
    """The SQLite lock file next to the database; None for PostgreSQL and in-memory SQLite."""
    if not settings.is_sqlite:
        return None
    path = sqlite_path(settings.database_url)
    return None if path is None else path.with_name(path.name + ".server.lock")


@contextmanager
def server_presence(settings: Settings) -> Iterator[None]:
    """Held by a running server for its lifetime; raises DatabaseBusy during a restore."""
    with _locked(settings, exclusive=False):
        yield


@contextmanager
def exclusive_maintenance(settings: Settings) -> Iterator[None]:
    """Held by a restore; raises DatabaseBusy when a server is running on the database."""
    with _locked(settings, exclusive=True):
        yield


@contextmanager
def _locked(settings: Settings, exclusive: bool) -> Iterator[None]:
    path = lock_file(settings)
    if settings.is_sqlite:
        if path is None:
            yield
            return
        with _file_lock(path, exclusive):
            yield
        return
    with _advisory_lock(settings.database_url, exclusive):
        yield


@contextmanager
def _file_lock(path: Path, exclusive: bool) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise DatabaseBusy(_busy_message(exclusive, _holder(path))) from error
        if not exclusive:
            stamp = f"pid={os.getpid()} host={socket.gethostname()} since={int(time.time())}\n"
            os.write(fd, stamp.encode())
        yield
    finally:
        os.close(fd)


def _holder(path: Path) -> str:
    try:
        text = path.read_text().strip().splitlines()
    except OSError:
        return ""
    return f" ({text[-1]})" if text else ""


@contextmanager
def _advisory_lock(url: str, exclusive: bool) -> Iterator[None]:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        kind = "" if exclusive else "_shared"
        row = conn.execute(f"SELECT pg_try_advisory_lock{kind}(%s)", (ADVISORY_KEY,)).fetchone()
        if not row or not row[0]:
            raise DatabaseBusy(_busy_message(exclusive, ""))
        try:
            yield
        finally:
            # Released here, not by closing: the backend of a closed connection drops its
            # locks when it gets round to exiting, after the caller has moved on. A broken
            # connection has no backend left to hold them.
            with contextlib.suppress(psycopg.Error):
                conn.execute(f"SELECT pg_advisory_unlock{kind}(%s)", (ADVISORY_KEY,))


def _busy_message(exclusive: bool, holder: str) -> str:
    if exclusive:
        return (
            f"a sonic server is running against this database{holder}; stop it "
            "(every worker) before restoring, then start it again"
        )
    return "a restore is in progress on this database; start the server when it has finished"


def server_running(settings: Settings) -> bool:
    """Whether a server holds the database now (for `sonic db info`-like reports)."""
    try:
        with exclusive_maintenance(settings):
            return False
    except DatabaseBusy:
        return True
