"""Bulk content actions: publish, unpublish, archive or delete many items in one request.

The admin's content list selects items and applies one action to them. Each item goes through
the very service function its single-item route calls (:func:`sonic_cms.workflow.edits.set_status`
for publish, unpublish and archive, :func:`sonic_cms.content.items.delete_item` for delete), so
the permission, visibility and workflow rules are the single routes' and written once: an item
the caller may not read is a 404 ``content_not_found`` exactly like an unknown id (a draft's
existence is never disclosed), one they may read but not change a 403, a move the collection's
workflow refuses its error, a plugin's refusal its error.

Each item is its own transaction, as a single request would be: one item failing does not undo
the others (the result tells per item what happened, and the caller retries the failures). Its
hooks fire and its cache namespaces move after its own commit, exactly as for the single route.
An all-or-nothing batch would instead let one locked, refused or concurrently deleted item undo
every other, and hold one write transaction (SQLite's only writer) for the whole batch.

Before any item, the request itself is refused when every item would fail alike: anonymous
callers get 401, and callers holding the action's permission in no form (``content.publish``;
``content.delete`` or ``content.delete_own``) get 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sonic_cms.auth.ownership import require_some_form
from sonic_cms.content import items
from sonic_cms.content.access import require_signed_in
from sonic_cms.context import Context
from sonic_cms.errors import ServiceError
from sonic_cms.pagination import list_envelope
from sonic_cms.workflow import edits

#: Most ids one request may name (the admin list's largest page is well below it).
MAX_IDS = 500

#: The status each status action moves an item to (unpublish: back to draft, from published or
#: archived, so it also brings archived items back).
STATUS_OF_ACTION = {"publish": "published", "unpublish": "draft", "archive": "archived"}
ACTIONS = (*STATUS_OF_ACTION, "delete")

#: The permission an action needs, in some form, before any item is looked at.
PERMISSION_OF_ACTION = {
    **dict.fromkeys(STATUS_OF_ACTION, "content.publish"),
    "delete": "content.delete",
}


def unique_ids(ids: list[str]) -> list[str]:
    """``ids`` without repeats, in the order first given (an item is acted on once)."""
    return list(dict.fromkeys(ids))


def _action_call(ctx: Context, action: str) -> Callable[[str], dict[str, Any] | None]:
    """The single-item service call of ``action``: the item afterwards, or None once deleted."""
    if action == "delete":

        def delete(item_id: str) -> None:
            items.delete_item(ctx, item_id)

        return delete
    status = STATUS_OF_ACTION[action]
    return lambda item_id: edits.set_status(ctx, item_id, status)


def failure(item_id: str, exc: ServiceError) -> dict[str, Any]:
    """An item's failed result: its HTTP status and the API's error body."""
    error = {"error": exc.message, "code": exc.code, "details": exc.details}
    return {"id": item_id, "ok": False, "status": exc.status, "error": error}


def bulk_action(ctx: Context, action: str, ids: list[str]) -> dict[str, Any]:
    """Apply ``action`` to each of ``ids`` (de-duplicated) in its own transaction.

    Returns the list envelope: ``data`` holds one result per id in the order given (``ok``
    with the item as the single route returns it, none for delete; or the status and error
    the single route would have answered), ``meta`` the counts. ``action`` and ``ids`` are
    checked by the caller's body model (:data:`ACTIONS`, at most :data:`MAX_IDS`).
    """
    require_signed_in(ctx.actor)
    require_some_form(ctx.actor, PERMISSION_OF_ACTION[action])
    call = _action_call(ctx, action)
    results: list[dict[str, Any]] = []
    for item_id in unique_ids(ids):
        try:
            item = call(item_id)
        except ServiceError as exc:
            results.append(failure(item_id, exc))
            continue
        results.append({"id": item_id, "ok": True} | ({} if item is None else {"item": item}))
    succeeded = sum(result["ok"] for result in results)
    return list_envelope(
        results,
        ctx.clock.now_ms(),
        count=len(results),
        action=action,
        succeeded=succeeded,
        failed=len(results) - succeeded,
    )
