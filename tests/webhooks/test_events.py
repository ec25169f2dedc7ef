"""The media and account events, and the delivery metrics, on both engines."""

from __future__ import annotations

import io

import anyio
import orjson
from sqlalchemy import select

from sonic_cms.auth.users import create_user
from sonic_cms.context import Context
from sonic_cms.db.schema import WebhookEvent
from sonic_cms.media.manage import soft_delete
from sonic_cms.media.upload import MediaMeta, upload_media
from sonic_cms.metrics.definitions import REGISTRY
from sonic_cms.webhooks import endpoints, worker
from tests.media.helpers import image_bytes
from tests.utils.auth import TEST_PASSWORD
from tests.webhooks.conftest import with_settings


def _bodies(ctx: Context) -> list[dict]:
    with ctx.db.read() as conn:
        rows = conn.execute(select(WebhookEvent.body).order_by(WebhookEvent.created_at)).all()
    return [orjson.loads(row.body) for row in rows]


def test_media_and_account_events_carry_their_api_representation(wctx, admin, receiver):
    events = ["media:upload", "media:delete", "auth:register"]
    endpoints.create_endpoint(wctx.acting_as(admin), {"url": receiver.url, "events": events})
    source = io.BytesIO(image_bytes())
    item = upload_media(wctx.acting_as(admin), source, "pixel.png", MediaMeta(alt="A pixel"))
    soft_delete(wctx.acting_as(admin), item["id"])
    user = create_user(
        wctx, email="new@example.com", username="newbie", password=TEST_PASSWORD, role="viewer"
    )
    bodies = _bodies(wctx)
    assert [b["type"] for b in bodies] == ["media:upload", "media:delete", "auth:register"]
    assert bodies[0]["data"] == item
    assert bodies[1]["data"]["id"] == item["id"] and bodies[1]["data"]["deleted_at"]
    account = bodies[2]["data"]
    assert account["id"] == user.id and account["email"] == "new@example.com"
    assert "password_hash" not in account and TEST_PASSWORD not in str(account)


def test_attempts_and_durations_are_counted_when_metrics_are_on(wctx, admin, receiver):
    ctx = with_settings(wctx, metrics_enabled=True, metrics_token="a-token-of-sixteen+")
    labels = {"event": "auth:register", "outcome": "success"}
    before = REGISTRY.get_sample_value("sonic_webhook_attempts_total", labels) or 0
    observed = REGISTRY.get_sample_value("sonic_webhook_delivery_duration_seconds_count") or 0
    endpoints.create_endpoint(
        ctx.acting_as(admin), {"url": receiver.url, "events": ["auth:register"]}
    )
    create_user(
        ctx, email="m@example.com", username="metrics", password=TEST_PASSWORD, role="viewer"
    )
    anyio.run(lambda: worker.deliver_due(ctx))
    assert REGISTRY.get_sample_value("sonic_webhook_attempts_total", labels) == before + 1
    assert (
        REGISTRY.get_sample_value("sonic_webhook_delivery_duration_seconds_count") == observed + 1
    )
    assert REGISTRY.get_sample_value("sonic_webhook_outbox_backlog") == 1  # seen at the claim
