"""The admin's fixtures: an app whose cookies ride over TestClient's plain http, and whose
requests carry the browser's Origin header (the API's same-origin check reads it on cookie
writes); a real server and a real browser for the browser tests (tests/utils/browser.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, sync_playwright

from sonic_cms.api.app import create_app
from sonic_cms.clock import FrozenClock
from sonic_cms.db.engine import Database
from tests.conftest import make_settings
from tests.utils.browser import launch
from tests.utils.live_server import LiveServer, live_server
from tests.utils.redis_server import free_port


@pytest.fixture
def client(db_url: str, db: Database, clock: FrozenClock) -> Iterator[TestClient]:
    settings = make_settings(db_url, auth_cookie_secure=False)
    app = create_app(settings, db=db, clock=clock)
    with TestClient(app, headers={"Origin": "http://testserver"}) as test_client:
        yield test_client


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    port = free_port()
    with live_server(db_url, tmp_path, port=port, public_url=f"http://127.0.0.1:{port}") as live:
        yield live


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = launch(playwright)
        yield launched
        launched.close()
