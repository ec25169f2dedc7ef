"""``/api/media``: SonicJS's media routes (upload, upload-multiple, bulk-delete, bulk-move,
create-folder, PATCH and DELETE by id), plus ours: list, get, stats, folders, import, restore,
purge, presigned URLs and usage (the content items that use a file).

Uploads are parsed by Starlette's multipart parser, which spools each file to a temporary file
past 1 MiB, and the bytes then stream from there to storage in a worker thread. The caller is
authenticated and checked for ``media.upload`` before a byte of the body is read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import anyio.to_thread
import orjson
from fastapi import APIRouter, Query, Request
from pydantic import Field
from starlette.datastructures import FormData, UploadFile

from sonic_cms.api.deps import ContextDep, CtxDep
from sonic_cms.api.models import media as mdocs
from sonic_cms.api.openapi import DocumentedRoute, ok
from sonic_cms.api.params import int_query
from sonic_cms.api.responses import JSONBytesResponse
from sonic_cms.content.includes import media_usage
from sonic_cms.errors import BadRequest, ValidationFailed
from sonic_cms.inputs.bodies import KnownFields
from sonic_cms.inputs.integers import checked_int
from sonic_cms.inputs.params import reject_unknown
from sonic_cms.media import manage
from sonic_cms.media.queries import (
    MediaFilter,
    get_media,
    list_media,
    media_folders,
    media_statistics,
)
from sonic_cms.media.upload import MediaMeta, NamedSource, upload_many, upload_media
from sonic_cms.media.url_import import import_from_url
from sonic_cms.pagination import complete_list, list_envelope, page_block

router = APIRouter(prefix="/api/media", tags=["media"], route_class=DocumentedRoute)
T = TypeVar("T")

_MULTIPART_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                        "folder": {"type": "string"},
                        "alt": {"type": "string"},
                        "caption": {"type": "string"},
                        "tags": {"type": "string", "description": "JSON array or a, b, c"},
                    },
                }
            }
        },
    }
}


class ImportBody(KnownFields):
    """``POST /api/media/import``."""

    url: str = Field(max_length=4096)
    folder: str | None = None
    alt: str | None = None
    caption: str | None = None
    tags: list[str] | None = None


class IdsBody(KnownFields):
    """``POST /api/media/bulk-delete``."""

    fileIds: list[str]  # noqa: N815 - SonicJS's field name


class MoveBody(IdsBody):
    """``POST /api/media/bulk-move``."""

    folder: str


class FolderBody(KnownFields):
    """``POST /api/media/create-folder``."""

    folderName: str  # noqa: N815 - SonicJS's field name


class PatchBody(KnownFields):
    """``PATCH /api/media/{id}``: the fields SonicJS lets a client change."""

    alt: str | None = None
    caption: str | None = None
    tags: list[str] | None = None
    folder: str | None = None


async def _in_thread(call: Callable[[], T]) -> T:
    """A storage call (a disk listing, an S3 request) off the event loop, whatever the engine."""
    return await anyio.to_thread.run_sync(call)


def _field(form: FormData, name: str) -> str | None:
    value = form.get(name)
    if value is None or isinstance(value, str):
        return value
    raise ValidationFailed(
        "Validation failed", details=[{"path": name, "message": "must be a text field"}]
    )


def _tags(raw: str | None) -> list[str] | None:
    """Tags from a form field: a JSON array of strings, or comma-separated."""
    if raw is None or raw.strip() == "":
        return None
    if raw.lstrip().startswith("["):
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            value = None
        if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
            detail = {"path": "tags", "message": "must be a JSON array of strings"}
            raise ValidationFailed("Validation failed", details=[detail])
        return value
    return [tag for tag in raw.split(",")]


def _meta(form: FormData) -> MediaMeta:
    return MediaMeta(
        folder=_field(form, "folder"),
        alt=_field(form, "alt"),
        caption=_field(form, "caption"),
        tags=_tags(_field(form, "tags")),
    )


async def _form(request: Request, max_files: int) -> FormData:
    return await request.form(max_files=max_files, max_fields=50)


@router.post(
    "/upload",
    summary="Upload one file (multipart `file`)",
    openapi_extra=_MULTIPART_DOC,
    responses=ok(mdocs.UploadResult),
)
async def upload(request: Request, ctx: CtxDep) -> Any:
    """SonicJS's single upload: ``{success, file, uploaded, errors}``."""
    ctx.actor.require("media.upload")
    form = await _form(request, max_files=1)
    try:
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise BadRequest("No file provided", code="no_file")
        source, name, meta = file.file, file.filename or "file", _meta(form)
        item = await ctx.run_write(lambda: upload_media(ctx, source, name, meta))
    finally:
        await form.close()
    return {"success": True, "file": item, "uploaded": [item], "errors": []}


