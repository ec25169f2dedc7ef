"""``/api/content``: SonicJS's content routes, with versions, ETags and optimistic concurrency.

Reads run on the event loop for SQLite (a thread hop costs more than the read) and in a thread
for PostgreSQL (``Context.run_read``); bodies are serialized by orjson straight to bytes.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from pydantic import ConfigDict, Field

from sonic_cms.api.caching import Document, cached_route
from sonic_cms.api.deps import CtxDep
from sonic_cms.api.models import common as docs
from sonic_cms.api.openapi import NOT_MODIFIED, PUBLIC, DocumentedRoute, ok
from sonic_cms.api.params import int_path, int_query
from sonic_cms.api.responses import JSONBytesResponse
from sonic_cms.api.routes._io import json_object, public_document, query_pairs
from sonic_cms.content import history as content_history
from sonic_cms.content import items as content
from sonic_cms.content import rows
from sonic_cms.content import versions as content_versions
from sonic_cms.content.includes import parse_include
from sonic_cms.content.lists import list_content
from sonic_cms.context import Context
from sonic_cms.inputs.bodies import KnownFields, check_fields
from sonic_cms.inputs.params import reject_unknown
from sonic_cms.pagination import complete_list
from sonic_cms.translations import reads as translation_reads
from sonic_cms.workflow import autosaves, bulk_actions, edits

router = APIRouter(tags=["content"], route_class=DocumentedRoute)
IfMatch = Annotated[str | None, Header(alias="If-Match")]


def _with_etag(document: dict[str, Any], status_code: int = 200) -> JSONBytesResponse:
    return JSONBytesResponse(
        {"data": document},
        status_code=status_code,
        headers={"ETag": rows.etag_of(document_row(document))},
    )


def document_row(item: dict[str, Any]) -> dict[str, Any]:
    """The columns an ETag is computed from."""
    return {"version_number": item["version_number"], "updated_at": item["updated_at"]}


@router.get(
    "/api/content",
    summary="List content across collections",
    responses={**ok(docs.ContentList), **NOT_MODIFIED},
    openapi_extra={**PUBLIC, "parameters": docs.LIST_PARAMETERS},
)
@cached_route("content", "list")
async def list_all(request: Request, ctx: CtxDep) -> Any:
    """Published items for anonymous callers; filters, sort, paging, search, fields, include."""
    pairs = query_pairs(request)
    document = await ctx.run_read(lambda: list_content(ctx, pairs))
    return await public_document(ctx, document)


@router.get(
    "/api/content/check-slug",
    summary="Is a slug free in a collection",
    responses=ok(docs.SlugCheck),
)
async def check_slug(
    ctx: CtxDep,
    collection_id: Annotated[str, Query(alias="collectionId", max_length=200)],
    slug: Annotated[str, Query(max_length=200)],
    exclude_id: Annotated[str | None, Query(alias="excludeId", max_length=200)] = None,
) -> JSONBytesResponse:
    """SonicJS's slug check: ``{"available": bool}``."""
    free = await ctx.run_read(lambda: content.slug_available(ctx, collection_id, slug, exclude_id))
    return JSONBytesResponse({"available": free})


@router.get(
    "/api/content/{item_id}",
    summary="One item",
    responses={**ok(docs.ContentEnvelope), **NOT_MODIFIED},
    openapi_extra={**PUBLIC, "parameters": docs.ITEM_PARAMETERS},
)
@cached_route("content", "item")
async def get_one(request: Request, item_id: str, ctx: CtxDep) -> Any:
    """The item with its ETag; 304 when If-None-Match matches.

    ``?as_of=T`` (epoch ms or ISO 8601) returns the item as it was at T, from its versions;
    ``?include=`` expands relations as lists do.
    """
    include, as_of, locale = _item_query(request)
    if locale is not None:
        document = await ctx.run_read(
            lambda: translation_reads.get_in_locale(
                ctx, item_id, locale, include=include, as_of=as_of
            )
        )
        return await public_document(ctx, document)
    item = await ctx.run_read(
        lambda: content_history.get_item(ctx, item_id, include=include, as_of=as_of)
    )
    return await _item_document(ctx, item, plain=not include and as_of is None)


@router.get(
    "/api/collections/{name}/content/{slug}",
    summary="One item of a collection, by slug",
    responses={**ok(docs.ContentEnvelope), **NOT_MODIFIED},
    openapi_extra={**PUBLIC, "parameters": docs.ITEM_PARAMETERS},
)
@cached_route("content", "item")
async def get_by_slug(request: Request, name: str, slug: str, ctx: CtxDep) -> Any:
    """The item as ``GET /api/content/{id}`` gives it (``as_of``, ``include``, ETag, 304);
    404 naming the collection or the slug."""
    include, as_of, locale = _item_query(request)
    if locale is not None:
        document = await ctx.run_read(
            lambda: translation_reads.get_by_slug_in_locale(
                ctx, name, slug, locale, include=include, as_of=as_of
            )
        )
        return await public_document(ctx, document)
    item = await ctx.run_read(
        lambda: content_history.get_item_by_slug(ctx, name, slug, include=include, as_of=as_of)
    )
    return await _item_document(ctx, item, plain=not include and as_of is None)


