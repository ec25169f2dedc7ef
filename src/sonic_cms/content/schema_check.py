"""The dry run of a schema change: would every existing item of a collection still save?

:func:`check_schema` validates each item's stored data against a proposed schema with the
function every content write uses (:func:`~sonic_cms.content.items.checked_data`, as an update
that leaves the item unchanged would call it: defaults are not filled, title and slug are
mirrored, HTML is cleaned, references and media must exist). Nothing is written.

Items are read in keyset batches of :data:`BATCH_SIZE` by id, each batch in its own read
transaction, so a collection of any size never sits in memory at once. Keys an item holds that
the proposed schema does not declare are not failures (an update keeps them, see
:func:`~sonic_cms.content.schema.undeclared_keys`); they are counted per key in ``undeclared``
so the caller sees which data a removed or renamed field leaves behind.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from sonic_cms.content.collections import find_collection
from sonic_cms.content.items import Target, checked_data
from sonic_cms.content.schema import compile_schema, schema_problems
from sonic_cms.context import Context
from sonic_cms.db.schema.tables import CONTENT
from sonic_cms.errors import NotFound, ValidationFailed

BATCH_SIZE = 500
#: How many failing items the answer lists, and how many errors of each.
MAX_FAILURES = 20
MAX_ERRORS_PER_ITEM = 5


def check_schema(
    ctx: Context,
    key: str,
    proposed: Any,
    *,
    batch_size: int = BATCH_SIZE,
    max_failures: int = MAX_FAILURES,
) -> dict[str, Any]:
    """Validate every item of collection ``key`` (id or name) against ``proposed``.

    Answers ``{checked, failed, failures: [{id, title, errors}], undeclared: [{key, items}]}``:
    ``failures`` lists the first ``max_failures`` failing items (by id) with their first
    errors (paths ``data.*``, as a write's 422 names them). Requires ``collections.update``;
    a proposed schema that is itself invalid is a 422 with the details the collection update
    would give; an unknown collection a 404. Config-managed collections may be checked too
    (their schema changes in their file, which this lets an operator try before a sync).
    """
    ctx.actor.require("collections.update")
    problems = schema_problems(proposed)
    if problems:
        raise ValidationFailed("Invalid collection", details=problems)
    compiled = compile_schema(proposed)
    with ctx.db.read() as conn:
        row = find_collection(conn, key)
    if row is None:
        raise NotFound("Collection not found", code="collection_not_found")
    target = Target(row.id, row.name, compiled)
    checked = failed = 0
    failures: list[dict[str, Any]] = []
    undeclared: dict[str, int] = {}
    after = ""
    while True:
        with ctx.db.read() as conn:
            batch = conn.execute(
                select(CONTENT.c.id, CONTENT.c.title, CONTENT.c.slug, CONTENT.c.data)
                .where(CONTENT.c.collection_id == row.id, CONTENT.c.id > after)
                .order_by(CONTENT.c.id)
                .limit(batch_size)
            ).all()
            for item in batch:
                errors = _item_errors(conn, target, item)
                checked += 1
                for name in _undeclared(compiled.fields, compiled.extra_keys, item.data):
                    undeclared[name] = undeclared.get(name, 0) + 1
                if errors:
                    failed += 1
                    if len(failures) < max_failures:
                        failures.append(
                            {
                                "id": item.id,
                                "title": item.title,
                                "errors": errors[:MAX_ERRORS_PER_ITEM],
                            }
                        )
        if len(batch) < batch_size:
            break
        after = batch[-1].id
    return {
        "checked": checked,
        "failed": failed,
        "failures": failures,
        "undeclared": [{"key": k, "items": n} for k, n in sorted(undeclared.items())],
    }


def _item_errors(conn: Any, target: Target, item: Any) -> list[dict[str, str]]:
    """The problems an update leaving ``item`` as it is would meet under ``target``."""
    if not isinstance(item.data, dict):
        return [{"path": "data", "message": "must be an object"}]
    fields = {"data": item.data, "title": item.title or "", "slug": item.slug or ""}
    _, problems = checked_data(conn, target, fields, creating=False, kept=set(item.data))
    return problems


def _undeclared(fields: dict[str, Any], extra_keys: bool, data: Any) -> list[str]:
    if extra_keys or not isinstance(data, dict):
        return []
    return [str(name) for name in data if name not in fields]
