"""``/admin/media``: the media library.

A grid or list of the files (newest first, keyset paging), filtered by folder, type and a
search, with a details drawer for one file (preview, alt text and caption, facts, variants and
the content that uses it), soft delete singly and in bulk, and import from a URL. Uploads do not
pass through here: ``static/js/media.js`` sends each dropped or chosen file to the API's
``POST /api/media/upload`` (cookie session) so it can show each file's progress.

Every read and write is the media service the API's routes call; the page only decides which
buttons to show, with the service's own rule (:func:`manage.may_change`), and the service
still refuses a crafted request (403).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

import anyio.to_thread
from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from sonic_cms.actors import Actor
from sonic_cms.admin.pages.frame import PageActor, context_for, frame_values, page
from sonic_cms.admin.security import check_csrf, page_headers
from sonic_cms.admin.templating import admin_of, render
from sonic_cms.content.includes import media_usage
from sonic_cms.context import Context
from sonic_cms.errors import NotFound, ServiceError
from sonic_cms.media import manage
from sonic_cms.media.queries import MediaFilter, get_media, media_cursor_page, media_folders
from sonic_cms.media.upload import MediaMeta
from sonic_cms.media.url_import import ImportSlots, import_from_url

router = APIRouter(include_in_schema=False)
PATH = "/admin/media"
PAGE_SIZE = 48
VIEWS = ("grid", "list")
#: The type filter's choices: the media service's kinds, as people name them.
KINDS = (("images", "Images"), ("videos", "Video"), ("audio", "Audio"), ("documents", "Documents"))
#: Result messages a redirect may ask for (a key, never text from the URL).
NOTICES = {
    "deleted": "The file was moved to the trash.",
    "imported": "The file was imported.",
    "folder": "The folder was created.",
}
MAX_SEARCH = 200


@dataclass(frozen=True)
class LibraryQuery:
    """What the library shows, all of it in the URL so a view can be shared and reloaded."""

    view: str = "grid"
    folder: str = ""
    kind: str = ""
    search: str = ""
    cursor: str = ""
    selected: str = ""

    def filters(self) -> MediaFilter:
        """The media service's filter for this view."""
        return MediaFilter(
            folder=self.folder or None, type=self.kind or None, search=self.search or None
        )

    def params(self, **changes: str) -> str:
        """The query string of this view with ``changes`` (empty values left out)."""
        view = replace(self, **changes)
        pairs = {
            "view": "" if view.view == "grid" else view.view,
            "folder": view.folder,
            "type": view.kind,
            "q": view.search,
            "cursor": view.cursor,
            "selected": view.selected,
        }
        return urlencode({k: v for k, v in pairs.items() if v})

    def url(self, **changes: str) -> str:
        """The library's URL for this view with ``changes``."""
        query = self.params(**changes)
        return f"{PATH}?{query}" if query else PATH

    @property
    def filtered(self) -> bool:
        """Whether a filter narrows the list (the empty state then says so)."""
        return bool(self.folder or self.kind or self.search)


def parse_query(request: Request) -> LibraryQuery:
    """The view the URL asks for; unknown values fall back to the defaults."""
    params = request.query_params
    view = params.get("view", "grid")
    kind = params.get("type", "")
    return LibraryQuery(
        view=view if view in VIEWS else "grid",
        folder=params.get("folder", ""),
        kind=kind if kind in dict(KINDS) else "",
        search=params.get("q", "").strip()[:MAX_SEARCH],
        cursor=params.get("cursor", ""),
        selected=params.get("selected", ""),
    )


def rights_for(actor: Actor, item: dict[str, Any]) -> dict[str, bool]:
    """Which buttons one file shows: the rule the media service's writes enforce."""
    return {
        "update": manage.may_change(actor, item, "media.update"),
        "delete": manage.may_change(actor, item, "media.delete"),
    }


def results_values(ctx: Context, query: LibraryQuery) -> dict[str, Any]:
    """One page of files and what each may do; call inside ``ctx.run_read``."""
    actor = ctx.actor
    found = media_cursor_page(ctx, query.filters(), cursor=query.cursor or None, limit=PAGE_SIZE)
    rights = {item["id"]: rights_for(actor, item) for item in found.items}
    return {
        "q": query,
        "items": found.items,
        "total": found.total,
        "next_cursor": found.next_cursor,
        "rights": rights,
        "can_upload": actor.can("media.upload"),
        # bulk selection only where at least one file on the page may be deleted
        "can_select": any(r["delete"] for r in rights.values()),
    }


