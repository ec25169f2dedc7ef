"""Two real `sonic serve` processes on one database, both running the delivery worker: every
event reaches the receiver exactly once (the claim's lease), on both engines."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from sonic_cms.content.items import create_item
from sonic_cms.db.schema import WebhookAttempt, WebhookEvent
from sonic_cms.webhooks import endpoints
from tests.content.helpers import sync_examples
from tests.utils.live_server import live_server
from tests.webhooks.receiver import running_receiver

EVENTS = 40
SERVER_SETTINGS = {
    "webhooks_allow_loopback": "true",
    "webhooks_poll_seconds": "0.1",
}


@pytest.mark.slow
def test_two_servers_deliver_each_event_once(db, clock, wctx, admin, tmp_path):
    sync_examples(db, clock)
    with running_receiver() as receiver:
        receiver.delay_seconds = 0.02  # slow enough that both workers have claims in flight
        endpoints.create_endpoint(
            wctx.acting_as(admin), {"url": receiver.url, "events": ["content:create"]}
        )
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        url = db.settings.database_url
        # the servers must read the secrets sealed under this test's key
        key = db.settings.secret_key
        with (
            live_server(url, tmp_path / "a", secret_key=key, **SERVER_SETTINGS) as first,
            live_server(url, tmp_path / "b", secret_key=key, **SERVER_SETTINGS),
        ):
            for n in range(EVENTS):
                body = {
                    "collectionId": "blog-posts",
                    "title": f"Item {n}",
                    "data": {"content": "x"},
                }
                create_item(wctx.acting_as(admin), body)
            _wait_until(lambda: _delivered(db) == EVENTS, 60, lambda: _why(db, first.log_tail()))
            time.sleep(1.0)  # a duplicate, if any, would arrive meanwhile
        ids = Counter(r.headers["webhook-id"] for r in receiver.received)
    assert len(ids) == EVENTS
    assert set(ids.values()) == {1}, [i for i, n in ids.items() if n > 1]
    with db.read() as conn:
        outcomes = Counter(conn.execute(select(WebhookAttempt.outcome)).scalars())
    assert outcomes["success"] == EVENTS, outcomes  # one successful attempt per event


def _delivered(db) -> int:
    with db.read() as conn:
        query = select(func.count()).where(WebhookEvent.status == "delivered")
        return int(conn.execute(query).scalar_one())


def _why(db, log: str) -> str:
    with db.read() as conn:
        outcomes = conn.execute(select(WebhookAttempt.outcome, WebhookAttempt.error)).all()
    return f"attempts: {outcomes[:5]}; log: {log}"


def _wait_until(condition, seconds: float, explain) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"the servers did not deliver in time: {explain()}"
        time.sleep(0.1)
