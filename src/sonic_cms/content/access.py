"""Who may see and change which content: one policy, used by reads, lists, search and versions.

Editors (``content.update``) see everything; authors (``content.update_own``) see what is
published plus their own items; everyone else, anonymous callers included, sees published items
only. SonicJS returns drafts to anonymous callers; sonic-cms never does.

*Draft access* (:func:`has_draft_access`) is the same own-or-any rule applied to one item: the
callers who may read its unpublished states. History (versions, diffs, workflow history, past
states through ``as_of``) holds those states, so it is theirs only (:func:`require_history`);
everyone else gets no more than the item's public read.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, and_, func, literal_column, or_, select, true

from sonic_cms.actors import Actor
from sonic_cms.auth.ownership import holds_own_or_any, require_own_or_any
from sonic_cms.cache.memo import Stamp
from sonic_cms.context import Context
from sonic_cms.db.schema.tables import CONTENT
from sonic_cms.errors import Forbidden, NotFound, Unauthorized

STATUSES = ("draft", "published", "archived")
#: The published status as SQL text: a constant, so no bound parameter (see :func:`is_public`).
PUBLISHED_SQL: ColumnElement[str] = literal_column("'published'")


def sees_everything(actor: Actor) -> bool:
    """Whether the actor may read unpublished content of any author."""
    return actor.can("content.update")


def is_public(now_ms: int | ColumnElement[int] | None) -> ColumnElement[bool]:
    """Published, past its embargo and not yet expired (checked at read time, so content
    disappears at its expiry minute even if the scheduler runs late). ``now_ms`` may be a
    bound parameter, for a statement built once and run at many moments.

    ``'published'`` is written into the SQL, not bound: SQLite checks a bound value against
    the seed's partial index ``idx_published_content`` (``WHERE status = 'published'``) and
    then prepares the statement again at every execution, which cost a list read about 45 us
    of its 115 (bench/README.md, "Issue 18's figures against issue 17's")."""
    published = CONTENT.c.status == PUBLISHED_SQL
    if now_ms is None:
        return published
    return and_(
        published,
        or_(CONTENT.c.embargo_until.is_(None), CONTENT.c.embargo_until <= now_ms),
        or_(CONTENT.c.expires_at.is_(None), CONTENT.c.expires_at > now_ms),
    )


def next_visibility_change(conn: Connection, now_ms: int) -> int | None:
    """The next moment after ``now_ms`` an item's embargo ends or it expires (None: never).

    A cached public read must not outlive it. Two seeks on partial indexes (revision 0006).
    """
    embargo = select(func.min(CONTENT.c.embargo_until)).where(CONTENT.c.embargo_until > now_ms)
    expiry = select(func.min(CONTENT.c.expires_at)).where(CONTENT.c.expires_at > now_ms)
    row = conn.execute(select(embargo.scalar_subquery(), expiry.scalar_subquery())).one()
    moments = [int(moment) for moment in row if moment is not None]
    return min(moments) if moments else None


def public_view_lifetime(ctx: Context) -> int | None:
    """Whole seconds the public view of content stays as it is now (None: until a write)."""
    now = ctx.clock.now_ms()
    moment = remembered_visibility_change(ctx, now, ctx.stamp(("content",)))
    return None if moment is None else (moment - now) // 1000


_NEXT_CHANGE = ("next-visibility-change",)


def remembered_visibility_change(
    ctx: Context, now_ms: int, read_under: Stamp | None, conn: Connection | None = None
) -> int | None:
    """:func:`next_visibility_change`, from memory until a content write or that moment: every
    anonymous read asks it (its copy may not outlive the moment), and it changes only then.

    ``read_under`` is ``ctx.stamp(("content",))``, read before ``conn``'s transaction began
    (cache/memo.py); without ``conn``, a read transaction is opened only when memory has no
    answer."""
    known: tuple[int | None] | None = ctx.recall(_NEXT_CHANGE)
    if known is not None:
        return known[0]
    if conn is None:
        with ctx.db.read() as own:
            moment = next_visibility_change(own, now_ms)
    else:
        moment = next_visibility_change(conn, now_ms)
    ctx.remember(_NEXT_CHANGE, (moment,), ("content",), read_under, until_ms=moment)
    return moment


#: The columns :func:`can_read_row` reads.
ROW_VISIBILITY_COLUMNS = ("status", "author_id", "embargo_until", "expires_at")


def window_open(row: Row[Any], moment_ms: int) -> bool:
    """Whether ``moment_ms`` is past the row's embargo and before its expiry."""
    embargoed = row.embargo_until is not None and row.embargo_until > moment_ms
    expired = row.expires_at is not None and row.expires_at <= moment_ms
    return not (embargoed or expired)