def _item_query(request: Request) -> tuple[frozenset[str], int | None, str | None]:
    """``include``, ``as_of`` and ``locale`` of a single item's read; 400 for any other
    parameter."""
    params = dict(request.query_params)
    reject_unknown(params, content_history.ITEM_PARAMS | {"locale"})
    as_of = params.get("as_of")
    include = parse_include(params.get("include"))
    moment = None if as_of is None else content_history.parse_as_of(as_of)
    return include, moment, params.get("locale")


async def _item_document(ctx: Context, item: dict[str, Any], *, plain: bool) -> Document:
    """The cached document of a single item's read. A plain read's ETag is the item's own
    (version and write time, as If-Match compares); one with includes or ``as_of`` holds more
    than the item's row, so its ETag is the body's."""
    etag = rows.etag_of(document_row(item)) if plain else None
    return await public_document(ctx, {"data": item}, etag)


@router.post(
    "/api/content/{item_id}/restore",
    summary="Bring back the item as it was at a moment",
    responses=ok(docs.ContentEnvelope),
)
async def restore_as_of(
    item_id: str,
    ctx: CtxDep,
    as_of: Annotated[str, Query(max_length=40, description="Epoch ms or ISO 8601 time")],
) -> JSONBytesResponse:
    """A new version with the title, slug and data the item had at ``as_of``."""
    moment = content_history.parse_as_of(as_of)
    item = await ctx.run_write(lambda: edits.restore_content_as_of(ctx, item_id, moment))
    return JSONBytesResponse({"data": item})


@router.post(
    "/api/content",
    status_code=201,
    summary="Create an item",
    responses=ok(docs.ContentEnvelope, 201),
    openapi_extra=docs.body(docs.ContentCreate),
)
async def create(request: Request, ctx: CtxDep) -> JSONBytesResponse:
    """Validate ``data`` against the collection schema, write the item and its version 1."""
    body = await json_object(request)
    item = await ctx.run_write(lambda: content.create_item(ctx, body))
    return _with_etag(item, 201)


class BulkBody(KnownFields):
    """``POST /api/content/bulk``: one action for up to 500 ids (repeats are acted on once)."""

    model_config = KnownFields.model_config | ConfigDict(strict=True)

    action: Literal["publish", "unpublish", "archive", "delete"]
    # no control characters: PostgreSQL text cannot hold NUL, and no id has one
    ids: list[Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]+$")]] = (
        Field(min_length=1, max_length=bulk_actions.MAX_IDS)
    )


@router.post(
    "/api/content/bulk",
    summary="Publish, unpublish, archive or delete many items",
    responses=ok(docs.BulkResults),
)
async def bulk(body: BulkBody, ctx: CtxDep) -> JSONBytesResponse:
    """Each item is checked and changed as its single route would (``/publish``,
    ``/unpublish``, archive through the workflow, ``DELETE``), in its own transaction: 200 with
    one result per item, whatever failed. 401 anonymous, 403 without the action's permission in
    any form, 422 for a bad body (unknown field, unknown action, no ids or more than 500)."""
    result = await ctx.run_write(lambda: bulk_actions.bulk_action(ctx, body.action, body.ids))
    return JSONBytesResponse(result)


@router.put(
    "/api/content/{item_id}",
    summary="Update an item (partial)",
    responses=ok(docs.ContentEnvelope),
    openapi_extra=docs.body(docs.ContentUpdate),
)
async def update(
    request: Request, item_id: str, ctx: CtxDep, if_match: IfMatch = None
) -> JSONBytesResponse:
    """Stale If-Match: 412. Stale ``version`` in the body: 409."""
    body = await json_object(request)
    item = await ctx.run_write(lambda: edits.update_item(ctx, item_id, body, if_match=if_match))
    return _with_etag(item)


@router.put(
    "/api/content/{item_id}/autosave",
    summary="Autosave your working copy of an item",
    responses=ok(docs.ContentAutosaveEnvelope),
    openapi_extra=docs.body(docs.AutosaveBody),
)
async def autosave(request: Request, item_id: str, ctx: CtxDep) -> JSONBytesResponse:
    """Keep the fields typed so far in your working copy; the item and its readers see nothing
    until you Save (``PUT /api/content/{id}``), which applies and deletes it."""
    body = await json_object(request)
    copy = await ctx.run_write(lambda: autosaves.save_autosave(ctx, item_id, body))
    return JSONBytesResponse({"data": copy})


