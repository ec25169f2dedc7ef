"""``/admin/collections``: the collections, with their item counts; create, rename, delete.

The list is ``content.collection_sync`` (one grouped count for all collections; for a
config-managed collection the file it comes from); create, the details' update and delete are
the services of ``POST/PATCH/DELETE /admin/api/collections``, so a managed collection's change
is refused (409) and a collection that has items is not deleted (400), with the service's own
message. The schema editor is :mod:`.schema_editor`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from sonic_cms.actors import Actor
from sonic_cms.admin.pages.administration.schema_editor import PATH, collection_page
from sonic_cms.admin.pages.editorial.item_panel import checked_form
from sonic_cms.admin.pages.frame import PageActor, context_for, frame_values, page
from sonic_cms.admin.security import page_headers
from sonic_cms.content import collections
from sonic_cms.content.collection_sync import collection_overview
from sonic_cms.errors import ServiceError

router = APIRouter(include_in_schema=False)
NOTICES = {"deleted": "The collection was deleted."}
#: The statuses a refused request keeps (the interface never offers them).
PROPAGATED = frozenset({401, 403, 404})


async def list_page(request: Request, actor: Actor, status: int = 200, **extra: Any) -> Response:
    """The list and the create form; ``extra``: the create form's values and errors."""
    ctx = context_for(request, actor)
    values = await ctx.run_read(
        lambda: (
            {"rows": collection_overview(ctx), "folder": str(ctx.settings.collections_dir)}
            | frame_values(ctx, current=PATH)
        )
    )
    values = {"notice": NOTICES.get(request.query_params.get("done", "")), "create": {}} | values
    values |= extra
    return page(
        request, actor, "collections.html", crumbs=[("Collections", None)], status=status, **values
    )


@router.get(PATH)
async def collection_list(request: Request, actor: PageActor) -> Response:
    """Every collection with its item count (403 without ``collections.update``)."""
    return await list_page(request, actor)


def _see_other(url: str) -> Response:
    return page_headers(RedirectResponse(url, status_code=303))


def _errors_by_field(exc: ServiceError) -> dict[str, str]:
    found: dict[str, str] = {}
    for detail in exc.details or []:
        if isinstance(detail, dict):
            found.setdefault(str(detail.get("path", "")).split(".")[0], str(detail.get("message")))
    return found


@router.post(PATH)
async def create(request: Request, actor: PageActor) -> Response:
    """Create a collection (the service of ``POST /admin/api/collections``), then open it."""
    form = await checked_form(request, actor)
    body = {
        "name": form.get("name", "").strip(),
        "display_name": form.get("display_name", "").strip(),
        "description": form.get("description", "").strip() or None,
    }
    ctx = context_for(request, actor)
    try:
        made = await ctx.run_write(lambda: collections.create_collection(ctx, body))
    except ServiceError as exc:
        if exc.status in PROPAGATED:
            raise
        values = {"create": body, "create_errors": _errors_by_field(exc), "error": exc.message}
        return await list_page(request, actor, exc.status, **values)
    return _see_other(f"{PATH}/{made['id']}?done=created")


@router.post(PATH + "/{key}")
async def update_details(request: Request, actor: PageActor, key: str) -> Response:
    """Change the display name, description and status (the service of the API's PATCH).

    Status is a select, not a checkbox: an unticked checkbox sends nothing, which would read
    as "deactivate" from any form that leaves the field out; a missing status keeps it.
    """
    form = await checked_form(request, actor)
    body: dict[str, Any] = {
        "display_name": form.get("display_name", "").strip(),
        "description": form.get("description", "").strip() or None,
    }
    if form.get("is_active") in ("1", "0"):
        body["is_active"] = form.get("is_active") == "1"
    ctx = context_for(request, actor)
    try:
        await ctx.run_write(lambda: collections.update_collection(ctx, key, body))
    except ServiceError as exc:
        if exc.status in PROPAGATED:
            raise
        values: dict[str, Any] = {
            "details": body,
            "details_errors": _errors_by_field(exc),
            "error": exc.message,
        }
        return await collection_page(request, actor, key, status=exc.status, **values)
    return _see_other(f"{PATH}/{key}?done=saved")


@router.post(PATH + "/{key}/delete")
async def delete(request: Request, actor: PageActor, key: str) -> Response:
    """Delete an empty collection; one with items (400) or managed by config (409) stays,
    and the page says why."""
    await checked_form(request, actor)
    ctx = context_for(request, actor)
    try:
        await ctx.run_write(lambda: collections.delete_collection(ctx, key))
    except ServiceError as exc:
        if exc.status in PROPAGATED:
            raise
        return await collection_page(request, actor, key, status=exc.status, error=exc.message)
    return _see_other(f"{PATH}?done=deleted")
