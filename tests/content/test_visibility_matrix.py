"""Every route that returns content x every kind of caller: only what that caller may see.

The story (docs/content.md, "Who sees what"): an author writes an item as a draft whose title,
data and review comment carry MARKER, edits it to other text, and an editor publishes it; the
author also keeps a second draft (MARKER in its title and data) that a published item
references. Callers without draft access (anonymous, viewer, an author who does not own the
items) must never receive a byte of MARKER from any route, however the request is phrased;
the owner and an editor must receive it where the route shows drafts, so every row of the
table can fail. Asserted on the raw response bytes, case-insensitively (slugs are lower case).
Runs on SQLite and PostgreSQL, with the response cache active (anonymous reads run last and
twice, so a cached anonymous copy is checked too).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from tests.utils.auth import create_random_user, headers_for

MARKER = "DRAFT-MARKER-7f3a"
MINUTE = 60_000
CALLERS = ("editor", "owner", "author_not_owner", "viewer", "anonymous")
DRAFT_READERS = frozenset({"owner", "editor"})
NOBODY: frozenset[str] = frozenset()
SCHEMA = {
    "type": "object",
    "properties": {
        "body": {"type": "string"},
        "related": {"type": "reference", "collection": "notes"},
    },
}


@dataclass(frozen=True)
class Story:
    """The ids and moments the table's URLs are built from."""

    edited: str  # written as a draft with MARKER, edited to other text, then published
    hidden: str  # a draft with MARKER that is never published
    linking: str  # a published item whose data references ``hidden``
    draft_moment: int  # when ``edited`` was still its first (MARKER) draft
    published_moment: int  # after ``edited`` was published


@dataclass(frozen=True)
class Row:
    """One route of the table: its URL, who must see MARKER in it, and each caller's status."""

    name: str
    url: Callable[[Story], str]
    sees_marker: frozenset[str]
    statuses: dict[str, int]


def _all(status: int) -> dict[str, int]:
    return dict.fromkeys(CALLERS, status)


DRAFTS_ONLY = {"editor": 200, "owner": 200, "author_not_owner": 404, "viewer": 404}
HISTORY = {"editor": 200, "owner": 200, "author_not_owner": 403, "viewer": 403}

