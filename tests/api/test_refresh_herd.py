"""Requests that find a per-process view stale at the same moment share one re-read of it."""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.requests import Request

from sonic_cms.actors import SYSTEM
from sonic_cms.api.app import build_context
from sonic_cms.api.auth import authenticate
from sonic_cms.api.context import AppContext
from sonic_cms.auth import api_tokens
from sonic_cms.cache.single_flight import SingleFlight
from sonic_cms.clock import FrozenClock
from sonic_cms.db.engine import Database
from sonic_cms.errors import Unauthorized
from sonic_cms.extensions import lifecycle
from sonic_cms.operations import settings_admin
from sonic_cms.site_settings import store as site_settings_store
from tests.conftest import POSTGRES_ONLY, make_settings
from tests.utils.auth import create_random_user

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
async def test_flights_of_different_keys_run_apart() -> None:
    flight: SingleFlight[str] = SingleFlight()
    calls: list[str] = []

    def load(key: str) -> Any:
        async def call() -> str:
            calls.append(key)
            await asyncio.sleep(0.02)
            return key

        return call

    results = await asyncio.gather(*(flight.run(load(k), key=k) for k in ("a", "b", "a", "b")))
    assert results == ["a", "b", "a", "b"]
    assert sorted(calls) == ["a", "b"]
    assert len(flight) == 0  # a flight leaves when its call ends


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


def bearer_request(context: AppContext, credential: str) -> Request:
    app = SimpleNamespace(state=SimpleNamespace(ctx=context))
    headers = [(b"authorization", f"Bearer {credential}".encode())]
    return Request({"type": "http", "method": "GET", "headers": headers, "app": app})


def api_token(context: AppContext, db: Database, clock: FrozenClock) -> tuple[str, str]:
    """``(token id, secret)`` of a new token of a new editor."""
    owner = create_random_user(db, clock, "editor")
    row, secret = api_tokens.create_token(
        context.services.acting_as(SYSTEM),
        name="reader",
        permissions=["content.read"],
        user_id=owner.id,
    )
    return row["id"], secret


# PostgreSQL only: SQLite resolves a credential inline on the event loop, so no request can
# arrive while another resolves it, and nothing would be shared or joined.
@POSTGRES_ONLY
@pytest.mark.anyio
async def test_requests_carrying_a_token_this_process_does_not_remember_resolve_it_once(
    db_url: str, db: Database, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A remembered credential expires for every request carrying it at the same moment."""
    context = build_context(make_settings(db_url), db=db)
    _, secret = api_token(context, db, clock)
    counted = Counted(api_tokens.resolve_token)
    monkeypatch.setattr(api_tokens, "resolve_token", counted)
    actors = await asyncio.gather(
        *(authenticate(bearer_request(context, secret)) for _ in range(REQUESTS))
    )
    assert counted.calls == 1
    assert {actor.token_id for actor in actors} != {None}
    assert len({id(actor) for actor in actors}) == 1
    await authenticate(bearer_request(context, secret))  # now from memory
    assert counted.calls == 1


class HeldAfterFirst(Counted):
    """Counts calls; the first one returns only once released, as a read that has read its
    rows and not yet answered (a slow round trip)."""

    def __init__(self, real: Any) -> None:
        super().__init__(real)
        self.read, self.release = threading.Event(), threading.Event()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        result = super().__call__(*args, **kwargs)
        if not self.read.is_set():
            self.read.set()
            self.release.wait(10)
        return result


@POSTGRES_ONLY
@pytest.mark.anyio
async def test_a_request_after_a_revocation_never_joins_a_resolution_from_before_it(
    db_url: str, db: Database, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Joining is keyed on the generations read before resolving: a request that saw the
    revocation's write starts its own resolution rather than take one read before it."""
    context = build_context(make_settings(db_url), db=db)
    token_id, secret = api_token(context, db, clock)
    held = HeldAfterFirst(api_tokens.resolve_token)
    monkeypatch.setattr(api_tokens, "resolve_token", held)
    before = asyncio.create_task(authenticate(bearer_request(context, secret)))
    await asyncio.to_thread(held.read.wait, 10)
    api_tokens.revoke_token(context.services.acting_as(SYSTEM), token_id)
    after = asyncio.create_task(authenticate(bearer_request(context, secret)))
    await asyncio.sleep(0.05)
    held.release.set()
    assert (await before).token_id == token_id  # it read before the revocation
    with pytest.raises(Unauthorized):
        await after
    assert held.calls == 2


@POSTGRES_ONLY
@pytest.mark.anyio
async def test_a_request_after_a_settings_save_never_joins_a_read_from_before_it(
    db_url: str, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    context = build_context(make_settings(db_url), db=db)
    site_settings_store.forget(db)
    held = HeldAfterFirst(site_settings_store.read_saved)
    monkeypatch.setattr(site_settings_store, "read_saved", held)
    before = asyncio.create_task(context.site_settings())
    await asyncio.to_thread(held.read.wait, 10)
    settings_admin.update_settings(context.services.acting_as(SYSTEM), {"site_name": "Saved"})
    after = asyncio.create_task(context.site_settings())
    await asyncio.sleep(0.05)
    held.release.set()
    assert (await before).site_name != "Saved"
    assert (await after).site_name == "Saved"
