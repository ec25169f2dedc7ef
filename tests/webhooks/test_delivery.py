"""Delivery end to end with a real receiver on loopback: the outbox written in the change's
transaction, Standard Webhooks signatures a receiver's library verifies, retries, the endpoint
disabled after a run of failures, redirects, redelivery. Both engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import orjson
import pytest
from sqlalchemy import func, select
from standardwebhooks import Webhook, WebhookVerificationError

from sonic_cms.actors import Actor
from sonic_cms.content.items import create_item, delete_item
from sonic_cms.context import Context
from sonic_cms.db.schema import WebhookAttempt, WebhookEvent
from sonic_cms.errors import PreconditionFailed
from sonic_cms.plugins.hookspecs import CONTENT_CREATE
from sonic_cms.webhooks import deliveries, endpoints, worker
from sonic_cms.workflow.transitions import transition
from tests.content.helpers import sync_examples
from tests.utils.query_count import counting_statements
from tests.webhooks.conftest import with_settings
from tests.webhooks.receiver import running_receiver


def _register(ctx: Context, admin: Actor, url: str, **extra: Any) -> tuple[dict[str, Any], str]:
    body = {"url": url, "events": ["content:create"], **extra}
    return endpoints.create_endpoint(ctx.acting_as(admin), body)


def _post(ctx: Context, admin: Actor, title: str = "Hello") -> dict[str, Any]:
    body = {"collectionId": "blog-posts", "title": title, "data": {"content": "<p>x</p>"}}
    return create_item(ctx.acting_as(admin), body)


def _deliver(ctx: Context) -> worker.PassReport:
    return anyio.run(lambda: worker.deliver_due(ctx))


def _outbox(ctx: Context) -> list[Any]:
    with ctx.db.read() as conn:
        return conn.execute(select(WebhookEvent).order_by(WebhookEvent.created_at)).all()


def _attempts(ctx: Context) -> list[Any]:
    with ctx.db.read() as conn:
        return conn.execute(select(WebhookAttempt).order_by(WebhookAttempt.attempt)).all()


@pytest.fixture
def collections(db, clock) -> None:
    sync_examples(db, clock)


def test_a_created_item_is_delivered_signed_and_verifies(wctx, admin, receiver, collections):
    _, secret = _register(wctx, admin, receiver.url)
    item = _post(wctx, admin)
    report = _deliver(wctx)
    assert len(report.delivered) == 1 and not report.retrying
    (got,) = receiver.received
    payload = Webhook(secret).verify(got.body, got.headers)
    assert payload["type"] == "content:create"
    assert payload["data"] == item  # the resource in its API representation
    assert payload["timestamp"].endswith("Z")
    assert got.headers["webhook-id"] == report.delivered[0]
    assert got.headers["content-type"] == "application/json"
    (row,) = _outbox(wctx)
    assert row.status == "delivered" and row.attempts == 1


def test_a_receiver_with_the_wrong_secret_or_a_stale_timestamp_refuses(
    wctx, admin, receiver, collections
):
    _register(wctx, admin, receiver.url)
    _post(wctx, admin)
    _deliver(wctx)
    (got,) = receiver.received
    other = endpoints.create_endpoint(
        wctx.acting_as(admin), {"url": receiver.url, "events": ["media:upload"]}
    )[1]
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(other).verify(got.body, got.headers)
    tampered = got.body.replace(b"Hello", b"Hellp")
    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify(tampered, got.headers)


def test_a_replayed_old_delivery_fails_verification(wctx, admin, receiver, collections, clock):
    clock.current_ms = int((datetime.now(UTC) - timedelta(minutes=10)).timestamp() * 1000)
    _, secret = _register(wctx, admin, receiver.url)
    _post(wctx, admin)
    _deliver(wctx)  # signed with a timestamp ten minutes old, as a replay would be
    (got,) = receiver.received
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(got.body, got.headers)


def test_failing_twice_then_succeeding_is_three_attempts_and_one_success(
    wctx, admin, collections, clock
):
    with running_receiver(500, 503, 200) as flaky:
        _register(wctx, admin, flaky.url)
        _post(wctx, admin)
        first = _deliver(wctx)
        assert first.retrying and not first.delivered
        assert _deliver(wctx).sent == 0  # not due yet: the backoff holds it
        for _ in range(2):
            clock.advance(60_000)
            _deliver(wctx)
    attempts = _attempts(wctx)
    assert [a.outcome for a in attempts] == ["http_error", "http_error", "success"]
    assert [a.response_status for a in attempts] == [500, 503, 200]
    assert [a.attempt for a in attempts] == [1, 2, 3]
    assert all(a.duration_ms >= 0 for a in attempts)
    assert attempts[-1].response_body == "ok"
    assert len(flaky.received) == 3
    assert len({r.headers["webhook-id"] for r in flaky.received}) == 1  # one message
    (row,) = _outbox(wctx)
    assert row.status == "delivered" and row.delivered_at is not None


def test_a_receiver_that_is_down_gets_its_endpoint_disabled(wctx, admin, collections, clock):
    with running_receiver() as gone:
        url = gone.url
    endpoint, _ = _register(wctx, admin, url)  # nothing listens there any more
    for n in range(3):
        _post(wctx, admin, f"Post {n}")
    _deliver(wctx)
    after = endpoints.get_endpoint(wctx.acting_as(admin), endpoint["id"])
    assert not after["is_active"] and after["consecutive_failures"] == 3
    assert "3 consecutive failed deliveries" in after["disabled_reason"]
    assert {a.outcome for a in _attempts(wctx)} == {"network_error"}
    _post(wctx, admin, "After")  # a disabled endpoint gets no new events
    assert len(_outbox(wctx)) == 3
    clock.advance(3_600_000)
    assert _deliver(wctx).sent == 0  # nor attempts
    enabled = endpoints.update_endpoint(wctx.acting_as(admin), endpoint["id"], {"is_active": True})
    assert enabled["is_active"] and enabled["consecutive_failures"] == 0


def test_gives_up_after_the_attempt_limit(wctx, admin, collections, clock):
    with running_receiver(500) as failing:
        _register(wctx, admin, failing.url)
        endpoints_ctx = wctx.acting_as(admin)
        _post(wctx, admin)
        for _ in range(5):
            _deliver(wctx)
            clock.advance(3_600_000)
            # keep the endpoint alive: this test is about one event's attempts
            for e in endpoints.list_endpoints(endpoints_ctx):
                endpoints.update_endpoint(endpoints_ctx, e["id"], {"is_active": True})
        assert len(failing.received) == 5
    (row,) = _outbox(wctx)
    assert row.status == "failed" and row.attempts == 5


def test_a_rolled_back_write_sends_nothing(wctx, admin, receiver, collections):
    _register(wctx, admin, receiver.url, events=["content:create", "content:delete"])
    item = _post(wctx, admin)
    with pytest.raises(PreconditionFailed):  # refused inside the transaction: rolled back
        delete_item(wctx.acting_as(admin), item["id"], if_match='"not-the-etag"')
    assert [r.event_type for r in _outbox(wctx)] == ["content:create"]
    with pytest.raises(RuntimeError), wctx.db.write() as conn:
        scope = wctx.hook_scope(conn)
        scope.record(CONTENT_CREATE, lambda: {"id": "x"})
        assert conn.execute(select(func.count()).select_from(WebhookEvent)).scalar_one() == 2
        raise RuntimeError("the write fails after the event was written")
    assert len(_outbox(wctx)) == 1
    _deliver(wctx)
    assert [orjson.loads(r.body)["type"] for r in receiver.received] == ["content:create"]


def test_collection_filter_and_event_choice(wctx, admin, receiver, collections):
    _register(wctx, admin, receiver.url, events=["content:publish"], collections=["pages"])
    _post(wctx, admin)  # a blog post: neither the event nor the collection
    assert _outbox(wctx) == []
    _register(wctx, admin, receiver.url, events=["content:delete"], collections=["blog-posts"])
    item = _post(wctx, admin, "Second")
    delete_item(wctx.acting_as(admin), item["id"])
    assert [r.event_type for r in _outbox(wctx)] == ["content:delete"]


def test_workflow_transitions_and_publishing_are_events(wctx, admin, receiver, collections):
    _register(wctx, admin, receiver.url, events=["workflow:transition", "content:publish"])
    item = _post(wctx, admin)
    transition(wctx.acting_as(admin), item["id"], "published")
    types = [r.event_type for r in _outbox(wctx)]
    assert sorted(types) == ["content:publish", "workflow:transition"]
    _deliver(wctx)
    bodies = {orjson.loads(r.body)["type"]: orjson.loads(r.body)["data"] for r in receiver.received}
    assert bodies["content:publish"]["status"] == "published"
    moved = bodies["workflow:transition"]
    assert moved["content_id"] == item["id"] and moved["to_state"] == "published"
    assert moved["collection_id"] == item["collectionId"]


def test_redirects_are_not_followed(wctx, admin, collections):
    with running_receiver() as target, running_receiver(302) as redirecting:
        redirecting.answer_headers["Location"] = target.url
        _register(wctx, admin, redirecting.url)
        _post(wctx, admin)
        _deliver(wctx)
        assert target.received == []
    (attempt,) = _attempts(wctx)
    assert attempt.outcome == "http_error" and attempt.response_status == 302


def test_a_followed_redirect_to_a_private_address_is_refused(wctx, admin, collections):
    ctx = with_settings(wctx, webhooks_max_redirects=2)
    with running_receiver(307) as redirecting:
        redirecting.answer_headers["Location"] = "http://10.0.0.7/internal"
        _register(ctx, admin, redirecting.url)
        _post(ctx, admin)
        _deliver(ctx)
    (attempt,) = _attempts(ctx)
    assert attempt.outcome == "refused" and "may not reach" in attempt.error


def test_manual_redelivery_sends_the_same_message_again(wctx, admin, receiver, collections):
    endpoint, secret = _register(wctx, admin, receiver.url)
    _post(wctx, admin)
    _deliver(wctx)
    (listed,) = deliveries.list_deliveries(wctx.acting_as(admin), endpoint["id"])
    assert listed["status"] == "delivered" and len(listed["attempts"]) == 1
    deliveries.redeliver(wctx.acting_as(admin), listed["id"])
    _deliver(wctx)
    assert len(receiver.received) == 2
    assert receiver.received[0].body == receiver.received[1].body
    assert {r.headers["webhook-id"] for r in receiver.received} == {listed["id"]}
    Webhook(secret).verify(receiver.received[1].body, receiver.received[1].headers)
    (again,) = deliveries.list_deliveries(wctx.acting_as(admin), endpoint["id"])
    assert [a["attempt"] for a in again["attempts"]] == [1, 2]


def test_a_crashed_workers_claim_runs_out_and_another_sends_it(
    wctx, admin, receiver, collections, clock
):
    _register(wctx, admin, receiver.url)
    _post(wctx, admin)
    (claim,) = worker.claim_due(wctx)  # a worker claims it, then dies before sending
    assert _deliver(wctx).sent == 0  # the lease holds
    clock.advance(worker.lease_ms(wctx) + 1)
    assert len(_deliver(wctx).delivered) == 1
    late = worker.finish(wctx, claim, worker.Result("success", 200, "", None, 1))
    assert late == "lost"  # the dead worker's result, if it came back, changes nothing
    assert len(receiver.received) == 1


def test_the_subscriptions_are_remembered_until_an_endpoint_changes(
    wctx, admin, receiver, collections, db
):
    _post(wctx, admin, "Warm")
    with counting_statements(db.engine) as seen:
        _post(wctx, admin, "No endpoint")
    assert not [sql for sql in seen.sql if "webhook_endpoints" in sql]
    assert _outbox(wctx) == []
    _register(wctx, admin, receiver.url)  # moves the config generation
    _post(wctx, admin, "Now wanted")
    assert [r.event_type for r in _outbox(wctx)] == ["content:create"]


def test_old_finished_deliveries_are_pruned_and_pending_ones_kept(
    wctx, admin, receiver, collections, clock
):
    _register(wctx, admin, receiver.url)
    _post(wctx, admin, "Delivered long ago")
    _deliver(wctx)
    _post(wctx, admin, "Still pending")  # not sent: no pass after it
    clock.advance(29 * 86_400_000)
    assert worker.prune(wctx) == 0  # within SONIC_WEBHOOKS_RETENTION_DAYS (30)
    clock.advance(2 * 86_400_000)
    assert worker.prune(wctx) == 1
    assert [r.status for r in _outbox(wctx)] == ["pending"]
    assert _attempts(wctx) == []  # the pruned event's attempt went with it


def test_a_name_that_resolves_to_a_private_address_at_delivery_is_refused(
    wctx, admin, receiver, collections
):
    # registered while the name was allowed; by delivery time the rule refuses where it points
    # (as when a DNS answer changes to a private address after registration)
    local = receiver.url.replace("127.0.0.1", "localhost")
    _register(wctx, admin, local)
    _post(wctx, admin)
    strict = with_settings(wctx, webhooks_allow_loopback=False)
    report = anyio.run(lambda: worker.deliver_due(strict))
    assert report.retrying and receiver.received == []
    (attempt,) = _attempts(wctx)
    assert attempt.outcome == "refused" and "may not reach" in attempt.error
