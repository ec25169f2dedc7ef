"""Per-item time travel over HTTP: an item as of T, and restoring T's state as a new version."""

from __future__ import annotations

import pytest

from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from tests.utils.auth import bearer_headers


@pytest.fixture
def admin(db: Database, settings: Settings, clock: FrozenClock) -> dict[str, str]:
    return bearer_headers(db, settings, clock, "admin")


@pytest.fixture
def notes(client, admin) -> str:
    """A `notes` collection with a string `body`."""
    created = client.post(
        "/admin/api/collections",
        json={
            "name": "notes",
            "display_name": "Notes",
            "schema": {"type": "object", "properties": {"body": {"type": "string"}}},
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    return "notes"


def test_as_of_between_two_edits_gives_the_first_edit(client, admin, clock, db, settings, notes):
    editor = bearer_headers(db, settings, clock, "editor")
    created = client.post(
        "/api/content",
        json={"collectionId": "notes", "title": "Note", "data": {"body": "first"}},
        headers=editor,
    )
    item = created.json()["data"]["id"]
    start = clock.now_ms()
    clock.advance(60_000)
    client.put(f"/api/content/{item}", json={"data": {"body": "second"}}, headers=editor)
    between = clock.now_ms() + 30_000
    clock.advance(60_000)
    client.put(f"/api/content/{item}", json={"data": {"body": "third"}}, headers=editor)

    past = client.get(f"/api/content/{item}?as_of={between}", headers=editor)
    assert past.status_code == 200, past.text
    assert past.json()["data"]["data"] == {"body": "second"}
    assert past.json()["data"]["version"] == 2
    assert client.get(f"/api/content/{item}?as_of={start}", headers=editor).json()["data"][
        "data"
    ] == {"body": "first"}
    too_early = client.get(f"/api/content/{item}?as_of={start - 1}", headers=editor)
    assert too_early.status_code == 404 and too_early.json()["code"] == "not_yet"

    restored = client.post(f"/api/content/{item}/restore?as_of={between}", headers=editor)
    assert restored.status_code == 200, restored.text
    assert restored.json()["data"]["data"] == {"body": "second"}
    versions = client.get(f"/api/content/{item}/versions", headers=editor).json()["data"]
    assert len(versions) == 4  # history is never rewritten


def test_as_of_obeys_the_read_policy_and_checks_its_input(
    client, admin, clock, db, settings, notes
):
    editor = bearer_headers(db, settings, clock, "editor")
    item = client.post(
        "/api/content",
        json={"collectionId": "notes", "title": "Draft", "data": {"body": "secret"}},
        headers=editor,
    ).json()["data"]["id"]
    now = clock.now_ms()
    assert client.get(f"/api/content/{item}?as_of={now}").status_code == 404  # a draft
    bad = client.get(f"/api/content/{item}?as_of=yesterday", headers=editor)
    assert bad.status_code == 400 and bad.json()["code"] == "bad_as_of"
    other = client.get(f"/api/content/{item}?as_of={now}&x=1", headers=editor)
    assert other.status_code == 400
    viewer = bearer_headers(db, settings, clock, "viewer")
    assert (
        client.post(f"/api/content/{item}/restore?as_of={now}", headers=viewer).status_code == 404
    )
    iso = client.get(f"/api/content/{item}?as_of=2099-01-01T00:00:00Z", headers=editor)
    assert iso.status_code == 200 and iso.json()["data"]["data"] == {"body": "secret"}
