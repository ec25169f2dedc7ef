"""Engines and transactions, with the connection discipline DESIGN.md asks of each engine.

SQLite: WAL, foreign keys on every connection, busy_timeout, ``synchronous`` from settings, and
every transaction that may write opened with BEGIN IMMEDIATE. A deferred transaction that later
writes fails with SQLITE_BUSY at once, whatever busy_timeout says, so writers must take the lock
up front; read-only work opts into a deferred BEGIN through :meth:`Database.read`.

PostgreSQL: psycopg 3 with a pool, sessions in UTC so DATETIME columns read the same everywhere.
Each round trip to the server costs about 300 us on a busy two-core machine, more than reading an
item, so the hot reads avoid the ones they do not need: the pool pings a connection only when it
may be dead (:func:`_install_postgresql_liveness`), and reads that need no transaction of their
own run in autocommit (:meth:`Database.read_committed`).
"""

from __future__ import annotations

import select
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool, StaticPool

from sonic_cms.config import Settings
from sonic_cms.db import write_tracking
from sonic_cms.metrics import definitions as metrics

#: Execution option that selects the SQLite BEGIN mode of a connection's transactions.
BEGIN_MODE = "sonic_begin"


def sqlite_path(url: str) -> Path | None:
    """The file a SQLite URL points at, or None for an in-memory database."""
    database = make_url(url).database
    if not database or database == ":memory:":
        return None
    return Path(database)


def _install_sqlite_discipline(engine: Engine, settings: Settings) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Autocommit at the driver level: SQLAlchemy's "begin" event below issues BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(settings.sqlite_busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute(f"PRAGMA synchronous = {settings.sqlite_synchronous}")
        # SQLite's default cache is 2 MiB: at 100k items every list re-reads index pages
        cursor.execute(f"PRAGMA cache_size = -{int(settings.sqlite_cache_size_mb) * 1024}")
        cursor.execute(f"PRAGMA mmap_size = {int(settings.sqlite_mmap_size_mb) * 1024 * 1024}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(BEGIN_MODE, "IMMEDIATE")
        if mode == "NONE":  # Database.read_statement: the statement is its own transaction
            return
        conn.exec_driver_sql("BEGIN" if mode == "DEFERRED" else "BEGIN IMMEDIATE")


def build_engine(settings: Settings) -> Engine:
    """An engine for ``settings.database_url`` with the engine's discipline installed."""
    url = settings.database_url
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"check_same_thread": False})
        else:
            engine = create_engine(
                url, connect_args={"check_same_thread": False}, poolclass=StaticPool
            )
        _install_sqlite_discipline(engine, settings)
        return engine
    engine = create_engine(
        url,
        # jsonb prints a float past 2**64 without an exponent, so the stdlib reads it back as an
        # int that orjson cannot write: orjson reads it as the float the client sent.
        json_deserializer=orjson.loads,
        pool_size=settings.db_pool_size,
        connect_args={"options": "-c timezone=UTC"},
    )
    _install_postgresql_liveness(engine, settings.db_ping_after_idle_seconds)
    return engine


#: Where a pooled connection's record keeps the moment it was last returned to the pool.
_RETURNED_AT = "sonic_returned_at"


def _install_postgresql_liveness(engine: Engine, ping_after_idle: float) -> None:
    """Hand out only live connections, without a ping round trip on every checkout.

    SQLAlchemy's ``pool_pre_ping`` pings at each checkout: one round trip more per request.
    With the BEGIN and COMMIT of a read transaction, an item read took four round trips instead
    of one: 1.37 ms against 0.40 ms in-process (bench/README.md, "PostgreSQL reads without
    needless round trips"). A connection is pinged only when it may be dead: when it has data
    waiting while idle (a server that shut down or dropped it sends an error and closes the
    socket, which makes it readable), or when it sat in the pool longer than
    ``ping_after_idle`` seconds (a firewall or a failover can drop it silently). A failed ping
    makes the pool replace the connection
    (``DisconnectionError``), as ``pool_pre_ping`` would.
    """

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned_at = record.info.pop(_RETURNED_AT, None)
        if returned_at is None:  # a new connection
            return
        if time.monotonic() - returned_at < ping_after_idle and not _has_data_waiting(
            dbapi_connection
        ):
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.DisconnectionError(f"the pooled connection is gone: {error}") from error
        if not alive:
            raise exc.DisconnectionError("the pooled connection is gone")


