"""A site to comment on: a collection that takes comments and one that does not, a published
item and a draft, and signed-in users of every kind (real sessions, real rows)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from tests.conftest import make_settings
from tests.utils.auth import create_random_user, headers_for

#: The edit window of these tests: shorter than an access token's life, so a test can step
#: past it and still be signed in.
EDIT_WINDOW_MS = 60_000

Headers = dict[str, str]


@dataclass
class Site:
    """Who is who, and what there is to comment on."""

    client: TestClient
    admin: Headers
    editor: Headers
    author: Headers
    viewer: Headers
    stranger: Headers
    viewer_id: str
    stranger_id: str
    published: str
    draft: str
    other: str
    closed: str

    def post(self, who: Headers | None, item: str, **body: Any) -> Any:
        """POST a comment as ``who`` (None: anonymous)."""
        return self.client.post(f"/api/content/{item}/comments", json=body, headers=who or {})

    def comment(self, who: Headers, item: str, text: str = "Nice", **body: Any) -> dict[str, Any]:
        """A comment that must be accepted; its representation."""
        answer = self.post(who, item, body=text, **body)
        assert answer.status_code == 201, answer.text
        return dict(answer.json()["data"])

    def thread(self, who: Headers | None, item: str) -> Any:
        return self.client.get(f"/api/content/{item}/comments", headers=who or {})

    def edit(self, who: Headers, comment_id: str, text: str) -> Any:
        """PUT a new body as ``who``."""
        return self.client.put(f"/api/comments/{comment_id}", json={"body": text}, headers=who)

    def moderate(self, who: Headers, action: str, *ids: str) -> Any:
        return self.client.post(
            "/admin/api/comments/bulk", json={"action": action, "ids": list(ids)}, headers=who
        )

    def approved(self, item: str) -> int:
        """The item's approved count, as an editor's read of it shows."""
        read = self.client.get(f"/api/content/{item}", headers=self.editor)
        assert read.status_code == 200, read.text
        return int(read.json()["data"]["comments"]["approved"])


def _collection(client: TestClient, admin: Headers, name: str, **extra: Any) -> None:
    schema = {"type": "object", "properties": {"body": {"type": "string"}}, **extra}
    made = client.post(
        "/admin/api/collections",
        json={"name": name, "display_name": name.title(), "schema": schema},
        headers=admin,
    )
    assert made.status_code == 201, made.text


def _item(client: TestClient, who: Headers, collection: str, status: str, title: str) -> str:
    made = client.post(
        "/api/content",
        json={"collectionId": collection, "title": title, "status": status, "data": {}},
        headers=who,
    )
    assert made.status_code == 201, made.text
    return str(made.json()["data"]["id"])


@pytest.fixture
def settings(db_url: str) -> Settings:
    """The suite's settings with a one-minute edit window."""
    return make_settings(
        db_url, trusted_proxies="testclient", comments_edit_window_seconds=EDIT_WINDOW_MS // 1000
    )


@pytest.fixture
def site(client: TestClient, db: Database, settings: Settings, clock: FrozenClock) -> Site:
    people = {r: create_random_user(db, clock, r) for r in ("admin", "editor", "author", "viewer")}
    stranger = create_random_user(db, clock, "viewer")
    heads = {r: headers_for(db, settings, clock, u) for r, u in people.items()}
    _collection(client, heads["admin"], "notes")
    _collection(client, heads["admin"], "quiet", comments=False)
    return Site(
        client=client,
        admin=heads["admin"],
        editor=heads["editor"],
        author=heads["author"],
        viewer=heads["viewer"],
        stranger=headers_for(db, settings, clock, stranger),
        viewer_id=people["viewer"].id,
        stranger_id=stranger.id,
        published=_item(client, heads["editor"], "notes", "published", "Open"),
        draft=_item(client, heads["author"], "notes", "draft", "Secret draft"),
        other=_item(client, heads["editor"], "notes", "published", "Other"),
        closed=_item(client, heads["editor"], "quiet", "published", "Closed"),
    )
