"""Comments through the API on both engines: posting, threads, counts, and every bad case the
issue names, each checking the status, the error code and that nothing was written."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from sonic_cms.clock import FrozenClock
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Comment, ContentCommentCount
from tests.comments.conftest import EDIT_WINDOW_MS, Site


def _comment_rows(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(Comment)).scalar_one())


def test_a_viewers_comment_waits_for_a_moderator_then_counts(site: Site):
    posted = site.comment(site.viewer, site.published, "First!")
    assert posted["status"] == "pending" and posted["body"] == "First!"
    assert posted["author"]["id"] == site.viewer_id and "email" not in posted["author"]
    assert site.thread(None, site.published).json()["data"] == []
    own = site.thread(site.viewer, site.published).json()
    assert [c["id"] for c in own["data"]] == [posted["id"]]
    assert site.approved(site.published) == 0

    approved = site.moderate(site.editor, "approve", posted["id"])
    assert approved.status_code == 200, approved.text
    assert approved.json()["meta"]["changed"] == 1
    public = site.thread(None, site.published).json()
    assert [c["body"] for c in public["data"]] == ["First!"]
    assert public["meta"]["approved"] == 1
    assert site.approved(site.published) == 1
    anonymous = site.client.get(f"/api/content/{site.published}").json()["data"]
    assert anonymous["comments"] == {"approved": 1}


def test_trusted_roles_are_approved_at_once(site: Site):
    assert site.comment(site.editor, site.published)["status"] == "approved"
    assert site.comment(site.admin, site.published)["status"] == "approved"
    assert site.comment(site.author, site.published)["status"] == "pending"
    assert site.approved(site.published) == 2


def test_lists_show_each_items_approved_count(site: Site):
    site.comment(site.editor, site.published)
    site.comment(site.editor, site.published)
    site.comment(site.editor, site.other)
    listed = site.client.get("/api/collections/notes/content").json()["data"]
    counts = {item["id"]: item["comments"]["approved"] for item in listed}
    assert counts[site.published] == 2 and counts[site.other] == 1
    by_slug = site.client.get("/api/content", params={"filter[id][eq]": site.published})
    assert by_slug.status_code == 200, by_slug.text
    assert by_slug.json()["data"][0]["comments"] == {"approved": 2}
    in_locale = site.client.get(f"/api/content/{site.published}", params={"locale": "en"})
    assert in_locale.status_code == 200, in_locale.text
    assert in_locale.json()["data"]["comments"] == {"approved": 2}  # the localised read too


def test_writes_keep_their_representation(site: Site):
    """``comments`` is an additive key of reads; a write's answer is unchanged."""
    updated = site.client.put(
        f"/api/content/{site.published}", json={"title": "Renamed"}, headers=site.editor
    )
    assert updated.status_code == 200 and "comments" not in updated.json()["data"]


def test_replies_form_a_tree(site: Site):
    top = site.comment(site.editor, site.published, "Top")
    reply = site.comment(site.viewer, site.published, "Reply", parent_id=top["id"])
    assert reply["parent_id"] == top["id"]
    site.moderate(site.editor, "approve", reply["id"])
    nested = site.comment(site.editor, site.published, "Nested", parent_id=reply["id"])
    tree = site.thread(None, site.published).json()["data"]
    assert [c["body"] for c in tree] == ["Top"]
    assert [c["body"] for c in tree[0]["replies"]] == ["Reply"]
    assert [c["body"] for c in tree[0]["replies"][0]["replies"]] == ["Nested"]
    assert nested["id"] == tree[0]["replies"][0]["replies"][0]["id"]


def test_a_hidden_parent_leaves_a_placeholder_that_tells_nothing(site: Site):
    top = site.comment(site.editor, site.published, "Something rude")
    site.comment(site.editor, site.published, "Answer", parent_id=top["id"])
    assert site.moderate(site.editor, "spam", top["id"]).status_code == 200
    tree = site.thread(None, site.published).json()
    assert tree["data"][0]["status"] == "removed"
    assert tree["data"][0]["body"] is None and tree["data"][0]["author"] is None
    assert "rude" not in str(tree)
    assert [c["body"] for c in tree["data"][0]["replies"]] == ["Answer"]
    assert tree["meta"] == {**tree["meta"], "count": 1, "approved": 1}


def test_a_stranger_cannot_comment_on_a_draft_nor_learn_it_exists(site: Site, db: Database):
    for who in (site.stranger, site.viewer):
        refused = site.post(who, site.draft, body="Hello?")
        assert refused.status_code == 404 and refused.json()["code"] == "content_not_found"
        assert site.thread(who, site.draft).status_code == 404
    missing = site.post(site.viewer, "no-such-item", body="Hello?")
    assert missing.status_code == 404 and missing.json()["code"] == "content_not_found"
    assert _comment_rows(db) == 0
    # its author may (they read it)
    assert site.comment(site.author, site.draft)["status"] == "pending"