def _has_data_waiting(dbapi_connection: Any) -> bool:
    """Whether an idle connection's socket is readable (the server said something: a shutdown
    notice or an error before closing) or closed; no round trip."""
    if dbapi_connection.closed or dbapi_connection.broken:
        return True
    try:
        readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _install_metrics(engine: Engine) -> None:
    """Pool use and query time for ``/metrics`` (only when metrics are on).

    A statement pays two ``perf_counter`` calls and one histogram observation: no statement
    text is looked at, so the label set stays empty and the hot path does no string work.
    """
    pool = engine.pool
    metrics.DB_POOL_SIZE.set(pool.size() if isinstance(pool, QueuePool) else 1)

    @event.listens_for(engine, "checkout")
    def _checked_out(*_args: Any) -> None:
        metrics.DB_POOL_IN_USE.inc()

    @event.listens_for(engine, "checkin")
    def _checked_in(*_args: Any) -> None:
        metrics.DB_POOL_IN_USE.dec()

    @event.listens_for(engine, "before_cursor_execute")
    def _started(*args: Any) -> None:
        context = args[4]  # (conn, cursor, statement, parameters, context, executemany)
        if context is not None:  # SQLAlchemy allows None; then the statement goes untimed
            context.sonic_started = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _finished(*args: Any) -> None:
        started = getattr(args[4], "sonic_started", None)
        if started is not None:
            metrics.DB_QUERY_DURATION.observe(time.perf_counter() - started)


#: One writer's turn per SQLite database in this process (see :meth:`Database.write`).
_WRITER_TURNS: dict[str, threading.RLock] = {}
_WRITER_TURNS_GUARD = threading.Lock()


def _writer_turn(url: str) -> threading.RLock:
    """The lock this process's writers of the SQLite database at ``url`` take turns with."""
    with _WRITER_TURNS_GUARD:
        return _WRITER_TURNS.setdefault(url, threading.RLock())


class Database:
    """The application's database: an engine plus the two kinds of transaction it allows.

    The database only: the hook bus, the cache generations and the off-loop runners belong to
    the service :class:`~sonic_cms.context.Context` the composition root builds around it."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine or build_engine(settings)
        write_tracking.install(self.engine)
        if settings.metrics_enabled:
            _install_metrics(self.engine)
        #: Called with the tables a write transaction touched, after it committed (caches).
        self.commit_listeners: list[write_tracking.CommitListener] = []
        self._writer_turn = _writer_turn(settings.database_url) if self.is_sqlite else None

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @property
    def is_sqlite(self) -> bool:
        """Whether this is the embedded engine."""
        return self.dialect == "sqlite"

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that may write: BEGIN IMMEDIATE on SQLite; commits or rolls back whole.

        After the commit, :attr:`commit_listeners` learn which tables it touched.
        """
        with self._sqlite_turn(), self.engine.begin() as conn:
            write_tracking.start(conn)
            try:
                yield conn
            finally:
                touched = write_tracking.finish(conn)
        write_tracking.announce(self.commit_listeners, touched)

    @contextmanager
    def _sqlite_turn(self) -> Iterator[None]:
        """SQLite: wait for this process's other writers on a lock before BEGIN IMMEDIATE.

        SQLite's busy handler makes a waiting writer sleep and retry (1, 2, 5 ... then 100 ms
        at a time), so under a steady stream of writes a writer can keep missing the lock:
        writes' p99 was 665 ms at 85 writes/s with ``synchronous=FULL`` (bench/README.md,
        "Mixed load"). A thread waiting on this lock runs as soon as the previous writer
        commits. Other processes still meet at SQLite's lock with busy_timeout; after waiting
        that long here, a writer goes on to SQLite's lock anyway and gets its usual error.
        """
        if self._writer_turn is None:
            yield
            return
        acquired = self._writer_turn.acquire(timeout=self.settings.sqlite_busy_timeout_ms / 1000)
        try:
            yield
        finally:
            if acquired:
                self._writer_turn.release()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (deferred BEGIN on SQLite, so readers never take the lock)."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(**{BEGIN_MODE: "DEFERRED"})
            with conn.begin():
                yield conn

    @contextmanager
    def read_committed(self) -> Iterator[Connection]:
        """A read whose statements need only see what was committed before each of them:
        on PostgreSQL they run in autocommit, on SQLite as :meth:`read`.

        PostgreSQL's default isolation, READ COMMITTED, gives each statement of a transaction
        its own snapshot, so a read-only transaction there adds nothing but the BEGIN and COMMIT
        round trips (two thirds of an item read's time: bench/README.md, "PostgreSQL reads
        without needless round trips"). Not for work that sets transaction-local settings
        (``SET LOCAL``, ``set_config(..., true)``: search does) or locks rows: use :meth:`read`
        or :meth:`write`.
        """
        if self.is_sqlite:
            with self.read() as conn:
                yield conn
            return
        with self.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            with conn.begin():
                yield conn

    @contextmanager
    def read_statement(self) -> Iterator[Connection]:
        """A connection for a read that runs one statement: on SQLite no BEGIN and COMMIT
        around it (a lone SELECT is its own read transaction, and the two cost a fifth of
        reading an item by id in-process: 94 -> 76 us); on PostgreSQL :meth:`read_committed`.

        Only for exactly one statement: several need :meth:`read`, whose transaction gives
        them one snapshot on SQLite.
        """
        if not self.is_sqlite:
            with self.read_committed() as conn:
                yield conn
            return
        with self.engine.connect() as conn:
            conn = conn.execution_options(**{BEGIN_MODE: "NONE"})
            with conn.begin():
                yield conn

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
