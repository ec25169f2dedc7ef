"""Autosave that never leaks (issue 15): an autosave keeps the caller's working copy apart from
the item, so readers never see half-typed edits and versions grow per Save, not per autosave.

Before issue 15, ``PUT`` with ``"is_auto_saved": true`` wrote the live row (and a version):
autosaving a published item published the half-typed text at once.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from sonic_cms.db.schema.tables import AUTOSAVES
from sonic_cms.workflow import autosaves
from tests.utils.auth import actor_with_role, bearer_headers, system_context

HALF = "half-typed <script>alert(1)</script>"
MINUTE = 60_000
Headers = dict[str, str]


@pytest.fixture
def admin(db: Database, settings: Settings, clock: FrozenClock) -> Headers:
    return bearer_headers(db, settings, clock, "admin")


@pytest.fixture
def published(client: TestClient, admin: Headers) -> str:
    schema = {"type": "object", "properties": {"body": {"type": "richtext"}}}
    made = client.post(
        "/admin/api/collections",
        json={"name": "notes", "display_name": "Notes", "schema": schema},
        headers=admin,
    )
    assert made.status_code == 201, made.text
    body = {"collectionId": "notes", "title": "Live", "status": "published", "data": {"body": "ok"}}
    created = client.post("/api/content", json=body, headers=admin)
    assert created.status_code == 201, created.text
    return str(created.json()["data"]["id"])


def _versions(client: TestClient, headers: Headers, item: str) -> list[int]:
    answer = client.get(f"/api/content/{item}/versions", headers=headers)
    return [v["version"] for v in answer.json()["data"]]


def _public(client: TestClient, item: str) -> dict[str, Any]:
    answer = client.get(f"/api/content/{item}")
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["data"])


def test_an_autosave_of_a_published_item_never_reaches_readers(client, admin, published, clock):
    """The leak: the old code wrote the autosave over the live row and added a version."""
    url = f"/api/content/{published}"
    for text in ("hal", "half-ty", HALF):
        clock.advance(1000)
        auto = client.put(
            url, json={"title": "Li", "data": {"body": text}, "is_auto_saved": True}, headers=admin
        )
        assert auto.status_code == 200, auto.text
        assert auto.json()["data"]["data"] == {"body": "ok"}  # the item, unchanged
    seen = _public(client, published)
    assert (seen["title"], seen["data"], seen["version_number"]) == ("Live", {"body": "ok"}, 1)
    assert b"half" not in client.get("/api/content?collection=notes").content
    assert b"half" not in client.get("/api/collections/notes/content").content
    assert b"half" not in client.get(f"{url}/versions").content
    assert _versions(client, admin, published) == [1]
    copy = client.get(f"{url}/autosave", headers=admin).json()["data"]
    assert copy["title"] == "Li" and copy["data"]["body"].startswith("half-typed")
    assert "<script" not in copy["data"]["body"]  # rich text cleaned as on every write


def test_the_autosave_routes_keep_a_working_copy_per_user(
    client, admin, published, db, settings, clock
):
    url = f"/api/content/{published}/autosave"
    other = bearer_headers(db, settings, clock, "editor")
    assert client.get(url, headers=admin).status_code == 404
    assert client.get(url, headers=admin).json()["code"] == "autosave_not_found"
    mine = client.put(url, json={"data": {"body": "mine"}}, headers=admin)
    assert mine.status_code == 200, mine.text
    copy = mine.json()["data"]
    assert copy["title"] == "Live" and copy["data"] == {"body": "mine"}  # the rest from the item
    assert (copy["base_version"], copy["item_version"], copy["stale"]) == (1, 1, False)
    theirs = client.put(url, json={"title": "Theirs"}, headers=other).json()["data"]
    assert theirs["data"] == {"body": "ok"} and theirs["id"] != copy["id"]
    assert client.get(url, headers=admin).json()["data"]["data"] == {"body": "mine"}
    assert client.get(url, headers=other).json()["data"]["title"] == "Theirs"
    # fields not given are kept from the copy
    again = client.put(url, json={"title": "Mine"}, headers=admin).json()["data"]
    assert (again["id"], again["title"], again["data"]) == (copy["id"], "Mine", {"body": "mine"})
    assert client.delete(url, headers=admin).json() == {"success": True}
    assert client.get(url, headers=admin).status_code == 404
    assert client.delete(url, headers=admin).status_code == 200  # idempotent
    assert client.get(url, headers=other).status_code == 200


def test_readers_never_get_a_working_copy(client, admin, published, db, settings, clock):
    url = f"/api/content/{published}/autosave"
    assert client.put(url, json={"data": {"body": HALF}}, headers=admin).status_code == 200
    assert client.get(url).status_code == 401
    viewer = bearer_headers(db, settings, clock, "viewer")
    assert client.get(url, headers=viewer).status_code == 403
    assert client.put(url, json={"title": "x"}, headers=viewer).status_code == 403
    author = bearer_headers(db, settings, clock, "author")  # may not edit the admin's item
    assert client.put(url, json={"title": "x"}, headers=author).status_code == 403
    assert client.get(url, headers=author).status_code == 403
    editor = bearer_headers(db, settings, clock, "editor")  # may edit: has no copy of their own
    assert client.get(url, headers=editor).status_code == 404


def test_save_applies_and_clears_with_one_version_per_save(client, admin, published, clock):
    url = f"/api/content/{published}"
    for n in range(3):
        clock.advance(1000)
        body = {"data": {"body": f"draft {n}"}}
        assert client.put(f"{url}/autosave", json=body, headers=admin).status_code == 200
    assert _versions(client, admin, published) == [1]
    clock.advance(1000)
    saved = client.put(url, json={"data": {"body": "draft 2"}}, headers=admin)
    assert saved.status_code == 200 and saved.json()["data"]["version_number"] == 2
    assert _versions(client, admin, published) == [2, 1]
    assert client.get(f"{url}/autosave", headers=admin).status_code == 404
    assert _public(client, published)["data"] == {"body": "draft 2"}  # a Save of published
    clock.advance(1000)
    client.put(f"{url}/autosave", json={"title": "Next"}, headers=admin)
    clock.advance(1000)
    assert client.put(url, json={"title": "Next"}, headers=admin).status_code == 200
    assert _versions(client, admin, published) == [3, 2, 1]


def test_a_stale_working_copy_says_so(client, admin, published, db, settings, clock):
    url = f"/api/content/{published}"
    assert client.put(f"{url}/autosave", json={"title": "A"}, headers=admin).status_code == 200
    other = bearer_headers(db, settings, clock, "editor")
    clock.advance(1000)
    assert client.put(url, json={"title": "Theirs"}, headers=other).status_code == 200
    copy = client.get(f"{url}/autosave", headers=admin).json()["data"]
    assert (copy["base_version"], copy["item_version"], copy["stale"]) == (1, 2, True)
    fresh = client.put(f"{url}/autosave", json={"version": 2}, headers=admin).json()["data"]
    assert fresh["stale"] is False


def test_deleting_the_item_deletes_its_working_copies(client, admin, published, db):
    url = f"/api/content/{published}"
    assert client.put(f"{url}/autosave", json={"title": "A"}, headers=admin).status_code == 200
    assert client.delete(url, headers=admin).status_code == 200
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(AUTOSAVES)).scalar() == 0
    assert client.get(f"{url}/autosave", headers=admin).status_code == 404


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"status": "published"}, "status"),
        ({"featured_image_id": None}, "featured_image_id"),
        ({"data": []}, "data"),
        ({"title": 5}, "title"),
        ({"title": "x" * 501}, "title"),
        ({"slug": "a\x07"}, "slug"),
        ({"version": 0}, "version"),
        ({"data": {"body": "a\x00"}}, "data.body"),
    ],
)
def test_a_bad_autosave_is_422_naming_the_field(client, admin, published, body, path):
    for url, extra in (
        (f"/api/content/{published}/autosave", {}),
        (f"/api/content/{published}", {"is_auto_saved": True}),
    ):
        answer = client.put(url, json={**body, **extra}, headers=admin)
        assert answer.status_code == 422, answer.text
        assert path in [d["path"] for d in answer.json()["details"]]
    assert client.get(f"/api/content/{published}/autosave", headers=admin).status_code == 404


def test_an_incomplete_autosave_is_kept(client, admin, published):
    """Scratch may be incomplete: an empty title and a half-typed slug are fine until Save."""
    url = f"/api/content/{published}/autosave"
    answer = client.put(url, json={"title": "", "slug": "my-"}, headers=admin)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["data"]["title"], answer.json()["data"]["slug"]) == ("", "my-")


def test_deleting_a_user_deletes_their_working_copies(client, admin, published, db, clock):
    """A working copy never keeps a user from being deleted: it goes with them. (The editor
    autosaves through the service: a request of theirs may leave a system_logs row naming
    them, which keeps any user from being deleted, working copy or not.)"""
    editor = actor_with_role(db, clock, "editor")
    autosaves.save_autosave(system_context(db, clock).acting_as(editor), published, {"title": "X"})
    url = f"/api/content/{published}/autosave"
    assert client.put(url, json={"title": "Mine"}, headers=admin).is_success
    gone = client.delete(f"/admin/api/users/{editor.user_id}", headers=admin)
    assert gone.status_code == 200, gone.text
    with db.read() as conn:
        left = conn.execute(select(AUTOSAVES.c.title)).scalars().all()
    assert left == ["Mine"]