@router.post(
    "/upload-multiple", summary="Upload several files (multipart `files`)",
    openapi_extra=_MULTIPART_DOC, responses=ok(mdocs.UploadManyResult),
)  # fmt: skip
async def upload_multiple(request: Request, ctx: CtxDep) -> Any:
    """SonicJS's multi-upload: each file stands alone; ``{success, uploaded, errors, summary}``."""
    ctx.actor.require("media.upload")
    limit = ctx.settings.media_max_files_per_request
    form = await _form(request, max_files=limit)
    try:
        files = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
        if not files:
            raise BadRequest("No files provided", code="no_file")
        sources = [NamedSource(f.file, f.filename or "file") for f in files]
        meta = _meta(form)
        return await ctx.run_write(lambda: upload_many(ctx, sources, meta))
    finally:
        await form.close()


@router.post(
    "/import", summary="Import a file from an http(s) URL", responses=ok(mdocs.UploadResult)
)
async def import_url(body: ImportBody, ctx: CtxDep, app: ContextDep) -> Any:
    """Fetch a public URL (SSRF-checked) and store it like an upload: 504 `import_timeout` past
    SONIC_MEDIA_IMPORT_TIMEOUT_SECONDS in total, 429 `too_many_imports` over the per-user or
    global cap on imports in flight."""
    meta = MediaMeta(folder=body.folder, alt=body.alt, caption=body.caption, tags=body.tags)
    # awaited, not sent to a worker thread: the download runs on the event loop and only the
    # ingest after it takes a thread (and one short transaction)
    item = await import_from_url(ctx, app.import_slots, body.url, meta)
    return {"success": True, "file": item, "uploaded": [item], "errors": []}


@router.post(
    "/bulk-delete", summary="Soft-delete up to 50 files", responses=ok(mdocs.BulkDeleteResult)
)
async def bulk_delete(body: IdsBody, ctx: CtxDep) -> Any:
    """SonicJS's bulk delete: ``{success, deleted, errors, summary}``."""
    return await ctx.run_write(lambda: manage.bulk_delete(ctx, body.fileIds))


@router.post(
    "/bulk-move", summary="Move up to 50 files to a folder", responses=ok(mdocs.BulkMoveResult)
)
async def bulk_move(body: MoveBody, ctx: CtxDep) -> Any:
    """SonicJS's bulk move: ``{success, moved, errors, summary}``."""
    return await ctx.run_write(lambda: manage.bulk_move(ctx, body.fileIds, body.folder))


@router.post("/create-folder", summary="Create an empty folder", responses=ok(mdocs.FolderCreated))
async def create_folder(body: FolderBody, ctx: CtxDep) -> Any:
    """SonicJS's create-folder: ``{success, message, folder}``; 409 when it exists."""
    return await ctx.run_write(lambda: manage.create_folder(ctx, body.folderName))


#: The last page a list serves: page * limit stays far inside 64 bits.
MAX_PAGE = 1_000_000
_LIST_PARAMS = frozenset(
    {"page", "limit", "folder", "type", "uploadedBy", "tag", "uploadedAfter", "uploadedBefore",
     "search", "sort", "deleted"}
)  # fmt: skip


@router.get("", summary="List media, filtered and paged", responses=ok(mdocs.MediaList))
async def list_items(
    request: Request,
    ctx: CtxDep,
    page: Annotated[int, int_query(ge=1, le=MAX_PAGE)] = 1,
    limit: Annotated[int, int_query(ge=1)] = 24,
    folder: str | None = None,
    type: str | None = None,
    uploadedBy: str | None = None,  # noqa: N803 - query parameter name
    tag: str | None = None,
    uploadedAfter: Annotated[int | None, int_query(ge=0)] = None,  # noqa: N803
    uploadedBefore: Annotated[int | None, int_query(ge=0)] = None,  # noqa: N803
    search: Annotated[str | None, Query(max_length=200)] = None,
    sort: str = "-uploaded_at",
    deleted: bool = False,
) -> Any:
    """``{data: [items], meta: {pagination}}``; ``deleted=true`` lists the trash."""
    reject_unknown(request.query_params.keys(), _LIST_PARAMS)
    checked_int("limit", limit, 1, ctx.settings.media_page_size_max, code="bad_request")
    filters = MediaFilter(
        folder=folder, type=type, uploaded_by=uploadedBy, tag=tag,
        uploaded_after=uploadedAfter, uploaded_before=uploadedBefore,
        search=search, deleted=deleted,
    )  # fmt: skip
    items, total = await ctx.run_read(
        lambda: list_media(ctx, filters, page=page, limit=limit, sort=sort)
    )
    return list_envelope(items, ctx.clock.now_ms(), pagination=page_block(page, limit, total))


