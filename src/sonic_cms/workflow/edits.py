"""Edits that move the workflow: update, publish/unpublish, rollback, restore as of a moment.

An edit may change an item's status, and an edit of rejected content reopens it as a draft:
both are workflow moves, recorded in the workflow history in the edit's own transaction. The
workflow sits above content (content never imports it), so these operations are built here
from the pieces ``content.items`` exposes: the body checked before the transaction, the edit
opened inside it, the workflow followed, the edit written.
"""

from __future__ import annotations

from typing import Any

from sonic_cms.content import history, items, versions
from sonic_cms.content.rows import load_item, serialize_item
from sonic_cms.context import Context
from sonic_cms.workflow import autosaves, transitions


def update_item(
    ctx: Context, item_id: str, body: dict[str, Any], *, if_match: str | None = None
) -> dict[str, Any]:
    """Partial update (title, slug, status, data replace what is given) plus a new version;
    the Save that applies the caller's autosaved working copy, so it deletes that copy.

    ``"is_auto_saved": true`` is an autosave, not a save: it keeps the body in the caller's
    working copy (``workflow.autosaves``) and answers the item unchanged, so half-typed edits
    never reach readers, the search index or the version history.
    """
    if body.get("is_auto_saved") is True:
        typed = {k: v for k, v in body.items() if k != "is_auto_saved"}
        autosaves.save_autosave(ctx, item_id, typed)
        with ctx.db.read() as conn:
            return serialize_item(items.editable(conn, ctx.actor, item_id))
    items.check_update(ctx.actor, body)
    with ctx.db.write() as conn:
        hooks = ctx.hook_scope(conn)
        edit = items.open_edit(conn, hooks, item_id, body, if_match=if_match)
        # one moment for the whole write: the history row of a publish and the version it shows
        # must agree, or as_of at the publish moment would find the draft version before it
        now = ctx.clock.now_ms()
        row = transitions.follow_edit(conn, edit.row, ctx.actor, edit.status, now, hooks=hooks)
        item = items.write_edit(conn, hooks, edit, row, now)
        autosaves.discard_for_save(conn, item_id, ctx.actor.user_id)
    hooks.fire()
    return serialize_item(item)


def set_status(
    ctx: Context, item_id: str, status: str, *, if_match: str | None = None
) -> dict[str, Any]:
    """Publish (sets published_at), unpublish (back to draft) or archive.

    A status change is not an edit: it writes no version, so the history reads as the edits
    made (the README walkthrough: create, publish, edit twice -> versions 1 to 3), and
    unpublishing keeps every version. It is a workflow move: the collection's workflow must
    allow it (a workflow that requires approval refuses to publish unapproved content), and it
    is recorded in the workflow history.
    """
    ctx.actor.require("content.publish")
    with ctx.db.write() as conn:
        hooks = ctx.hook_scope(conn)
        row = items.editable(conn, ctx.actor, item_id)
        items.check_concurrency(row, {}, if_match)
        transitions.change_status(conn, row, ctx.actor, status, ctx.clock.now_ms(), hooks=hooks)
        fresh = load_item(conn, item_id)
    hooks.fire()
    assert fresh is not None
    return serialize_item(fresh)


def rollback(
    ctx: Context, item_id: str, number: Any, *, if_match: str | None = None
) -> dict[str, Any]:
    """Restore version ``number``'s title, slug and data as a new version; history stays."""
    body = versions.rollback_body(ctx, item_id, number)
    return update_item(ctx, item_id, body, if_match=if_match)


def restore_content_as_of(ctx: Context, content_id: str, as_of_ms: int) -> dict[str, Any]:
    """Bring back the item as it was at ``as_of_ms`` as a new version: the item, with
    ``version`` (the version its title, slug and data come from) and ``as_of``, as a read
    with ``as_of`` shows them."""
    number = history.version_to_restore(ctx, content_id, as_of_ms)
    restored = rollback(ctx, content_id, number)
    return {**restored, "version": number, "as_of": as_of_ms}
