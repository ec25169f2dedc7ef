"""Apps with a passwordless sign-in plugin installed and active, their mail read from a real
SMTP server, and a scan of the whole database for a secret."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import inspect, select, table, text, update

from sonic_cms.api.app import create_app
from sonic_cms.clock import FrozenClock
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import User
from tests.conftest import make_settings
from tests.utils.auth import bearer_headers
from tests.utils.smtp import Inbox, smtp_server

SITE = "https://cms.example"


@contextmanager
def plugin_app(
    db_url: str, db: Database, clock: FrozenClock, plugin: str | None, **overrides: Any
) -> Iterator[tuple[TestClient, Inbox]]:
    """A live app mailing through loopback SMTP, with ``plugin`` installed and activated over
    the admin API (None: left uninstalled)."""
    with smtp_server() as (inbox, port):
        values = {"mail_sender": "smtp", "smtp_host": "127.0.0.1", "smtp_port": port}
        settings = make_settings(db_url, **{**values, "public_url": SITE, **overrides})
        with TestClient(create_app(settings, db=db, clock=clock)) as client:
            client.admin = bearer_headers(db, settings, clock, "admin")  # type: ignore[attr-defined]
            if plugin is not None:
                switch(client, plugin, "install")
                switch(client, plugin, "activate")
            yield client, inbox


def switch(client: TestClient, plugin: str, step: str) -> None:
    """Install, activate or deactivate ``plugin`` as an admin."""
    response = client.post(f"/admin/api/plugins/{plugin}/{step}", headers=client.admin)  # type: ignore[attr-defined]
    assert response.status_code in (200, 201), response.text


def mail_body(inbox: Inbox, count: int) -> str:
    """The body of the ``count``-th mail, waiting for it."""
    return str(inbox.wait_for(count)[count - 1].get_payload(decode=True).decode())


def deactivate_user(db: Database, user_id: str) -> None:
    with db.write() as conn:
        conn.execute(update(User).where(User.id == user_id).values(is_active=False))


def where_secret_is_stored(db: Database, client: TestClient, secret: str) -> list[str]:
    """Every ``table.column`` holding ``secret`` in plain form, system_logs included (the
    request log is flushed first)."""
    client.app.state.ctx.logs.flush()  # type: ignore[attr-defined]
    found = []
    with db.read() as conn:
        for name in inspect(conn).get_table_names():
            for row in conn.execute(select(text("*")).select_from(table(name))).mappings():
                found += [f"{name}.{k}" for k, v in row.items() if secret in str(v)]
    return found


def request_mail(client: TestClient, inbox: Inbox, path: str, email: str) -> str:
    """Ask ``path`` (an OTP or magic-link request route) to mail ``email``; the mail's body."""
    before = len(inbox.messages)
    response = client.post(path, json={"email": email})
    assert response.status_code == 200, response.text
    return mail_body(inbox, before + 1)


def code_in(body: str) -> str:
    """The digits of a mailed one-time code."""
    found = re.search(r"code is (\d+)", body)
    assert found, body
    return found.group(1)
