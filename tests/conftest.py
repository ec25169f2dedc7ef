"""Fixtures: a fresh database per test on every engine, apps and clients built on it.

``db_url`` is parametrized over SQLite and PostgreSQL, so each test that uses it runs on both
(DESIGN.md). Each test gets its own database, copied from a template migrated once per worker,
so tests run in parallel under xdist without sharing state.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import queue
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from sonic_cms.api.app import create_app
from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.db import migrate
from sonic_cms.db.engine import Database
from sonic_cms.storage.local import LocalStorage

START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def _import_anyio_now() -> None:
    """Import every anyio submodule on the main thread, at collection.

    anyio ships a pytest plugin, so pytest rewrites the asserts of every anyio module it imports,
    with ``ast.parse``; anyio imports many of them lazily, on first use, which in a test is
    inside TestClient's portal thread. CPython 3.11 before 3.11.8 counts AST recursion per
    interpreter, not per thread, so two threads building ASTs at once can fail with
    "SystemError: AST constructor recursion depth mismatch" (a fresh-clone run did, on
    /docs's static files). Imported here, later lazy imports are dictionary lookups.
    """
    import anyio

    for found in pkgutil.walk_packages(anyio.__path__, "anyio."):
        try:
            importlib.import_module(found.name)
        except ImportError:  # the trio backend, without trio installed
            continue


_import_anyio_now()


def _service_url(variable: str, what: str) -> str:
    url = os.environ.get(variable)
    if url:
        return url
    message = f"{what} tests need {variable}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: a missing service is a failure)")
    pytest.skip(f"{message}; set it to run them")


def postgres_admin_url() -> str:
    """The PostgreSQL server tests create their databases on (SQLAlchemy form)."""
    return _service_url("SONIC_TEST_POSTGRES_URL", "PostgreSQL")


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_pg_database(template: str | None = None) -> str:
    """Create a new PostgreSQL database (optionally from a template); returns its URL."""
    admin = postgres_admin_url()
    name = f"sonic_t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(_libpq(admin), autocommit=True) as conn:
        suffix = f" TEMPLATE {template}" if template else ""
        if template and conn.info.server_version >= 150000:
            # PostgreSQL 15's default WAL_LOG copy writes the whole template through the WAL:
            # 160 ms a database here against 55 ms for FILE_COPY, paid by every test.
            suffix += " STRATEGY FILE_COPY"
        conn.execute(f'CREATE DATABASE "{name}"{suffix}')
    return make_url(admin).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    """Drop a database created by :func:`create_pg_database`, closing its connections."""
    name = make_url(url).database
    with psycopg.connect(_libpq(postgres_admin_url()), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_settings(url: str, **overrides: object) -> Settings:
    """Settings for a test: the given database, no toml file, a fixed secret.

    A process's time-bounded views (which plugins are active, remembered permissions and
    credentials) do not expire on their own inside a test: on a slow machine a second could
    pass between two requests a test compares, and a re-read would be counted as the page's
    work. Their invalidation by writes still runs; a test of the expiry itself sets a short
    bound."""
    values: dict[str, object] = {
        "database_url": url,
        "env": "test",
        "secret_key": "test-secret-key-0123456789abcdefghijklmnop",
        "config_file": Path("/nonexistent/sonic.toml"),
        "auto_migrate": False,
        "collections_sync_on_start": False,
        "scheduler_interval_seconds": 0,
        # background work polls the database on its own clock; a test that wants the webhook
        # worker running in the app turns it on (tests/webhooks)
        "webhooks_enabled": False,
        "public_url": "http://testserver",  # TestClient's origin
        "plugin_status_ttl_ms": 3_600_000,
        "permission_cache_ttl_seconds": 3600,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(make_settings(f"sqlite:///{path}"))
    migrate.upgrade(db)
    db.dispose()  # closing the last connection checkpoints the WAL into the file
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    url = create_pg_database()
    db = Database(make_settings(url))
    migrate.upgrade(db)
    db.dispose()
    yield str(make_url(url).database)
    drop_pg_database(url)


class PgCopies:
    """Fresh copies of the template, made ahead by a background thread, dropped behind.

    Copying a database and dropping one wait on the server's disk (a checkpoint each): about
    0.4 s per test on a busy 2-core machine when done inline, most of the PostgreSQL half's
    setup time. The thread keeps ``AHEAD`` copies ready while tests run; every test still gets
    a database no other test has touched.
    """

    AHEAD = 2

    def __init__(self, template: str) -> None:
        self._template = template
        self._ready: queue.Queue[str] = queue.Queue(maxsize=self.AHEAD)
        self._spent: queue.Queue[str | None] = queue.Queue()
        self._maker = threading.Thread(target=self._make, daemon=True)
        self._dropper = threading.Thread(target=self._drop, daemon=True)
        self._stopped = threading.Event()
        self._maker.start()
        self._dropper.start()

    def _make(self) -> None:
        while not self._stopped.is_set():
            url = create_pg_database(template=self._template)
            while True:
                try:
                    self._ready.put(url, timeout=0.5)
                    break
                except queue.Full:
                    if self._stopped.is_set():
                        drop_pg_database(url)
                        return

    def _drop(self) -> None:
        while (url := self._spent.get()) is not None:
            drop_pg_database(url)

    def take(self) -> str:
        """A fresh copy (waits for the thread when the tests outrun it)."""
        return self._ready.get(timeout=120)

    def give_back(self, url: str) -> None:
        """Drop ``url`` in the background."""
        self._spent.put(url)

    def close(self) -> None:
        """Stop making copies; drop the spare ones and everything given back."""
        self._stopped.set()
        self._maker.join(timeout=30)
        while not self._ready.empty():
            self._spent.put(self._ready.get_nowait())
        self._spent.put(None)
        self._dropper.join(timeout=120)


@pytest.fixture(scope="session")
def pg_copies(pg_template: str) -> Iterator[PgCopies]:
    copies = PgCopies(pg_template)
    yield copies
    copies.close()


#: Marks a test that runs on PostgreSQL alone (it needs what SQLite does not do: threads,
#: server-side plans, several connections at once).
POSTGRES_ONLY = pytest.mark.parametrize(
    "engine_name", [pytest.param("postgres", marks=pytest.mark.postgres)]
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(engine_name: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated database on each engine."""
    if engine_name == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "sonic.db"
        shutil.copyfile(template, target)
        yield f"sqlite:///{target}"
        return
    copies: PgCopies = request.getfixturevalue("pg_copies")
    url = copies.take()
    yield url
    copies.give_back(url)