@router.get(
    "/api/content/{item_id}/autosave",
    summary="Your autosaved working copy of an item",
    responses=ok(docs.ContentAutosaveEnvelope),
)
async def get_autosave(item_id: str, ctx: CtxDep) -> JSONBytesResponse:
    """404 ``autosave_not_found`` when you have none; ``stale`` when the item moved on since."""
    copy = await ctx.run_read(lambda: autosaves.get_autosave(ctx, item_id))
    return JSONBytesResponse({"data": copy})


@router.delete(
    "/api/content/{item_id}/autosave",
    summary="Discard your working copy of an item",
    responses=ok(docs.Success),
)
async def discard_autosave(item_id: str, ctx: CtxDep) -> JSONBytesResponse:
    """Idempotent: success whether or not there was one."""
    await ctx.run_write(lambda: autosaves.discard_autosave(ctx, item_id))
    return JSONBytesResponse({"success": True})


@router.delete(
    "/api/content/{item_id}",
    summary="Delete an item",
    responses=ok(docs.Success),
)
async def remove(item_id: str, ctx: CtxDep, if_match: IfMatch = None) -> JSONBytesResponse:
    """Delete the item and its versions."""
    await ctx.run_write(lambda: content.delete_item(ctx, item_id, if_match=if_match))
    return JSONBytesResponse({"success": True})


@router.post(
    "/api/content/{item_id}/publish",
    summary="Publish an item",
    responses=ok(docs.ContentEnvelope),
)
async def publish(item_id: str, ctx: CtxDep, if_match: IfMatch = None) -> JSONBytesResponse:
    """Status published; sets published_at. A status change writes no version."""
    return await _move(ctx, item_id, "published", if_match)


@router.post(
    "/api/content/{item_id}/unpublish",
    summary="Unpublish an item",
    responses=ok(docs.ContentEnvelope),
)
async def unpublish(item_id: str, ctx: CtxDep, if_match: IfMatch = None) -> JSONBytesResponse:
    """Back to draft; the version history keeps every version."""
    return await _move(ctx, item_id, "draft", if_match)


async def _move(ctx: Context, item_id: str, status: str, if_match: str | None) -> JSONBytesResponse:
    """Publish or unpublish through the workflow (workflow.edits.set_status)."""
    item = await ctx.run_write(lambda: edits.set_status(ctx, item_id, status, if_match=if_match))
    return _with_etag(item)


@router.get(
    "/api/content/{item_id}/versions",
    summary="An item's versions",
    responses=ok(docs.VersionList),
    openapi_extra=PUBLIC,
)
async def versions(item_id: str, ctx: CtxDep) -> JSONBytesResponse:
    """Newest first."""
    rows = await ctx.run_read(lambda: content_versions.list_versions(ctx, item_id))
    return JSONBytesResponse(complete_list(rows, ctx.clock.now_ms()))


@router.get(
    "/api/content/{item_id}/versions/diff",
    summary="Diff two versions",
    responses=ok(docs.Diff),
    openapi_extra=PUBLIC,
)
async def diff(
    item_id: str,
    ctx: CtxDep,
    start: Annotated[int, int_query(alias="from", ge=1)],
    end: Annotated[int, int_query(alias="to", ge=1)],
) -> JSONBytesResponse:
    """Per-field changes of title, slug, status and each data field."""
    result = await ctx.run_read(lambda: content_versions.diff_versions(ctx, item_id, start, end))
    return JSONBytesResponse({"data": result})


@router.get(
    "/api/content/{item_id}/versions/{number}",
    summary="One version",
    responses=ok(docs.VersionEnvelope),
    openapi_extra=PUBLIC,
)
async def version(
    item_id: str, number: Annotated[int, int_path(ge=1)], ctx: CtxDep
) -> JSONBytesResponse:
    """One version's snapshot."""
    row = await ctx.run_read(lambda: content_versions.get_version(ctx, item_id, number))
    return JSONBytesResponse({"data": row})


@router.post(
    "/api/content/{item_id}/rollback",
    summary="Roll back to a version",
    responses=ok(docs.ContentEnvelope),
    openapi_extra=docs.body(docs.Rollback),
)
async def rollback(
    request: Request, item_id: str, ctx: CtxDep, if_match: IfMatch = None
) -> JSONBytesResponse:
    """Writes a new version with the old version's title, slug and data."""
    body = await json_object(request)
    check_fields(body, {"version"})
    number = body.get("version")
    item = await ctx.run_write(lambda: edits.rollback(ctx, item_id, number, if_match=if_match))
    return _with_etag(item)
