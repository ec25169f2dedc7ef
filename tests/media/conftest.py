"""Media fixtures: a ``storage`` fixture over both backends (litestar's store-fixture pattern).

The S3 backend runs against moto's standalone server, a real process on a free loopback port
started once per test session (per xdist worker), with a fresh bucket per test.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sonic_cms.api.app import create_app
from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.storage import Storage
from sonic_cms.storage.local import LocalStorage
from sonic_cms.storage.s3 import S3Storage, s3_client
from tests.conftest import make_settings

S3_KEYS = {"media_s3_access_key_id": "testing", "media_s3_secret_access_key": "testing"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("moto server exited at start")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("moto server did not start")


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto S3 server process on loopback for the whole session."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process, 30)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


#: (engine, backend) pairs the API tests run on: each engine and each backend is covered, and
#: the fourth pair (PostgreSQL with S3) would repeat both for another minute of CI time.
COMBINATIONS = [
    pytest.param(("sqlite", "local"), id="sqlite-local"),
    pytest.param(("sqlite", "s3"), id="sqlite-s3"),
    pytest.param(("postgres", "local"), id="postgres-local", marks=pytest.mark.postgres),
]


@pytest.fixture(params=COMBINATIONS)
def combination(request: pytest.FixtureRequest) -> tuple[str, str]:
    return tuple(request.param)  # type: ignore[return-value]


@pytest.fixture
def engine_name(combination: tuple[str, str]) -> str:
    """Overrides the root fixture: the engine half of this test's combination."""
    return combination[0]


@pytest.fixture(params=["local", "s3"])
def storage_backend(request: pytest.FixtureRequest) -> str:
    """The backend of the bare ``storage`` fixture."""
    return str(request.param)


def backend_settings(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> dict[str, object]:
    """The media settings of ``backend``: a folder under tmp_path, or a fresh bucket on moto."""
    values: dict[str, object] = {"media_storage": backend, "media_local_dir": tmp_path / "media"}
    if backend == "s3":
        values.update(
            S3_KEYS,
            media_s3_endpoint_url=request.getfixturevalue("moto_endpoint"),
            media_s3_bucket=f"t-{uuid.uuid4().hex[:20]}",
            media_s3_path_style=True,
        )
    return values


_CLIENTS: dict[str, Any] = {}


def build_test_storage(settings: Settings, clock: FrozenClock) -> Storage:
    """The backend ``settings`` name, with its bucket created for S3.

    boto3 clients are slow to build (they load service models), so one per endpoint is reused.
    """
    if settings.media_storage == "s3":
        endpoint = settings.media_s3_endpoint_url
        if endpoint not in _CLIENTS:
            _CLIENTS[endpoint] = s3_client(settings)
        storage = S3Storage(_CLIENTS[endpoint], settings.media_s3_bucket, "/files")
        storage.ensure_bucket()
        return storage
    return LocalStorage(settings.media_local_dir, "/files", settings.effective_secret_key, clock)


@pytest.fixture
def storage(
    storage_backend: str, request: pytest.FixtureRequest, tmp_path: Path, clock: FrozenClock
) -> Storage:
    """An empty store on each backend."""
    values = backend_settings(storage_backend, request, tmp_path)
    settings = make_settings("sqlite:///" + str(tmp_path / "unused.db"), **values)
    return build_test_storage(settings, clock)


@pytest.fixture
def media_settings(
    db_url: str, combination: tuple[str, str], request: pytest.FixtureRequest, tmp_path: Path
) -> Settings:
    """Settings for a media test: the database and backend under test, small limits."""
    values = backend_settings(combination[1], request, tmp_path)
    return make_settings(db_url, media_max_bytes=2_000_000, **values)


@pytest.fixture
def media_db(media_settings: Settings) -> Iterator[Database]:
    database = Database(media_settings)
    yield database
    database.dispose()


@pytest.fixture
def media_storage(media_settings: Settings, clock: FrozenClock) -> Storage:
    return build_test_storage(media_settings, clock)


@pytest.fixture
def ctx(
    media_settings: Settings, media_db: Database, clock: FrozenClock, media_storage: Storage
) -> Context:
    """Overrides the root fixture: a service context on the database and storage under test,
    acting for nobody until narrowed (``ctx.acting_as(editor)``)."""
    return Context(db=media_db, clock=clock, settings=media_settings, storage=media_storage)


@pytest.fixture
def media_client(
    media_settings: Settings, media_db: Database, clock: FrozenClock, media_storage: Storage
) -> Iterator[TestClient]:
    """An app on the database and storage under test."""
    app = create_app(media_settings, db=media_db, clock=clock, storage=media_storage)
    with TestClient(app) as test_client:
        yield test_client
