"""Issue 12, hole 1: drafts leaked through history, ``as_of`` and check-slug. One test per leak.

The item is written as a draft holding SECRET, edited to public text and then published, as
in the outside probe; anonymous and viewer callers got the draft through every route below.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from tests.utils.auth import bearer_headers

SECRET = "SECRET-DRAFT-91c2"
MINUTE = 60_000


@pytest.fixture
def editor(client: TestClient, db: Database, settings: Settings, clock: FrozenClock):
    headers = bearer_headers(db, settings, clock, "admin")
    made = client.post(
        "/admin/api/collections",
        json={
            "name": "notes",
            "display_name": "Notes",
            "schema": {"type": "object", "properties": {"body": {"type": "string"}}},
        },
        headers=headers,
    )
    assert made.status_code == 201, made.text
    return bearer_headers(db, settings, clock, "editor")


@pytest.fixture
def viewer(db: Database, settings: Settings, clock: FrozenClock) -> dict[str, str]:
    return bearer_headers(db, settings, clock, "viewer")


def _write(client: TestClient, headers: dict[str, str], item: str | None, **body: object) -> str:
    if item is None:
        response = client.post(
            "/api/content", json={"collectionId": "notes", **body}, headers=headers
        )
    else:
        response = client.put(f"/api/content/{item}", json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    return str(response.json()["data"]["id"])


@pytest.fixture
def story(client: TestClient, editor: dict[str, str], clock: FrozenClock) -> dict[str, int | str]:
    """Draft with SECRET at ``draft``; edited to public text; published at ``published``."""
    item = _write(client, editor, None, title=f"Plan {SECRET}", slug="plan", data={"body": SECRET})
    draft = clock.now_ms()
    clock.advance(MINUTE)
    _write(client, editor, item, title="Plan", data={"body": "public"})
    clock.advance(MINUTE)
    assert client.post(f"/api/content/{item}/publish", headers=editor).status_code == 200
    published = clock.now_ms()
    clock.advance(MINUTE)
    return {"item": item, "draft": draft, "published": published}


HISTORY_URLS = ["/versions", "/versions/1", "/versions/diff?from=1&to=2"]


@pytest.mark.parametrize("tail", HISTORY_URLS)
def test_history_of_a_published_item_needs_draft_access(client, story, viewer, editor, tail):
    url = f"/api/content/{story['item']}{tail}"
    anonymous = client.get(url)
    assert anonymous.status_code == 401 and SECRET.encode() not in anonymous.content
    forbidden = client.get(url, headers=viewer)
    assert forbidden.status_code == 403, forbidden.text
    assert forbidden.json()["code"] == "draft_access_required"
    assert SECRET.encode() not in forbidden.content
    allowed = client.get(url, headers=editor)
    assert allowed.status_code == 200 and SECRET.encode() in allowed.content


def test_history_of_an_item_one_cannot_see_is_404(client, editor, viewer):
    hidden = _write(client, editor, None, title="Hidden", data={"body": SECRET})
    for headers in ({}, viewer):
        response = client.get(f"/api/content/{hidden}/versions", headers=headers)
        assert response.status_code == 404 and response.json()["code"] == "content_not_found"


def test_as_of_before_publishing_is_404_without_draft_access(client, story, viewer, editor):
    item = story["item"]
    for headers in ({}, viewer):
        before = client.get(f"/api/content/{item}?as_of={story['draft']}", headers=headers)
        assert before.status_code == 404 and before.json()["code"] == "not_public_at"
        assert SECRET.encode() not in before.content
        after = client.get(f"/api/content/{item}?as_of={story['published']}", headers=headers)
        assert after.status_code == 200, after.text
        assert after.json()["data"]["data"] == {"body": "public"}
        assert after.json()["data"]["status"] == "published"
    own = client.get(f"/api/content/{item}?as_of={story['draft']}", headers=editor)
    assert own.status_code == 200 and own.json()["data"]["data"] == {"body": SECRET}


def test_as_of_respects_an_unpublished_spell_and_the_embargo(client, story, editor, clock):
    item = story["item"]
    assert client.post(f"/api/content/{item}/unpublish", headers=editor).status_code == 200
    unpublished = clock.now_ms()
    clock.advance(MINUTE)
    assert client.post(f"/api/content/{item}/publish", headers=editor).status_code == 200
    assert client.get(f"/api/content/{item}?as_of={unpublished}").status_code == 404
    assert client.get(f"/api/content/{item}?as_of={story['published']}").status_code == 200
    embargo = {"embargo_until": story["published"] + 1}
    assert client.put(f"/api/content/{item}/embargo", json=embargo, headers=editor).is_success
    assert client.get(f"/api/content/{item}?as_of={story['published']}").status_code == 404


def test_an_auto_save_never_reaches_what_the_public_saw(client, editor, clock):
    """Before issue 15 an auto-save wrote the live row (and a version), so auto-saving a draft
    and publishing it published the auto-saved text. Now an auto-save keeps a working copy
    only: publishing publishes what was saved, and ``as_of`` shows that."""
    item = _write(client, editor, None, title="Note", data={"body": "public"})
    clock.advance(MINUTE)
    _write(client, editor, item, data={"body": SECRET}, is_auto_saved=True)
    clock.advance(MINUTE)
    assert client.post(f"/api/content/{item}/publish", headers=editor).status_code == 200
    seen = clock.now_ms()
    clock.advance(MINUTE)
    assert SECRET.encode() not in client.get(f"/api/content/{item}").content
    past = client.get(f"/api/content/{item}?as_of={seen}")
    assert past.status_code == 200, past.text
    assert past.json()["data"]["data"] == {"body": "public"}
    versions = client.get(f"/api/content/{item}/versions", headers=editor)
    assert SECRET.encode() not in versions.content and len(versions.json()["data"]) == 1


def test_workflow_history_needs_draft_access(client, story, db, settings, clock, editor):
    other_author = bearer_headers(db, settings, clock, "author")
    url = f"/api/content/{story['item']}/history"
    response = client.get(url, headers=other_author)
    assert response.status_code == 403 and response.json()["code"] == "draft_access_required"
    assert client.get(url, headers=editor).status_code == 200


def test_check_slug_needs_a_content_writer(client, editor, viewer, db, settings, clock):
    _write(client, editor, None, title="Hidden", slug="hidden", data={})
    url = "/api/content/check-slug?collectionId=notes&slug=hidden"
    anonymous = client.get(url)
    assert anonymous.status_code == 401 and b"available" not in anonymous.content
    assert client.get(url, headers=viewer).status_code == 403
    author = bearer_headers(db, settings, clock, "author")
    assert client.get(url, headers=author).json() == {"available": False}


def test_an_auto_save_cannot_publish(client, editor, clock):
    """An auto-save used to be able to publish (``status`` beside ``is_auto_saved``); a working
    copy keeps no status, so asking for one is a 422 and nothing changes."""
    item = _write(client, editor, None, title="Note", data={"body": SECRET})
    body = {"data": {"body": "later"}, "status": "published", "is_auto_saved": True}
    answer = client.put(f"/api/content/{item}", json=body, headers=editor)
    assert answer.status_code == 422 and answer.json()["details"][0]["path"] == "status"
    assert client.get(f"/api/content/{item}").status_code == 404


def test_a_put_that_publishes_new_text_never_shows_the_draft_at_its_publish_moment(
    client, editor, viewer, clock, monkeypatch
):
    """One moment per write: with a clock that moves between two reads, the publish's history
    row and the new version once disagreed, and as_of at the publish showed the draft."""
    item = _write(client, editor, None, title=f"Plan {SECRET}", slug="plan", data={"body": SECRET})
    clock.advance(MINUTE)

    def ticking() -> int:
        clock.current_ms += 1
        return clock.current_ms

    monkeypatch.setattr(clock, "now_ms", ticking)
    _write(client, editor, item, title="Plan", status="published", data={"body": "public"})
    monkeypatch.undo()
    published = client.get(f"/api/content/{item}", headers=editor).json()["data"]["published_at"]
    for headers in ({}, viewer):
        answer = client.get(f"/api/content/{item}?as_of={published}", headers=headers)
        assert SECRET.encode() not in answer.content
        assert answer.status_code == 200, answer.text
        assert answer.json()["data"]["data"] == {"body": "public"}