def test_anonymous_callers_cannot_comment(site: Site, db: Database):
    refused = site.post(None, site.published, body="Hi")
    assert refused.status_code == 401
    assert _comment_rows(db) == 0


def test_a_collection_can_turn_comments_off(site: Site, db: Database):
    refused = site.post(site.editor, site.closed, body="Hi")
    assert refused.status_code == 404 and refused.json()["code"] == "comments_disabled"
    assert site.thread(None, site.closed).json()["code"] == "comments_disabled"
    assert _comment_rows(db) == 0


@pytest.mark.parametrize(
    ("parent", "code"),
    [("elsewhere", "parent_on_other_item"), ("missing", "parent_not_found")],
)
def test_a_reply_needs_a_parent_on_the_same_item(site: Site, db: Database, parent: str, code: str):
    on_other = site.comment(site.editor, site.other, "On the other item")
    parent_id = on_other["id"] if parent == "elsewhere" else "0190c0de-0000-7000-8000-000000000000"
    refused = site.post(site.viewer, site.published, body="Reply", parent_id=parent_id)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == code
    assert [d["path"] for d in refused.json()["details"]] == ["parent_id"]
    assert _comment_rows(db) == 1


def test_a_reply_to_someone_elses_pending_comment_is_refused(site: Site):
    pending = site.comment(site.viewer, site.published, "Mine, pending")
    refused = site.post(site.stranger, site.published, body="Re", parent_id=pending["id"])
    assert refused.status_code == 422 and refused.json()["code"] == "parent_not_found"


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"body": ""}, "body"),
        ({"body": "   \n\t "}, "body"),
        ({"body": "x" * 5001}, "body"),
        ({"body": "bell\x07"}, "body"),
        ({"body": "nul\x00"}, "body"),
        ({"body": "escape \x1b[31m"}, "body"),
        ({"body": 42}, "body"),
        ({"body": None}, "body"),
        ({}, "body"),
        ({"body": "ok", "status": "approved"}, "status"),
        ({"body": "ok", "parent_id": 7}, "parent_id"),
    ],
    ids=[
        "empty",
        "blank",
        "oversize",
        "bell",
        "nul",
        "escape",
        "number",
        "null",
        "missing",
        "unknown-field",
        "parent-number",
    ],
)
def test_bad_bodies_are_422_and_write_nothing(
    site: Site, db: Database, body: dict[str, Any], path: str
):
    refused = site.post(site.editor, site.published, **body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "validation_failed"
    assert path in str(refused.json()["details"])
    assert _comment_rows(db) == 0
    assert site.approved(site.published) == 0


def test_the_longest_body_is_accepted(site: Site):
    assert len(site.comment(site.editor, site.published, "y" * 5000)["body"]) == 5000


def test_html_is_stored_and_returned_as_written(site: Site):
    text = '<script>alert("x")</script><b onclick="steal()">bold</b> & done'
    posted = site.comment(site.editor, site.published, text)
    assert posted["body"] == text
    assert site.thread(None, site.published).json()["data"][0]["body"] == text


def test_edit_is_the_authors_within_the_window(site: Site, clock: FrozenClock):
    mine = site.comment(site.viewer, site.published, "Tpyo")
    site.moderate(site.editor, "approve", mine["id"])
    assert site.approved(site.published) == 1
    other = site.edit(site.stranger, mine["id"], "X")
    assert other.status_code == 403 and other.json()["code"] == "not_comment_author"
    edited = site.edit(site.viewer, mine["id"], "Typo")
    assert edited.status_code == 200, edited.text
    # an approval covers the approved text: an untrusted author's edit waits again
    assert edited.json()["data"]["body"] == "Typo" and edited.json()["data"]["status"] == "pending"
    assert site.approved(site.published) == 0
    clock.advance(EDIT_WINDOW_MS + 1)
    late = site.edit(site.viewer, mine["id"], "Late")
    assert late.status_code == 403 and late.json()["code"] == "edit_window_closed"
    gone = site.client.delete(f"/api/comments/{mine['id']}", headers=site.viewer)
    assert gone.status_code == 403 and gone.json()["code"] == "edit_window_closed"


def test_a_trusted_authors_edit_stays_approved(site: Site):
    mine = site.comment(site.editor, site.published, "Hello")
    edited = site.edit(site.editor, mine["id"], "Hi")
    assert edited.json()["data"]["status"] == "approved"
    assert site.approved(site.published) == 1


def test_an_author_deletes_their_comment_and_the_count_follows(site: Site):
    mine = site.comment(site.editor, site.published, "Oops")
    assert site.approved(site.published) == 1
    other = site.client.delete(f"/api/comments/{mine['id']}", headers=site.admin)
    assert other.status_code == 403 and other.json()["code"] == "not_comment_author"
    gone = site.client.delete(f"/api/comments/{mine['id']}", headers=site.editor)
    assert gone.status_code == 200 and gone.json()["data"]["status"] == "deleted"
    assert site.approved(site.published) == 0
    again = site.client.delete(f"/api/comments/{mine['id']}", headers=site.editor)
    assert again.status_code == 404


def test_moderation_needs_the_permission(site: Site, db: Database):
    posted = site.comment(site.viewer, site.published)
    for who in (site.viewer, site.author):
        refused = site.moderate(who, "approve", posted["id"])
        assert refused.status_code == 403 and refused.json()["code"] == "missing_permission"
        queue = site.client.get("/admin/api/comments", headers=who)
        assert queue.status_code == 403
    assert site.client.get("/admin/api/comments").status_code == 401
    one = site.client.post(f"/admin/api/comments/{posted['id']}/approve", headers=site.viewer)
    assert one.status_code == 403
    assert site.approved(site.published) == 0


def test_bulk_moderation_is_all_or_nothing(site: Site):
    first = site.comment(site.viewer, site.published, "one")
    second = site.comment(site.viewer, site.other, "two")
    refused = site.moderate(site.editor, "approve", first["id"], "no-such-comment")
    assert refused.status_code == 404 and refused.json()["code"] == "comment_not_found"
    assert site.approved(site.published) == 0
    done = site.moderate(site.editor, "approve", first["id"], second["id"], first["id"])
    assert done.status_code == 200 and done.json()["meta"]["changed"] == 2
    assert site.approved(site.published) == 1 and site.approved(site.other) == 1
    again = site.moderate(site.editor, "approve", first["id"])
    assert again.json()["meta"]["changed"] == 0 and site.approved(site.published) == 1
    spam = site.client.post(f"/admin/api/comments/{first['id']}/spam", headers=site.editor)
    assert spam.status_code == 200 and spam.json()["data"][0]["status"] == "spam"
    assert site.approved(site.published) == 0


@pytest.mark.parametrize(
    "body",
    [
        {"action": "publish", "ids": ["a"]},
        {"action": "approve", "ids": []},
        {"action": "approve"},
        {"action": "approve", "ids": ["a"], "extra": 1},
        {"action": "approve", "ids": "a"},
    ],
)
def test_bad_moderation_bodies_are_422(site: Site, body: dict[str, Any]):
    refused = site.client.post("/admin/api/comments/bulk", json=body, headers=site.editor)
    assert refused.status_code == 422, refused.text


def test_the_queue_lists_by_status_with_the_item_and_author(site: Site):
    first = site.comment(site.viewer, site.published, "<i>first</i>")
    site.comment(site.editor, site.published, "approved one")
    queue = site.client.get("/admin/api/comments?status=pending", headers=site.editor)
    assert queue.status_code == 200, queue.text
    data = queue.json()["data"]
    assert [c["id"] for c in data] == [first["id"]]
    assert data[0]["item"] == {"id": site.published, "title": "Open", "collection": "notes"}
    assert queue.json()["meta"]["pagination"]["total"] == 1
    everything = site.client.get("/admin/api/comments?status=all", headers=site.editor).json()
    assert everything["meta"]["pagination"]["total"] == 2
    bad = site.client.get("/admin/api/comments?status=weird", headers=site.editor)
    assert bad.status_code == 400 and bad.json()["code"] == "bad_status"
    unknown = site.client.get("/admin/api/comments?colour=red", headers=site.editor)
    assert unknown.status_code == 400


def test_deleting_an_item_takes_its_comments_and_count(site: Site, db: Database):
    top = site.comment(site.editor, site.published, "Top")
    site.comment(site.viewer, site.published, "Reply", parent_id=top["id"])
    kept = site.comment(site.editor, site.other, "Elsewhere")
    gone = site.client.delete(f"/api/content/{site.published}", headers=site.admin)
    assert gone.status_code == 200, gone.text
    with db.read() as conn:
        left = conn.execute(select(Comment.id)).scalars().all()
        counted = conn.execute(select(ContentCommentCount.content_id)).scalars().all()
    assert left == [kept["id"]] and counted == [site.other]


def test_a_user_with_comments_is_deactivated_rather_than_deleted(site: Site, db: Database):
    site.comment(site.viewer, site.published, "Still here")
    refused = site.client.delete(f"/admin/api/users/{site.viewer_id}", headers=site.admin)
    assert refused.status_code == 409 and refused.json()["code"] == "user_in_use"
    assert _comment_rows(db) == 1


def test_a_schemas_comments_switch_must_be_a_boolean(site: Site):
    schema = {"type": "object", "properties": {}, "comments": "no"}
    refused = site.client.post(
        "/admin/api/collections",
        json={"name": "odd", "display_name": "Odd", "schema": schema},
        headers=site.admin,
    )
    assert refused.status_code == 422, refused.text
    assert "schema.comments" in str(refused.json()["details"])