TABLE = [
    Row("item: the never-published draft", lambda s: f"/api/content/{s.hidden}", DRAFT_READERS,
        {**DRAFTS_ONLY, "anonymous": 404}),
    Row("item: the published item", lambda s: f"/api/content/{s.edited}", NOBODY, _all(200)),
    Row("item: the referencing item", lambda s: f"/api/content/{s.linking}", NOBODY, _all(200)),
    Row("item by slug: the never-published draft",
        lambda s: "/api/collections/notes/content/hidden", DRAFT_READERS,
        {**DRAFTS_ONLY, "anonymous": 404}),
    Row("item by slug: the published item", lambda s: "/api/collections/notes/content/plan",
        NOBODY, _all(200)),
    Row("item by slug: as_of before publishing",
        lambda s: f"/api/collections/notes/content/plan?as_of={s.draft_moment}", DRAFT_READERS,
        {**DRAFTS_ONLY, "anonymous": 404}),
    Row("item: includes of the referencing item",
        lambda s: f"/api/content/{s.linking}?include=author,collection,featured_image", NOBODY,
        _all(200)),
    Row("list", lambda s: "/api/content?limit=100", DRAFT_READERS, _all(200)),
    Row("list: status=draft", lambda s: "/api/content?status=draft", DRAFT_READERS, _all(200)),
    Row("list: filter[status]", lambda s: "/api/content?filter[status][ne]=published",
        DRAFT_READERS, _all(200)),
    Row("list: fields=", lambda s: "/api/content?fields=id,title,slug", DRAFT_READERS, _all(200)),
    Row("list: a collection", lambda s: "/api/collections/notes/content", DRAFT_READERS,
        _all(200)),
    Row("search", lambda s: "/api/content?search=marker", DRAFT_READERS, _all(200)),
    Row("search: a collection", lambda s: "/api/collections/notes/content?search=7f3a*",
        DRAFT_READERS, _all(200)),
    Row("includes of the referencing item",
        lambda s: "/api/content?filter[slug]=links&include=author,collection,featured_image",
        NOBODY, _all(200)),
    Row("versions", lambda s: f"/api/content/{s.edited}/versions", DRAFT_READERS,
        {**HISTORY, "anonymous": 401}),
    Row("version 1", lambda s: f"/api/content/{s.edited}/versions/1", DRAFT_READERS,
        {**HISTORY, "anonymous": 401}),
    Row("diff", lambda s: f"/api/content/{s.edited}/versions/diff?from=1&to=2", DRAFT_READERS,
        {**HISTORY, "anonymous": 401}),
    Row("versions of the never-published draft", lambda s: f"/api/content/{s.hidden}/versions",
        DRAFT_READERS, {**DRAFTS_ONLY, "anonymous": 404}),
    Row("as_of before publishing", lambda s: f"/api/content/{s.edited}?as_of={s.draft_moment}",
        DRAFT_READERS, {**DRAFTS_ONLY, "anonymous": 404}),
    Row("as_of after publishing",
        lambda s: f"/api/content/{s.edited}?as_of={s.published_moment}", NOBODY, _all(200)),
    Row("as_of of the never-published draft",
        lambda s: f"/api/content/{s.hidden}?as_of={s.published_moment}", DRAFT_READERS,
        {**DRAFTS_ONLY, "anonymous": 404}),
    Row("workflow history", lambda s: f"/api/content/{s.edited}/history", DRAFT_READERS,
        {**HISTORY, "anonymous": 401}),
    Row("stats (counts only)", lambda s: "/admin/api/stats", NOBODY,
        {**_all(200), "anonymous": 401}),
    # localised reads (docs/localisation.md): the same rules in a locale
    Row("item in a locale: the never-published draft",
        lambda s: f"/api/content/{s.hidden}?locale=en", DRAFT_READERS,
        {**DRAFTS_ONLY, "anonymous": 404}),
    Row("item by slug in a locale: the never-published draft",
        lambda s: "/api/collections/notes/content/hidden?locale=en", DRAFT_READERS,
        {**DRAFTS_ONLY, "anonymous": 404}),
    Row("list in a locale", lambda s: "/api/content?locale=en", DRAFT_READERS, _all(200)),
    Row("search in a locale", lambda s: "/api/content?locale=en&search=marker", DRAFT_READERS,
        _all(200)),
    Row("translations of the never-published draft",
        lambda s: f"/api/content/{s.hidden}/translations", DRAFT_READERS,
        {**DRAFTS_ONLY, "anonymous": 404}),
    Row("translations of the published item", lambda s: f"/api/content/{s.edited}/translations",
        NOBODY, _all(200)),
    # comments (docs/comments.md): readable by whoever may read the item; the never-published
    # draft carries an approved comment with MARKER
    Row("comments of the never-published draft", lambda s: f"/api/content/{s.hidden}/comments",
        DRAFT_READERS, {**DRAFTS_ONLY, "anonymous": 404}),
    Row("comments of the published item", lambda s: f"/api/content/{s.edited}/comments", NOBODY,
        _all(200)),
]  # fmt: skip