@router.get(
    "/stats",
    summary="Media statistics (count, total and average size, per type)",
    responses=ok(mdocs.MediaStatsEnvelope),
)
async def stats(ctx: CtxDep) -> Any:
    """The seed's media statistics query, plus a per-type breakdown."""
    return {"data": await ctx.run_read(lambda: media_statistics(ctx))}


@router.get(
    "/folders",
    summary="Folders with their file count and total size",
    responses=ok(mdocs.FolderList),
)
async def folders(ctx: CtxDep) -> Any:
    """Folders in use plus those made with create-folder."""
    ctx.actor.require("media.read")
    created = await _in_thread(lambda: manage.created_folders(ctx))
    rows = await ctx.run_read(lambda: media_folders(ctx, created))
    return complete_list(rows, ctx.clock.now_ms())


@router.get("/{media_id}", summary="One media item", responses=ok(mdocs.MediaEnvelope))
async def get_item(media_id: str, ctx: CtxDep) -> Any:
    """``{data: item}``; 404 when missing or deleted."""
    return {"data": await ctx.run_read(lambda: get_media(ctx, media_id))}


@router.get(
    "/{media_id}/usage",
    summary="Content items that use the file",
    responses=ok(mdocs.MediaUsageList),
)
async def usage(media_id: str, ctx: CtxDep) -> Any:
    """Items whose featured image or data names the file, as far as the caller may read them;
    404 when the file is missing or deleted."""

    def read() -> list[dict[str, Any]]:
        get_media(ctx, media_id)
        return media_usage(ctx, media_id)

    return complete_list(await ctx.run_read(read), ctx.clock.now_ms())


@router.get(
    "/{media_id}/presigned-url",
    summary="A time-limited URL to the object",
    responses=ok(mdocs.PresignedEnvelope),
)
async def presigned_url(media_id: str, ctx: CtxDep) -> Any:
    """``{data: {url, expiresIn}}`` for a live item."""
    item = await ctx.run_read(lambda: get_media(ctx, media_id))
    ttl = ctx.settings.media_presign_ttl_seconds
    url = await _in_thread(lambda: ctx.storage.presigned_url(item["r2_key"], ttl))
    return {"data": {"url": url, "expiresIn": ttl}}


@router.patch(
    "/{media_id}", summary="Update alt, caption, tags or folder", responses=ok(mdocs.FileUpdated)
)
async def patch_item(media_id: str, body: PatchBody, ctx: CtxDep) -> Any:
    """SonicJS's update: ``{success, message}``, plus the updated ``file``."""
    given = body.model_dump(exclude_unset=True)
    changes = manage.MediaChanges(**given)
    item = await ctx.run_write(lambda: manage.update_media(ctx, media_id, changes))
    return {"success": True, "message": "File updated successfully", "file": item}


@router.delete("/{media_id}", summary="Soft-delete one file", responses=ok(mdocs.Done))
async def delete_item(media_id: str, ctx: CtxDep) -> Any:
    """SonicJS's delete: ``{success, message}``; the object stays until purged."""
    await ctx.run_write(lambda: manage.soft_delete(ctx, media_id))
    return {"success": True, "message": "File deleted successfully"}


@router.post(
    "/{media_id}/restore", summary="Restore a soft-deleted file", responses=ok(mdocs.FileRestored)
)
async def restore_item(media_id: str, ctx: CtxDep) -> Any:
    """``{success, file}``; 409 when the file is not deleted."""
    item = await ctx.run_write(lambda: manage.restore_media(ctx, media_id))
    return {"success": True, "file": item}


@router.post(
    "/{media_id}/purge",
    summary="Delete a file and its objects for good",
    responses=ok(mdocs.Done),
)
async def purge_item(media_id: str, ctx: CtxDep) -> JSONBytesResponse:
    """Remove the objects and the row; a missing object does not fail the purge."""
    await ctx.run_write(lambda: manage.purge_media(ctx, media_id))
    return JSONBytesResponse({"success": True, "message": "File purged"})
