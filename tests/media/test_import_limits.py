"""URL import bounds, in process: one total deadline and the concurrency caps.

A real slow HTTP server on 127.0.0.1 (``slow_origin``) drips its body a byte every 0.2 s, so
a per-read timeout never fires; only the total deadline (lowered here) can end the import.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from sonic_cms.api.app import create_app
from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from sonic_cms.storage import Storage
from tests.media.helpers import media_count, stored_keys
from tests.media.slow_origin import SlowOrigin, slow_origin
from tests.utils.auth import bearer_headers

ClientFactory = Callable[..., TestClient]
#: Seconds of scheduling delay a busy 2-core machine may add; the drips last 60 s.
SLACK = 5.0
CAP_DEADLINE = 6


@pytest.fixture(scope="module")
def origin() -> Iterator[SlowOrigin]:
    with slow_origin() as server:
        yield server


@pytest.fixture
def make_client(
    media_settings: Settings, media_db: Database, clock: FrozenClock, media_storage: Storage
) -> Iterator[ClientFactory]:
    """An app with the loopback knob and the given import settings."""
    clients: list[TestClient] = []

    def build(**overrides: Any) -> TestClient:
        values = {"media_import_allow_loopback": True, **overrides}
        settings = media_settings.model_copy(update=values)
        app = create_app(settings, db=media_db, clock=clock, storage=media_storage)
        clients.append(TestClient(app).__enter__())
        return clients[-1]

    yield build
    for client in clients:
        client.__exit__(None, None, None)


def _import(client: TestClient, headers: dict[str, str], url: str) -> httpx.Response:
    return client.post("/api/media/import", headers=headers, json={"url": url})


def _author(db: Database, settings: Settings, clock: FrozenClock) -> dict[str, str]:
    return bearer_headers(db, settings, clock, "author")


@pytest.mark.parametrize("path", ["/drip", "/slowhop/2"])
def test_a_slow_origin_is_cut_off_at_the_total_deadline(
    make_client: ClientFactory, media_db: Database, media_settings: Settings,
    clock: FrozenClock, media_storage: Storage, origin: SlowOrigin, path: str,
):  # fmt: skip
    """A drip (each byte inside any read timeout) and three 0.6 s hops (each inside it, 1.8 s
    together) both end at the 1 s deadline with a 504, leaving nothing stored."""
    client = make_client(media_import_timeout_seconds=1.0)
    started = time.monotonic()
    response = _import(client, _author(media_db, media_settings, clock), origin.url + path)
    elapsed = time.monotonic() - started
    assert response.status_code == 504, response.text
    body = response.json()
    assert body["code"] == "import_timeout" and "1 s" in body["error"]
    assert body["details"][0]["path"] == "url"
    # generous for a loaded CI machine, and still far below the drip's 60 s
    assert elapsed < 1.0 + SLACK, f"the import took {elapsed:.1f} s against a 1 s deadline"
    assert media_count(media_db) == 0 and stored_keys(media_storage) == []


def test_the_deadline_still_lets_a_quick_import_through(
    make_client: ClientFactory, media_db: Database, media_settings: Settings,
    clock: FrozenClock, origin: SlowOrigin,
):  # fmt: skip
    # 5 s, not 1 s: on a loaded 2-core CI machine a quick local download once took over 1 s
    client = make_client(media_import_timeout_seconds=5.0)
    response = _import(client, _author(media_db, media_settings, clock), origin.url + "/img.png")
    assert response.status_code == 200, response.text
    assert media_count(media_db) == 1


def test_redirects_stay_ssrf_checked_under_the_async_download(
    make_client: ClientFactory, media_db: Database, media_settings: Settings,
    clock: FrozenClock, media_storage: Storage, origin: SlowOrigin,
):  # fmt: skip
    client = make_client(media_import_timeout_seconds=1.0)
    headers = _author(media_db, media_settings, clock)
    for target in ("http://169.254.169.254/latest/", "http://10.0.0.1/", "http://[fe80::1]/"):
        response = _import(client, headers, f"{origin.url}/to?u={target}")
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "url_not_allowed"
    assert media_count(media_db) == 0 and stored_keys(media_storage) == []


def _expect_busy(
    client: TestClient, headers: dict[str, str], url: str, limit: str, timeout: int
) -> None:
    """Refused at once (no queueing for a slot), with the error body and Retry-After."""
    started = time.monotonic()
    response = _import(client, headers, url)
    assert time.monotonic() - started < SLACK, "a refusal must not wait for a slot"
    assert response.status_code == 429, response.text
    body = response.json()
    assert body["code"] == "too_many_imports"
    assert body["details"] == [{"limit": limit, "max": {"per_user": 2, "global": 3}[limit]}]
    assert response.headers["Retry-After"] == str(timeout)


@pytest.mark.slow
def test_per_user_and_global_caps_answer_429_and_free_their_slots(
    make_client: ClientFactory, media_db: Database, media_settings: Settings,
    clock: FrozenClock, media_storage: Storage, origin: SlowOrigin,
):  # fmt: skip
    """Two drips by A fill A's cap (2); one by B fills the global cap (3). A third import by A,
    and one by C, are refused at once; once the drips time out, the slots are free again."""
    client = make_client(
        media_import_timeout_seconds=CAP_DEADLINE,
        media_import_max_concurrent=3,
        media_import_max_concurrent_per_user=2,
    )
    a, b, c = (_author(media_db, media_settings, clock) for _ in range(3))
    drip = origin.url + "/drip"
    before = origin.started
    with ThreadPoolExecutor(max_workers=3) as pool:
        slow: list[Future[httpx.Response]] = [pool.submit(_import, client, a, drip)]
        slow.append(pool.submit(_import, client, a, drip))
        origin.wait_for_started(before + 2)
        _expect_busy(client, a, drip, "per_user", CAP_DEADLINE)
        slow.append(pool.submit(_import, client, b, drip))
        origin.wait_for_started(before + 3)
        _expect_busy(client, c, origin.url + "/img.png", "global", CAP_DEADLINE)
        assert [f.result().status_code for f in slow] == [504, 504, 504]
    assert media_count(media_db) == 0 and stored_keys(media_storage) == []
    assert _import(client, a, origin.url + "/img.png").status_code == 200
    assert _import(client, c, origin.url + "/img.png").status_code == 200