def details_values(ctx: Context, media_id: str) -> dict[str, Any]:
    """The drawer's file, its usage and rights; call inside ``ctx.run_read``."""
    item = get_media(ctx, media_id)
    return {
        "item": item,
        "usage": media_usage(ctx, media_id),
        "item_rights": rights_for(ctx.actor, item),
    }


def library_values(ctx: Context, query: LibraryQuery, created: list[str]) -> dict[str, Any]:
    """Everything the full page shows (``created``: the empty folders made with create-folder);
    call inside ``ctx.run_read``."""
    values = results_values(ctx, query)
    values["folders"] = media_folders(ctx, created)
    values["kinds"] = KINDS
    values["item"] = None
    if query.selected:
        try:
            values |= details_values(ctx, query.selected)
        except NotFound:
            values["item"] = None
    return values | frame_values(ctx, current="media")


def crumbs(query: LibraryQuery) -> list[tuple[str, str | None]]:
    """Media, then the folder when one is open."""
    if query.folder:
        return [("Media", PATH), (query.folder, None)]
    return [("Media", None)]


async def library_page(
    request: Request, actor: Actor, query: LibraryQuery, status: int = 200, **extra: Any
) -> Response:
    """The full library page for ``query``; ``extra`` adds messages (error, import_error)."""
    ctx = context_for(request, actor)
    # a storage listing (a disk walk, an S3 request) never runs on the event loop, as in the API
    created = await anyio.to_thread.run_sync(lambda: manage.created_folders(ctx))
    values = await ctx.run_read(lambda: library_values(ctx, query, created))
    values = {"notice": notice_for(request)} | values | extra
    return page(request, actor, "media.html", crumbs=crumbs(query), status=status, **values)


@router.get(PATH)
async def library(request: Request, actor: PageActor) -> Response:
    """The library: folders, filters, the files, and the selected file's details."""
    return await library_page(request, actor, parse_query(request))


@router.get(PATH + "/results")
async def results(request: Request, actor: PageActor) -> Response:
    """The files region alone (media.js reloads it after uploads)."""
    ctx = context_for(request, actor)
    query = parse_query(request)
    values = await ctx.run_read(lambda: results_values(ctx, query))
    return render(request, "_media_results.html", session_id=actor.session_id, **values)


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


async def _details(request: Request, actor: Actor, media_id: str, **extra: Any) -> Response:
    ctx = context_for(request, actor)
    values = await ctx.run_read(lambda: details_values(ctx, media_id))
    query = parse_query(request)
    return render(
        request, "_media_details.html", session_id=actor.session_id, q=query, **values, **extra
    )


@router.get(PATH + "/{media_id}/details")
async def details(request: Request, actor: PageActor, media_id: str) -> Response:
    """The details drawer of one file (htmx swaps it in)."""
    return await _details(request, actor, media_id)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _with_done(url: str, notice: str) -> str:
    """``url`` asking the page to show the :data:`NOTICES` entry ``notice``."""
    return url + ("&" if "?" in url else "?") + f"done={notice}"


def _see_other(url: str) -> Response:
    return page_headers(RedirectResponse(url, status_code=303))


async def _checked_form(request: Request, actor: Actor) -> FormData:
    """The posted form, once its CSRF token is checked (403 ``csrf_failed`` otherwise)."""
    await check_csrf(request, admin_of(request).settings, actor.session_id)
    return await request.form()


@router.post(PATH + "/bulk-delete")
async def bulk_delete(request: Request, actor: PageActor) -> Response:
    """Soft-delete the selected files (the service behind ``POST /api/media/bulk-delete``)."""
    form = await _checked_form(request, actor)
    ids = [value for value in form.getlist("ids") if isinstance(value, str)]
    ctx = context_for(request, actor)
    query = replace(parse_query(request), selected="", cursor="")
    try:
        result = await ctx.run_write(lambda: manage.bulk_delete(ctx, ids))
    except ServiceError as failure:
        return await library_page(request, actor, query, failure.status, error=failure.message)
    if result["errors"]:
        problems = [f"{e['fileId']}: {e['error']}" for e in result["errors"]]
        notice = _files_moved(result["summary"]["successful"])
        error = "Not deleted: " + "; ".join(problems)
        return await library_page(request, actor, query, notice=notice, error=error)
    return _see_other(_with_done(query.url(), "bulk") + f"&n={result['summary']['successful']}")


