"""The editor's lookups, answered as htmx fragments: slug suggestion and availability,
references by title, media to pick.

Each answers what one widget under ``templates/fields/`` asks while the user types (the slug's
status line, the reference combobox's listbox, the media dialog's grid) and the preview a
widget shows for the value it was rendered with. Every answer comes from the service the API
uses for the same question, read as the signed-in user, so a lookup shows nothing the API would
not; a user without the permission gets the service's 403 (JSON, answered by the app).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from sonic_cms.actors import Actor
from sonic_cms.admin.pages.frame import PageActor, context_for
from sonic_cms.admin.templating import render
from sonic_cms.content import history, items, lists
from sonic_cms.content.access import require_slug_check
from sonic_cms.content.slugs import is_valid_slug, slugify
from sonic_cms.context import Context
from sonic_cms.errors import NotFound
from sonic_cms.media.queries import MediaFilter, get_media, list_media

router = APIRouter(include_in_schema=False)
#: Options a reference listbox shows at most.
REFERENCE_OPTIONS = 10
#: Files per page of the media dialog.
MEDIA_PAGE = 12
#: Longest text a lookup accepts (the search and title inputs are not longer than this).
MAX_QUERY = 200
#: Longest slug or title the slug lookup reads: beyond any the API accepts, so an over-long
#: slug is answered with the shape it must have rather than refused.
MAX_TYPED = 1000
_WORD = re.compile(r"\w+")

Text = Annotated[str, Query(max_length=MAX_QUERY)]


def _fragment(request: Request, actor: Actor, template: str, **values: Any) -> Response:
    return render(request, template, session_id=actor.session_id, **values)


def slug_status(
    ctx: Context, collection: str, slug: str, title: str | None, exclude: str | None
) -> dict[str, Any]:
    """The slug the widget should show and what the service says of it.

    ``title`` given (the user has not typed a slug by hand): the slug is the title's, made by the
    one :func:`slugify` the API's generated slugs come from. A hand-typed slug the API would
    refuse (422) is answered with the shape it expects instead of an availability.
    """
    require_slug_check(ctx.actor)  # every answer, even "empty", only for those who may ask
    if title is not None:
        slug = slugify(title)
    if not slug:
        return {"state": "empty", "slug": ""}
    if not is_valid_slug(slug):
        return {"state": "invalid", "slug": slug, "suggestion": slugify(slug)}
    holder = items.slug_holder(ctx, collection, slug, exclude or None)
    if holder is None:
        return {"state": "available", "slug": slug}
    return {"state": "taken", "slug": slug, "holder": holder}


@router.get("/admin/lookup/slug")
async def slug_lookup(
    request: Request,
    actor: PageActor,
    collection: Text,
    slug: Annotated[str, Query(max_length=MAX_TYPED)] = "",
    title: Annotated[str | None, Query(max_length=MAX_TYPED)] = None,
    exclude: Text = "",
) -> Response:
    """The slug widget's status line (and, from a title, the slug to put in the input)."""
    ctx = context_for(request, actor)
    status = await ctx.run_read(lambda: slug_status(ctx, collection, slug, title, exclude))
    return _fragment(request, actor, "lookup_slug.html", answer=status)


def search_terms(q: str) -> str | None:
    """What the user typed as the full-text search's syntax: its words, the last one a prefix
    (``spr`` finds "Spring" while it is being typed); None when there is no word yet."""
    words = _WORD.findall(q)
    if not words:
        return None
    return " ".join([*words[:-1], words[-1] + "*"])


def reference_options(ctx: Context, collections: list[str], q: str) -> list[dict[str, Any]]:
    """Up to :data:`REFERENCE_OPTIONS` items of ``collections`` the actor may read, the best
    matches of ``q`` first (the most recently changed when ``q`` has no words)."""
    pairs = [
        ("filter[collection][in]", ",".join(collections)),
        ("limit", str(REFERENCE_OPTIONS)),
        ("fields", "id,title,slug,status"),
    ]
    terms = search_terms(q)
    pairs.append(("search", terms) if terms is not None else ("sort", "-updated_at"))
    found: list[dict[str, Any]] = lists.list_content(ctx, pairs)["data"]
    return found


def collection_names(raw: str) -> list[str]:
    """The collection names a reference field's config lists (sent comma-separated)."""
    return [name.strip() for name in raw.split(",") if name.strip()]


@router.get("/admin/lookup/references")
async def reference_lookup(
    request: Request,
    actor: PageActor,
    collection: Text,
    q: Text = "",
    listbox: Annotated[str, Query(max_length=100, pattern=r"^[\w.-]+$")] = "references",
) -> Response:
    """The reference combobox's listbox options for what the user typed."""
    ctx = context_for(request, actor)
    names = collection_names(collection)
    options = await ctx.run_read(lambda: reference_options(ctx, names, q) if names else [])
    return _fragment(
        request, actor, "lookup_references.html", options=options, listbox=listbox, q=q
    )


@router.get("/admin/lookup/references/{item_id}")
async def reference_chosen(request: Request, actor: PageActor, item_id: str) -> Response:
    """The chosen item as the reference widget shows it (its title and status)."""
    ctx = context_for(request, actor)
    try:
        item = await ctx.run_read(lambda: history.get_item(ctx, item_id))
    except NotFound:
        item = None
    return _fragment(request, actor, "lookup_reference_chosen.html", item=item, item_id=item_id)


@router.get("/admin/lookup/media")
async def media_lookup(
    request: Request,
    actor: PageActor,
    q: Text = "",
    kind: Annotated[str, Query(alias="type", max_length=MAX_QUERY)] = "",
    cursor: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """A page of the media dialog's grid; ``cursor`` is the page the "More" button asks for."""
    ctx = context_for(request, actor)
    filters = MediaFilter(type=kind or None, search=q.strip() or None)
    found, total = await ctx.run_read(
        lambda: list_media(ctx, filters, page=cursor, limit=MEDIA_PAGE)
    )
    more = cursor * MEDIA_PAGE < total
    values = {"media": found, "total": total, "next": cursor + 1 if more else None}
    return _fragment(request, actor, "lookup_media.html", q=q, kind=kind, **values)


@router.get("/admin/lookup/media/{media_id}")
async def media_current(request: Request, actor: PageActor, media_id: str) -> Response:
    """The chosen file as the media widget shows it: a thumbnail for images, else its name."""
    ctx = context_for(request, actor)
    try:
        item = await ctx.run_read(lambda: get_media(ctx, media_id))
    except NotFound:
        item = None
    return _fragment(request, actor, "lookup_media_current.html", item=item)