@pytest.fixture
def sqlite_db(sqlite_template: Path, tmp_path: Path) -> Iterator[Database]:
    """A freshly migrated SQLite database, for tests about SQLite itself."""
    target = tmp_path / "sqlite-only.db"
    shutil.copyfile(sqlite_template, target)
    database = Database(make_settings(f"sqlite:///{target}"))
    yield database
    database.dispose()


@pytest.fixture
def empty_db_url(engine_name: str, tmp_path: Path) -> Iterator[str]:
    """An empty, never-migrated database on each engine."""
    if engine_name == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    url = create_pg_database()
    yield url
    drop_pg_database(url)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START_MS)


@pytest.fixture
def settings(db_url: str) -> Settings:
    # The test client stands for a trusted proxy, so a test may name its requests by their
    # X-Request-ID (an id from anyone else is replaced: tests/api/test_stdout_logs.py).
    return make_settings(db_url, trusted_proxies="testclient")


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings)
    yield database
    database.dispose()


@pytest.fixture
def ctx(settings: Settings, db: Database, clock: FrozenClock, tmp_path: Path) -> Context:
    """A service context on the test's database with an empty bus, acting for nobody until
    narrowed: ``ctx.acting_as(admin)``."""
    storage = LocalStorage(tmp_path / "media", "/files", settings.effective_secret_key, clock)
    return Context(db=db, clock=clock, settings=settings, storage=storage)


@pytest.fixture
def client(settings: Settings, db: Database, clock: FrozenClock) -> Iterator[TestClient]:
    app = create_app(settings, db=db, clock=clock)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    """argon2id with minimal cost for tests (production parameters take ~0.4 s per hash here)."""
    from argon2 import PasswordHasher

    from sonic_cms.auth import passwords

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_HASHER", cheap)
        patch.setattr(passwords, "DUMMY_HASH", cheap.hash("sonic-cms dummy password for timing"))
        yield


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first: under xdist the last test to start sets the end of the run, so a
    multi-process test collected last would leave the other worker idle for its length."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the schemathesis run's counts (tests/api/test_schemathesis.py records them as a
    property, which also crosses from xdist workers) at the end of every run that has them."""
    for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get(
        "failed", []
    ):
        for name, value in getattr(report, "user_properties", []):
            if name == "schemathesis" and report.when == "call":
                terminalreporter.write_line(str(value))