def row_is_public(row: Row[Any], now_ms: int | None) -> bool:
    """The row-level form of :func:`is_public`."""
    if row.status != "published" or now_ms is None:
        return bool(row.status == "published")
    return window_open(row, now_ms)


#: :func:`visibility_scope` of those who see every item, and of those who see published ones.
EVERYTHING = ("everything",)
PUBLISHED = ("published",)


def visibility_scope(actor: Actor) -> tuple[str, ...]:
    """What :func:`visibility` depends on besides the time: callers with equal scopes see the
    same items (a key for facts remembered about a list, such as its count)."""
    if sees_everything(actor):
        return EVERYTHING
    if actor.can("content.update_own") and actor.user_id:
        return ("own", actor.user_id)
    return PUBLISHED


def visibility(actor: Actor, now_ms: int | ColumnElement[int] | None = None) -> ColumnElement[bool]:
    """The WHERE clause of what ``actor`` may read at ``now_ms`` (None: ignore time windows)."""
    actor.require("content.read")
    scope = visibility_scope(actor)
    if scope == EVERYTHING:
        return true()
    public = is_public(now_ms)
    if scope == PUBLISHED:
        return public
    return or_(public, CONTENT.c.author_id == scope[1])


def has_draft_access(actor: Actor, row: Row[Any]) -> bool:
    """Whether the actor may read this item's unpublished states (drafts, history): editors
    and admins for every item, authors for their own. The row-level half of :func:`visibility`."""
    return holds_own_or_any(actor, "content.update", row.author_id)


def can_read_row(actor: Actor, row: Row[Any], now_ms: int | None = None) -> bool:
    """The row-level form of :func:`visibility`."""
    return row_is_public(row, now_ms) or has_draft_access(actor, row)


def require_readable(actor: Actor, row: Row[Any] | None, now_ms: int | None) -> Row[Any]:
    """The item, when the actor may see it at ``now_ms``; 404 otherwise, so a draft's
    existence is not disclosed to those who may not see it (the caller checks permissions)."""
    if row is None or not can_read_row(actor, row, now_ms):
        raise NotFound("Content not found", code="content_not_found")
    return row


def require_history(actor: Actor, row: Row[Any] | None, now_ms: int | None) -> Row[Any]:
    """The item, when the actor may read its history; raise otherwise.

    Versions and diffs hold every draft the item ever had, so they need draft access. An item
    the actor cannot read at all is a 404, as everywhere (its existence is not disclosed); a
    published item the actor reads without draft access is a 401 for anonymous callers and a
    403 ``draft_access_required`` for signed-in ones.
    """
    actor.require("content.read")
    row = require_readable(actor, row, now_ms)
    if has_draft_access(actor, row):
        return row
    if not actor.is_authenticated:
        raise Unauthorized("History requires draft access: sign in as its author or an editor")
    raise Forbidden("History requires draft access", code="draft_access_required")


def require_slug_check(actor: Actor) -> None:
    """Checking whether a slug is taken tells whether a draft with it exists: only callers who
    write content (create, or edit any or their own) may ask; anonymous callers get 401."""
    require_signed_in(actor)
    if not any(actor.can(p) for p in ("content.create", "content.update", "content.update_own")):
        raise Forbidden("Missing permission: content.create", code="missing_permission")


def require_signed_in(actor: Actor) -> None:
    """Writes need an identity: anonymous callers get 401 before any lookup."""
    if not actor.is_authenticated:
        raise Unauthorized("Authentication required")


def can_edit(actor: Actor, author_id: str | None) -> bool:
    """Whether the actor may edit an item by ``author_id`` (any item, or their own): the
    question :func:`require_edit` answers with a 403, asked by pages deciding whether to offer
    Save at all."""
    return holds_own_or_any(actor, "content.update", author_id)


def require_edit(actor: Actor, row: Row[Any]) -> None:
    """Raise unless the actor may edit this item (any item, or their own)."""
    require_own_or_any(actor, "content.update", row.author_id)


def require_delete(actor: Actor, row: Row[Any]) -> None:
    """Raise unless the actor may delete this item (any item, or their own)."""
    require_own_or_any(actor, "content.delete", row.author_id)


def require_status_change(actor: Actor, old: str | None, new: str) -> None:
    """Publishing, unpublishing and archiving need ``content.publish``."""
    if new == old or (old is None and new == "draft"):
        return
    if not actor.can("content.publish"):
        raise Forbidden("Missing permission: content.publish", code="missing_permission")
