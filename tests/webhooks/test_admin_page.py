"""The Webhooks admin page (/admin/webhooks) over the app (TestClient), on both engines: the
menu entry for administrators only, adding with the secret shown once, validation errors next
to their fields with nothing written, edit, disable/enable, delete, the deliveries with their
attempts, redelivery and test events."""

from __future__ import annotations

import re
from collections.abc import Iterator

import anyio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from standardwebhooks import Webhook

from sonic_cms.api.app import create_app
from sonic_cms.db.schema import WebhookEndpoint
from sonic_cms.webhooks import worker
from tests.admin.test_item_panel import person, signed_in
from tests.conftest import make_settings
from tests.webhooks.conftest import WEBHOOK_SETTINGS

PATH = "/admin/webhooks"
SECRET = re.compile(r'id="webhook-secret" value="(whsec_[0-9A-Za-z+/=]+)"')


@pytest.fixture
def client(db_url, db, clock) -> Iterator[TestClient]:
    values = {**WEBHOOK_SETTINGS, "webhooks_enabled": False}  # the test runs the worker itself
    settings = make_settings(db_url, auth_cookie_secure=False, **values)
    app = create_app(settings, db=db, clock=clock)
    with TestClient(app, headers={"Origin": "http://testserver"}) as test_client:
        yield test_client


def _count(db) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(WebhookEndpoint)).scalar_one())


def _add(client: TestClient, csrf: str, url: str, *events: str):
    form = {"csrf_token": csrf, "url": url, "events": list(events), "description": "Search index"}
    return client.post(PATH, data=form, follow_redirects=False)


def test_only_administrators_see_and_use_the_page(client, db, clock):
    editor = person(db, clock, "editor")
    csrf = signed_in(client, editor)
    assert 'href="/admin/webhooks"' not in client.get("/admin").text
    assert client.get(PATH).status_code == 403
    assert _add(client, csrf, "https://example.com/x", "content:create").status_code == 403
    assert _count(db) == 0
    admin = person(db, clock, "admin")
    signed_in(client, admin)
    html = client.get(PATH).text
    assert 'href="/admin/webhooks" aria-current="page"' in html
    assert "No webhook endpoints yet" in html


def test_adding_shows_the_secret_once_and_the_receiver_verifies_it(
    client, db, clock, receiver, wctx
):
    admin = person(db, clock, "admin")
    csrf = signed_in(client, admin)
    added = _add(client, csrf, receiver.url, "content:create", "media:upload")
    assert added.status_code == 201, added.text
    secret = SECRET.search(added.text).group(1)  # type: ignore[union-attr]
    listed = client.get(PATH).text
    assert receiver.url in listed and "Search index" in listed and "active" in listed
    assert secret not in listed
    endpoint_id = re.search(r'data-webhook="([^"]+)"', listed).group(1)  # type: ignore[union-attr]
    tested = client.post(
        f"{PATH}/{endpoint_id}/test", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert tested.status_code == 303 and tested.headers["location"].endswith("done=test")
    anyio.run(lambda: worker.deliver_due(wctx))
    (got,) = receiver.received
    assert Webhook(secret).verify(got.body, got.headers)["type"] == "webhook:test"
    detail = client.get(f"{PATH}/{endpoint_id}?done=test").text
    assert "webhook:test" in detail and "#1 success (HTTP 200)" in detail
    event_id = re.search(r'data-delivery="([^"]+)"', detail).group(1)  # type: ignore[union-attr]
    again = client.post(
        f"{PATH}/{endpoint_id}/events/{event_id}/redeliver",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert again.status_code == 303
    anyio.run(lambda: worker.deliver_due(wctx))
    assert len(receiver.received) == 2
    assert "#2 success" in client.get(f"{PATH}/{endpoint_id}").text


@pytest.mark.parametrize(
    ("url", "events", "field", "message"),
    [
        ("http://169.254.169.254/", ["content:create"], "w-url-error", "may not reach"),
        ("http://10.0.0.8/hook", ["content:create"], "w-url-error", "may not reach"),
        ("not a url", ["content:create"], "w-url-error", "may not contain spaces"),
        ("ftp://example.com/x", ["content:create"], "w-url-error", "http:// or https://"),
        ("https://example.com/x", [], "w-events-error", "non-empty list"),
    ],
)
def test_bad_input_is_shown_next_to_its_field_and_writes_nothing(
    client, db, clock, url, events, field, message
):
    csrf = signed_in(client, person(db, clock, "admin"))
    answer = _add(client, csrf, url, *events)
    assert answer.status_code == 422
    found = re.search(rf'id="{field}">([^<]+)<', answer.text)
    assert found and message in found.group(1), answer.text[-3000:]
    assert f'value="{url}"' in answer.text  # what was typed is kept
    assert _count(db) == 0


def test_edit_disable_enable_and_delete(client, db, clock, receiver):
    csrf = signed_in(client, person(db, clock, "admin"))
    _add(client, csrf, receiver.url, "content:create")
    listed = client.get(PATH).text
    endpoint_id = re.search(r'data-webhook="([^"]+)"', listed).group(1)  # type: ignore[union-attr]
    saved = client.post(
        f"{PATH}/{endpoint_id}",
        data={"csrf_token": csrf, "url": receiver.url, "events": ["auth:register"]},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    detail = client.get(f"{PATH}/{endpoint_id}").text
    assert re.search(r'value="auth:register" checked', detail)
    assert not re.search(r'value="content:create" checked', detail)
    off = client.post(
        f"{PATH}/{endpoint_id}/active", data={"csrf_token": csrf, "is_active": "false"}
    )
    assert "The endpoint is disabled" in off.text and "disabled</span>" in off.text
    on = client.post(f"{PATH}/{endpoint_id}/active", data={"csrf_token": csrf, "is_active": "true"})
    assert "The endpoint is enabled" in on.text
    assert f'id="delete-{endpoint_id}"' in on.text  # the dialog that asks first
    gone = client.post(f"{PATH}/{endpoint_id}/delete", data={"csrf_token": csrf})
    assert "deleted with its deliveries" in gone.text and _count(db) == 0


def test_writes_need_the_csrf_token(client, db, clock):
    signed_in(client, person(db, clock, "admin"))
    answer = client.post(PATH, data={"url": "https://example.com/", "events": ["content:create"]})
    assert answer.status_code == 403 and _count(db) == 0
