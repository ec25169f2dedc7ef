"""The dry run of a schema change (content.schema_check) on both engines: items that fit, items
that fail (with their first errors, as a write's 422 names them), undeclared keys (counted, not
failures), references, and a big collection read in batches."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import insert, update

from sonic_cms.actors import ANONYMOUS
from sonic_cms.clock import FrozenClock
from sonic_cms.content import collections, items
from sonic_cms.content.schema_check import check_schema
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Content
from sonic_cms.db.schema.tables import COLLECTIONS
from sonic_cms.errors import Forbidden, NotFound, Unauthorized, ValidationFailed
from sonic_cms.ids import new_id
from tests.utils.auth import actor_with_role, system_context
from tests.utils.query_count import counting_statements

OPEN: dict[str, Any] = {
    "type": "object",
    "properties": {"body": {"type": "textarea"}, "score": {"type": "number"}},
}


def acting(db: Database, clock: FrozenClock, role: str = "admin") -> Context:
    return system_context(db, clock).acting_as(actor_with_role(db, clock, role))


def collection(ctx: Context, name: str = "notes", schema: dict[str, Any] = OPEN) -> str:
    body = {"name": name, "display_name": name.title(), "schema": schema}
    return str(collections.create_collection(ctx, body)["id"])


def item(ctx: Context, cid: str, title: str, data: dict[str, Any]) -> str:
    return str(items.create_item(ctx, {"collectionId": cid, "title": title, "data": data})["id"])


def test_items_that_fit_and_items_that_fail(db: Database, clock: FrozenClock):
    ctx = acting(db, clock)
    cid = collection(ctx)
    fine = item(ctx, cid, "Fine", {"body": "short", "score": 3})
    long = item(ctx, cid, "Long", {"body": "x" * 50, "score": 30})
    item(ctx, cid, "Empty", {})
    proposed = {
        "type": "object",
        "properties": {
            "body": {"type": "textarea", "maxLength": 10},
            "score": {"type": "number", "max": 10},
        },
    }
    result = check_schema(ctx, cid, proposed)
    assert result["checked"] == 3
    assert result["failed"] == 1
    assert result["failures"] == [
        {
            "id": long,
            "title": "Long",
            "errors": [
                {"path": "data.body", "message": "must be at most 10 characters"},
                {"path": "data.score", "message": "must be at most 10"},
            ],
        }
    ]
    assert result["undeclared"] == []
    assert fine != long
    # nothing was written: the collection keeps its schema
    assert collections.get_collection(ctx, cid)["schema"] == OPEN


def test_a_new_required_field_fails_every_item_without_it(db: Database, clock: FrozenClock):
    ctx = acting(db, clock)
    cid = collection(ctx)
    has = item(ctx, cid, "Has", {"body": "x"})
    item(ctx, cid, "Lacks", {"score": 1})
    proposed = {"type": "object", "properties": {**OPEN["properties"]}, "required": ["body"]}
    result = check_schema(ctx, cid, proposed)
    assert result["failed"] == 1
    assert [f["title"] for f in result["failures"]] == ["Lacks"]
    assert result["failures"][0]["errors"] == [{"path": "data.body", "message": "is required"}]
    assert has not in {f["id"] for f in result["failures"]}


def test_keys_the_schema_no_longer_declares_are_counted_not_failed(
    db: Database, clock: FrozenClock
):
    ctx = acting(db, clock)
    cid = collection(ctx)
    item(ctx, cid, "One", {"body": "a", "score": 1})
    item(ctx, cid, "Two", {"body": "b"})
    without_score = {"type": "object", "properties": {"body": {"type": "textarea"}}}
    result = check_schema(ctx, cid, without_score)
    assert result["failed"] == 0
    assert result["undeclared"] == [{"key": "score", "items": 1}]
    # a schema that accepts undeclared keys has none
    assert (
        check_schema(ctx, cid, {**without_score, "additionalProperties": True})["undeclared"] == []
    )


def test_a_reference_field_checks_that_its_targets_exist_in_the_named_collection(
    db: Database, clock: FrozenClock
):
    ctx = acting(db, clock)
    authors = collection(ctx, "authors")
    cid = collection(ctx, "posts", {"type": "object", "properties": {"who": {"type": "textarea"}}})
    person = item(ctx, authors, "Ada", {})
    item(ctx, cid, "Points at Ada", {"who": person})
    item(ctx, cid, "Points nowhere", {"who": "no-such-item"})
    proposed = {
        "type": "object",
        "properties": {"who": {"type": "reference", "collection": "authors"}},
    }
    result = check_schema(ctx, cid, proposed)
    assert result["failed"] == 1
    assert result["failures"][0]["title"] == "Points nowhere"
    assert result["failures"][0]["errors"][0]["path"] == "data.who"
    # the same data checked against another target collection fails both
    other = {"type": "object", "properties": {"who": {"type": "reference", "collection": "posts"}}}
    assert check_schema(ctx, cid, other)["failed"] == 2


def test_an_invalid_proposed_schema_is_a_422_with_the_updates_details(
    db: Database, clock: FrozenClock
):
    ctx = acting(db, clock)
    cid = collection(ctx)
    bad = {"type": "object", "properties": {"level": {"type": "select"}}}
    with pytest.raises(ValidationFailed) as caught:
        check_schema(ctx, cid, bad)
    with pytest.raises(ValidationFailed) as from_update:
        collections.update_collection(ctx, cid, {"schema": bad})
    assert caught.value.details == from_update.value.details
    with pytest.raises(ValidationFailed):
        check_schema(ctx, cid, ["not", "an", "object"])


def test_permissions_and_unknown_collections(db: Database, clock: FrozenClock):
    ctx = acting(db, clock)
    cid = collection(ctx)
    with pytest.raises(NotFound):
        check_schema(ctx, "no-such-collection", OPEN)
    with pytest.raises(Forbidden):
        check_schema(acting(db, clock, "editor"), cid, OPEN)
    with pytest.raises(Unauthorized):
        check_schema(system_context(db, clock).acting_as(ANONYMOUS), cid, OPEN)


def test_a_managed_collection_may_be_checked(db: Database, clock: FrozenClock):
    ctx = acting(db, clock)
    cid = collection(ctx)
    item(ctx, cid, "Long", {"body": "x" * 50})
    with db.write() as conn:
        conn.execute(update(COLLECTIONS).where(COLLECTIONS.c.id == cid).values(managed=True))
    proposed = {"type": "object", "properties": {"body": {"type": "textarea", "maxLength": 5}}}
    assert check_schema(ctx, cid, proposed)["failed"] == 1


def test_a_big_collection_is_read_in_batches(db: Database, clock: FrozenClock):
    ctx = acting(db, clock)
    cid = collection(ctx)
    author = str(ctx.actor.user_id)
    now = clock.now_ms()
    rows = []
    for n in range(230):
        content_id = new_id()
        data = {"body": "x" * (20 if n % 3 == 0 else 2)}
        rows.append(
            {
                "id": content_id,
                "collection_id": cid,
                "slug": f"item-{n}",
                "title": f"Item {n}",
                "data": data,
                "status": "draft",
                "author_id": author,
                "created_at": now,
                "updated_at": now,
            }
        )
    with db.write() as conn:
        conn.execute(insert(Content), rows)
    proposed = {"type": "object", "properties": {"body": {"type": "textarea", "maxLength": 10}}}
    with counting_statements(db.engine) as seen:
        result = check_schema(ctx, cid, proposed, batch_size=50, max_failures=7)
    content_reads = [s for s in seen.sql if "FROM content" in s and "LIMIT" in s.upper()]
    assert len(content_reads) == 5  # 230 items: 4 full batches of 50 and one of 30
    assert result["checked"] == 230
    assert result["failed"] == len([n for n in range(230) if n % 3 == 0])
    failing_ids = sorted(r["id"] for n, r in enumerate(rows) if n % 3 == 0)
    assert [f["id"] for f in result["failures"]] == failing_ids[:7]