def _files_moved(count: int) -> str:
    return f"{count} file{'' if count == 1 else 's'} moved to the trash."


def notice_for(request: Request) -> str | None:
    """The message a redirect asked for with ``done`` (and ``n``, a count)."""
    done = request.query_params.get("done", "")
    if done == "bulk":
        count = request.query_params.get("n", "")
        return _files_moved(int(count)) if count.isdigit() and len(count) < 4 else None
    return NOTICES.get(done)


def _import_slots(request: Request) -> ImportSlots:
    """The app's one :class:`ImportSlots` (the API's imports count against the same caps)."""
    slots: ImportSlots = request.app.state.ctx.import_slots
    return slots


@router.post(PATH + "/import")
async def import_url(request: Request, actor: PageActor) -> Response:
    """Import a file from a URL with the SSRF-guarded service behind ``POST /api/media/import``;
    a refusal is shown next to the URL field."""
    form = await _checked_form(request, actor)
    url, folder = _text(form, "url"), _text(form, "folder")
    ctx = context_for(request, actor)
    query = parse_query(request)
    slots = _import_slots(request)
    try:
        item = await import_from_url(ctx, slots, url, MediaMeta(folder=folder or None))
    except ServiceError as failure:
        if failure.status in {401, 403}:
            raise
        values: dict[str, Any] = {"import_error": failure.message, "import_url": url}
        if _is_htmx(request):
            return render(
                request, "_media_import.html", session_id=actor.session_id, q=query, **values
            )
        return await library_page(request, actor, query, failure.status, **values)
    target = _with_done(query.url(selected=item["id"], cursor=""), "imported")
    if _is_htmx(request):
        return page_headers(Response(status_code=200, headers={"hx-redirect": target}))
    return _see_other(target)


@router.post(PATH + "/folders")
async def create_folder(request: Request, actor: PageActor) -> Response:
    """Create an empty folder (the service behind ``POST /api/media/create-folder``)."""
    form = await _checked_form(request, actor)
    name = _text(form, "folder_name")
    ctx = context_for(request, actor)
    try:
        made = await ctx.run_write(lambda: manage.create_folder(ctx, name))
    except ServiceError as failure:
        if failure.status in {401, 403}:
            raise
        query = parse_query(request)
        return await library_page(request, actor, query, failure.status, error=failure.message)
    return _see_other(_with_done(LibraryQuery(folder=made["folder"]).url(), "folder"))


# After the fixed paths above: /admin/media/{media_id} would otherwise swallow them.
@router.post(PATH + "/{media_id}")
async def update(request: Request, actor: PageActor, media_id: str) -> Response:
    """Save alt text and caption through the service behind ``PATCH /api/media/{id}``."""
    form = await _checked_form(request, actor)
    ctx = context_for(request, actor)
    changes = manage.MediaChanges(
        alt=_text(form, "alt") or None, caption=_text(form, "caption") or None
    )
    query = replace(parse_query(request), selected=media_id)
    try:
        await ctx.run_write(lambda: manage.update_media(ctx, media_id, changes))
    except ServiceError as failure:
        if failure.status in {401, 403, 404}:
            raise
        if _is_htmx(request):
            return await _details(request, actor, media_id, form_error=failure.message)
        return await library_page(request, actor, query, 422, error=failure.message)
    if _is_htmx(request):
        return await _details(request, actor, media_id, saved="Alt text and caption saved.")
    return _see_other(query.url())


@router.post(PATH + "/{media_id}/delete")
async def delete(request: Request, actor: PageActor, media_id: str) -> Response:
    """Soft-delete one file (the service behind ``DELETE /api/media/{id}``)."""
    await _checked_form(request, actor)
    ctx = context_for(request, actor)
    await ctx.run_write(lambda: manage.soft_delete(ctx, media_id))
    query = replace(parse_query(request), selected="", cursor="")
    return _see_other(_with_done(query.url(), "deleted"))
