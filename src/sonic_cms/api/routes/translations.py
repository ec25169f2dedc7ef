"""``/api/content/{id}/translations``: the rows of an item's translation group, and adding one
in a new locale (docs/localisation.md)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from sonic_cms.api.deps import CtxDep
from sonic_cms.api.models import common as docs
from sonic_cms.api.models import translations as models
from sonic_cms.api.openapi import PUBLIC, DocumentedRoute, ok
from sonic_cms.api.responses import JSONBytesResponse
from sonic_cms.api.routes._io import json_object
from sonic_cms.translations import groups

router = APIRouter(tags=["content"], route_class=DocumentedRoute)


@router.get(
    "/api/content/{item_id}/translations",
    summary="An item's translations",
    responses=ok(models.TranslationList),
    openapi_extra=PUBLIC,
)
async def list_translations(item_id: str, ctx: CtxDep) -> JSONBytesResponse:
    """The group's rows the caller may read, default locale first; ``meta.missing`` lists the
    enabled locales without one."""
    document = await ctx.run_read(lambda: groups.list_translations(ctx, item_id))
    return JSONBytesResponse(document)


@router.post(
    "/api/content/{item_id}/translations",
    status_code=201,
    summary="Add a translation of an item",
    responses=ok(docs.ContentEnvelope, 201),
    openapi_extra=docs.body(models.TranslationCreate),
)
async def create_translation(request: Request, item_id: str, ctx: CtxDep) -> JSONBytesResponse:
    """A draft in ``locale`` (400 when it is malformed or not enabled, 409 when the item has
    one or the slug is taken in it); ``data`` defaults to the item's."""
    body = await json_object(request)
    item = await ctx.run_write(lambda: groups.create_translation(ctx, item_id, body))
    return JSONBytesResponse({"data": item}, status_code=201)