def _tell(client: TestClient, clock: FrozenClock, people: dict[str, dict[str, str]]) -> Story:
    owner, editor = people["owner"], people["editor"]

    def post(url: str, headers: dict[str, str], body: dict[str, object]) -> dict[str, object]:
        response = client.post(url, json=body, headers=headers)
        assert response.status_code in (200, 201), response.text
        return dict(response.json()["data"])

    made = client.post(
        "/admin/api/collections",
        json={"name": "notes", "display_name": "Notes", "schema": SCHEMA},
        headers=people["admin"],
    )
    assert made.status_code == 201, made.text
    draft = {"collectionId": "notes", "title": f"Plan {MARKER}", "slug": "plan"}
    edited = str(post("/api/content", owner, {**draft, "data": {"body": f"secret {MARKER}"}})["id"])
    hidden_body = {"collectionId": "notes", "title": f"Hidden {MARKER}", "slug": "hidden"}
    hidden = str(post("/api/content", owner, {**hidden_body, "data": {"body": MARKER}})["id"])
    draft_moment = clock.now_ms()
    clock.advance(MINUTE)
    changed = client.put(
        f"/api/content/{edited}", json={"title": "Plan", "data": {"body": "public"}}, headers=owner
    )
    assert changed.status_code == 200, changed.text
    clock.advance(MINUTE)
    submit = {"to_state": "pending-review", "comment": f"please review {MARKER}"}
    post(f"/api/content/{edited}/transitions", owner, submit)
    clock.advance(MINUTE)
    post(f"/api/content/{edited}/transitions", editor, {"to_state": "approved"})
    post(f"/api/content/{edited}/publish", editor, {})
    linking_body = {"title": "Links", "slug": "links", "status": "published"}
    linking = {**linking_body, "collectionId": "notes", "data": {"related": hidden}}
    linking_id = str(post("/api/content", editor, linking)["id"])
    comment = post(f"/api/content/{hidden}/comments", owner, {"body": f"note {MARKER}"})
    approved = client.post(f"/admin/api/comments/{comment['id']}/approve", headers=editor)
    assert approved.status_code == 200, approved.text
    post(f"/api/content/{edited}/comments", editor, {"body": "looks good"})
    clock.advance(MINUTE)
    return Story(edited, hidden, linking_id, draft_moment, clock.now_ms())


@pytest.fixture
def people(db: Database, settings: Settings, clock: FrozenClock) -> dict[str, dict[str, str]]:
    """Authorization headers per caller ("anonymous": none)."""

    def signed_in(role: str) -> dict[str, str]:
        return headers_for(db, settings, clock, create_random_user(db, clock, role))

    return {
        "admin": signed_in("admin"),
        "editor": signed_in("editor"),
        "owner": signed_in("author"),
        "author_not_owner": signed_in("author"),
        "viewer": signed_in("viewer"),
        "anonymous": {},
    }


def test_every_content_route_shows_each_caller_only_what_it_may_see(
    client: TestClient, clock: FrozenClock, people: dict[str, dict[str, str]]
):
    story = _tell(client, clock, people)
    problems: list[str] = []
    # anonymous last and twice: the second read comes from the response cache
    for caller in (*CALLERS, "anonymous"):
        for row in TABLE:
            response = client.get(row.url(story), headers=people[caller])
            where = f"{row.name} as {caller}: {response.status_code} {response.text[:200]}"
            if response.status_code != row.statuses[caller]:
                problems.append(f"status {row.statuses[caller]} expected; {where}")
            shown = MARKER.lower().encode() in response.content.lower()
            if shown != (caller in row.sees_marker):
                problems.append(f"marker {'leaked' if shown else 'missing'}; {where}")
    assert problems == [], "\n".join(problems)


def test_the_table_covers_every_get_route_that_returns_content(client: TestClient):
    """A new content route must join the table (or this list of routes that return none)."""
    no_content = {
        "/api/content/check-slug",  # {"available": bool}; writers only (test_draft_leaks)
        "/api/content/{item_id}/transitions",  # state names
        "/api/content/{content_id}/transitions",
        "/api/content/{content_id}/schedules",  # schedule rows
        # the caller's own working copy, never the item nor another's copy (test_autosaves)
        "/api/content/{item_id}/autosave",
        "/api/collections",
        "/api/collections/{name}",
    }
    covered = {"/api/content", "/api/collections/{name}/content", "/admin/api/stats"}
    covered |= {
        "/api/content/{item_id}",
        "/api/collections/{name}/content/{slug}",
        "/api/content/{item_id}/versions",
        "/api/content/{item_id}/versions/{number}",
        "/api/content/{item_id}/versions/diff",
        "/api/content/{content_id}/history",
        "/api/content/{item_id}/translations",
        "/api/content/{item_id}/comments",
    }
    paths = client.get("/openapi.json").json()["paths"]
    content_gets = {
        path
        for path, operations in paths.items()
        if "get" in operations and ("/content" in path or path == "/admin/api/stats")
    }
    assert content_gets - no_content - covered == set()
