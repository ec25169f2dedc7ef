"""The ``content:create|update|save`` filter payloads, and what a filter's result changes.

Filters run inside the write transaction *before* validation: the fields a plugin changed are
merged into the request body, which is then checked exactly like a client's (field shapes,
status permission, the collection's schema, slugs), so a plugin cannot store what a client
could not. Only :data:`FILTERABLE` keys are taken back; the rest of the payload is context.
"""

from __future__ import annotations

import copy
from typing import Any

from sonic_cms.plugins import hookspecs
from sonic_cms.plugins.hooks import HookScope

#: The payload keys a filter may change; every other key is read-only context.
FILTERABLE = ("title", "slug", "status", "data")


def write_payload(
    values: dict[str, Any],
    *,
    item_id: str | None,
    collection_id: str,
    collection: str,
    author_id: str,
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The filter payload of a create (``item_id`` None) or an update (``previous`` given).

    ``values`` holds what would be written: the client's fields, and for an update the item's
    current ones where the client sent none. A ``slug`` of None means "generate one".
    """
    payload: dict[str, Any] = {
        "id": item_id,
        "collection_id": collection_id,
        "collection": collection,
        "author_id": author_id,
        **{key: values.get(key) for key in FILTERABLE},
    }
    if previous is not None:
        payload["previous"] = previous
    return payload


def filter_write(hooks: HookScope, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The fields ``content:<operation>`` then ``content:save`` filters changed (empty: none).

    The handlers get a deep copy, so ``payload`` stays the baseline even when a handler edits
    ``data`` in place. ``content:save`` learns the operation from ``context.extra``.
    """
    hook = hookspecs.BY_NAME[f"content:{operation}"]
    if not hooks.wants(hook) and not hooks.wants(hookspecs.CONTENT_SAVE):
        return {}
    result = hooks.filter_dict(hook, copy.deepcopy(payload), operation=operation)
    result = hooks.filter_dict(hookspecs.CONTENT_SAVE, result, operation=operation)
    return {key: result.get(key) for key in FILTERABLE if result.get(key) != payload[key]}
