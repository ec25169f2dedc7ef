"""An app whose cookies ride over TestClient's plain http, and whose requests carry the
browser's Origin header (the API's same-origin check reads it on cookie writes)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from sonic_cms.api.app import create_app
from sonic_cms.clock import FrozenClock
from sonic_cms.db.engine import Database
from tests.conftest import make_settings


@pytest.fixture
def client(db_url: str, db: Database, clock: FrozenClock) -> Iterator[TestClient]:
    settings = make_settings(db_url, auth_cookie_secure=False)
    app = create_app(settings, db=db, clock=clock)
    with TestClient(app, headers={"Origin": "http://testserver"}) as test_client:
        yield test_client
