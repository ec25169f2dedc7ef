"""``sonic webhooks list|add|remove|test|deliver`` against a real receiver, on both engines."""

from __future__ import annotations

import pytest
from standardwebhooks import Webhook
from typer.testing import CliRunner

from sonic_cms.cli.main import app
from sonic_cms.content.items import create_item
from tests.content.helpers import sync_examples
from tests.webhooks.receiver import running_receiver

runner = CliRunner()


@pytest.fixture
def cli_env(settings) -> dict[str, str]:
    return {
        "SONIC_ENV": "test",
        "SONIC_SECRET_KEY": settings.secret_key,
        "SONIC_CONFIG_FILE": "/nonexistent/sonic.toml",
        "SONIC_DATABASE_URL": settings.database_url,
        "SONIC_WEBHOOKS_ALLOW_LOOPBACK": "true",
        "SONIC_WEBHOOKS_MAX_ATTEMPTS": "5",
        "SONIC_WEBHOOKS_DISABLE_AFTER_FAILURES": "3",
    }


def _added_id_and_secret(output: str) -> tuple[str, str]:
    lines = output.strip().splitlines()
    return lines[0].split()[2], lines[-1]


def test_add_list_test_and_remove(cli_env, receiver):
    added = runner.invoke(
        app, ["webhooks", "add", receiver.url, "-e", "content:create"], env=cli_env
    )
    assert added.exit_code == 0, added.output
    endpoint_id, secret = _added_id_and_secret(added.output)
    assert secret.startswith("whsec_")
    listed = runner.invoke(app, ["webhooks", "list"], env=cli_env)
    assert endpoint_id in listed.output and receiver.url in listed.output
    assert secret not in listed.output
    tested = runner.invoke(app, ["webhooks", "test", endpoint_id], env=cli_env)
    assert tested.exit_code == 0, tested.output
    assert "success (HTTP 200)" in tested.output
    (got,) = receiver.received
    assert Webhook(secret).verify(got.body, got.headers)["type"] == "webhook:test"
    removed = runner.invoke(app, ["webhooks", "remove", endpoint_id], env=cli_env)
    assert removed.exit_code == 0 and endpoint_id in removed.output
    again = runner.invoke(app, ["webhooks", "remove", endpoint_id], env=cli_env)
    assert again.exit_code == 1 and f"Webhook {endpoint_id!r}" in again.output
    assert endpoint_id not in runner.invoke(app, ["webhooks", "list"], env=cli_env).output


def test_test_reports_a_failing_receiver(cli_env):
    with running_receiver(500) as failing:
        added = runner.invoke(
            app, ["webhooks", "add", failing.url, "-e", "media:upload"], env=cli_env
        )
        endpoint_id, _ = _added_id_and_secret(added.output)
        tested = runner.invoke(app, ["webhooks", "test", endpoint_id], env=cli_env)
    assert tested.exit_code == 1
    assert "http_error (HTTP 500)" in tested.output
    assert "did not accept" in tested.output


def test_bad_input_is_one_line_and_exit_1(cli_env):
    bad_event = runner.invoke(
        app, ["webhooks", "add", "https://example.com/x", "-e", "content:explode"], env=cli_env
    )
    assert bad_event.exit_code == 1 and "content:explode" in bad_event.output
    private = runner.invoke(
        app, ["webhooks", "add", "http://169.254.169.254/", "-e", "content:create"], env=cli_env
    )
    assert private.exit_code == 1 and "may not reach" in private.output
    assert "Traceback" not in bad_event.output + private.output


def test_deliver_once_sends_what_is_due(cli_env, receiver, db, clock, wctx, admin):
    sync_examples(db, clock)
    added = runner.invoke(
        app, ["webhooks", "add", receiver.url, "-e", "content:create"], env=cli_env
    )
    _, secret = _added_id_and_secret(added.output)
    body = {"collectionId": "blog-posts", "title": "From the CLI test", "data": {"content": "x"}}
    create_item(wctx.acting_as(admin), body)
    assert receiver.received == []  # written to the outbox, not sent by the write
    delivered = runner.invoke(app, ["webhooks", "deliver", "--once"], env=cli_env)
    assert delivered.exit_code == 0, delivered.output
    assert "1 delivered, 0 to retry, 0 failed" in delivered.output
    (got,) = receiver.received
    assert Webhook(secret).verify(got.body, got.headers)["data"]["title"] == "From the CLI test"
