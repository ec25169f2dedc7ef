"""Requests that find a per-process view stale at the same moment share one re-read of it."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from sonic_cms.api.app import build_context
from sonic_cms.cache.single_flight import SingleFlight
from sonic_cms.db.engine import Database
from sonic_cms.extensions import lifecycle
from sonic_cms.site_settings import store as site_settings_store
from tests.conftest import make_settings

REQUESTS = 16


class Counted:
    """Wraps ``real``, counting its calls (from any thread)."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            self.calls += 1
        return self.real(*args, **kwargs)


@pytest.mark.anyio
async def test_one_call_serves_every_caller_that_arrives_while_it_runs() -> None:
    flight: SingleFlight[int] = SingleFlight()
    calls = 0

    async def slow() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return calls

    results = await asyncio.gather(*(flight.run(slow) for _ in range(10)))
    assert results == [1] * 10 and calls == 1
    assert await flight.run(slow) == 2  # the next stale moment gets a new call


@pytest.mark.anyio
async def test_a_failure_reaches_every_caller_and_a_caller_leaving_cancels_nothing() -> None:
    flight: SingleFlight[str] = SingleFlight()
    release = asyncio.Event()

    async def failing() -> str:
        await release.wait()
        raise LookupError("gone")

    leaving = asyncio.create_task(flight.run(failing))
    staying = [asyncio.create_task(flight.run(failing)) for _ in range(3)]
    await asyncio.sleep(0)
    leaving.cancel()  # a client that disconnected
    release.set()
    outcomes = await asyncio.gather(*staying, return_exceptions=True)
    assert [type(outcome) for outcome in outcomes] == [LookupError] * 3
    with pytest.raises(asyncio.CancelledError):
        await leaving


@pytest.mark.anyio
async def test_requests_finding_the_plugin_set_stale_read_it_once(
    db_url: str, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL each request used to re-read it in a thread of its own, one after the
    other behind the runtime's lock, while the cached-read fast path stood aside."""
    context = build_context(make_settings(db_url, plugin_status_ttl_ms=60_000), db=db)
    counted = Counted(lifecycle.active_plugins)
    monkeypatch.setattr(lifecycle, "active_plugins", counted)
    context.plugins._checked_at = float("-inf")  # stale for everyone at once
    assert context.plugins.stale()
    await asyncio.gather(*(context.refresh_plugins() for _ in range(REQUESTS)))
    assert counted.calls == 1
    assert not context.plugins.stale()


@pytest.mark.anyio
async def test_requests_finding_the_site_settings_stale_read_them_once(
    db_url: str, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    context = build_context(make_settings(db_url), db=db)
    counted = Counted(site_settings_store.read_saved)
    monkeypatch.setattr(site_settings_store, "read_saved", counted)
    site_settings_store.forget(db)
    answers = await asyncio.gather(*(context.site_settings() for _ in range(REQUESTS)))
    assert counted.calls == 1
    assert {answer.maintenance_mode for answer in answers} == {False}
    assert await context.site_settings() is answers[0]  # now from the process's cache
    assert counted.calls == 1
