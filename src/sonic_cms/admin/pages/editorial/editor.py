"""``/admin/content/new`` and ``/admin/content/{id}/edit``: the editor generated from the schema.

The form is built from the collection's schema (:mod:`sonic_cms.admin.forms`) and saved
through the services the API's routes call: ``content.items.create_item`` for a new item,
``workflow.edits.update_item`` with ``If-Match`` (the ETag the form was loaded at) for an edit,
``workflow.autosaves`` for the working copy. A draft, in-review or archived item has one
"Save" (the item and one version). A published item has "Save draft", which keeps the edit in
the user's working copy (readers see nothing), and "Publish changes", which writes the item
live. Every refusal is the service's: a 422 is shown next to its inputs, a stale ETag as a
message that someone saved first, and anything the user may not do propagates as the
service's 403.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from sonic_cms.admin.forms.build import build_fields, item_fields, walk
from sonic_cms.admin.forms.errors import attach_errors, keep_typed
from sonic_cms.admin.forms.parse import Parsed, parse_item
from sonic_cms.admin.forms.views import FieldView
from sonic_cms.admin.pages.editorial.item_panel import item_panel_values
from sonic_cms.admin.pages.editorial.translations import (
    keep_shared,
    mark_shared,
    translation_values,
)
from sonic_cms.admin.pages.frame import PageActor, context_for, frame_values, page
from sonic_cms.admin.security import check_csrf, page_headers
from sonic_cms.admin.templating import admin_of, moment
from sonic_cms.content import collections, history, items
from sonic_cms.content.access import can_edit
from sonic_cms.content.rows import etag_of
from sonic_cms.context import Context
from sonic_cms.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from sonic_cms.workflow import autosaves, edits

router = APIRouter(include_in_schema=False)

#: ``?notice=`` after a redirect -> the toast it shows (a fixed list: nothing is reflected)
NOTICES = {
    "created": "Item created.",
    "saved": "Saved.",
    "published": "Changes published: readers see them now.",
    "draft": "Draft saved. Readers still see the published version.",
    "discarded": "Your unsaved changes were discarded.",
    "translated": "Translation created as a draft.",
    "translation-exists": "The item already has a translation in that locale.",
    "translation-slug": "That slug is taken in that locale: add the translation with a new title.",
    "translation-locale": "That locale is not enabled.",
    "translation-invalid": "The translation was not created: check its title.",
}


@dataclass
class EditorPage:
    """What the editor shows around its fields, read through the services for the actor."""

    collection: dict[str, Any]
    frame: dict[str, Any]
    item: dict[str, Any] | None = None
    editable: bool = True
    autosave: dict[str, Any] | None = None
    panel: dict[str, Any] = field(default_factory=dict)
    #: the item's translation group (None: one locale enabled)
    translations: dict[str, Any] | None = None

    @property
    def schema(self) -> dict[str, Any]:
        """The collection's SonicJS schema."""
        schema: dict[str, Any] = self.collection.get("schema") or {}
        return schema


@dataclass
class FormState:
    """The form's contents: stored values on a read, what the user sent after a refusal."""

    title: str
    slug: str
    data: dict[str, Any]
    #: the ETag the form was loaded at (sent back as If-Match)
    etag: str = ""
    #: the item's version the form was loaded at (a working copy's base version)
    version: int = 0
    problems: list[dict[str, str]] = field(default_factory=list)
    raw: dict[str, str] = field(default_factory=dict)
    message: str | None = None
    restored: bool = False


def _new_page(ctx: Context, name: str) -> EditorPage:
    ctx.actor.require("content.create")  # the permission create_item requires
    collection = collections.get_collection(ctx, name)
    frame = frame_values(ctx, current=f"collection:{collection['name']}")
    return EditorPage(collection, frame)


def _edit_page(ctx: Context, item_id: str) -> EditorPage:
    item = history.get_item(ctx, item_id, include=frozenset({"author"}))
    collection = collections.get_collection(ctx, item["collectionId"])
    editor = EditorPage(
        collection,
        frame_values(ctx, current=f"collection:{collection['name']}"),
        item,
        can_edit(ctx.actor, item["author_id"]),
        panel=item_panel_values(ctx, item),
        translations=translation_values(ctx, item),
    )
    if editor.editable:
        try:
            editor.autosave = autosaves.get_autosave(ctx, item_id)
        except NotFound:
            editor.autosave = None
    return editor


def _stored_state(editor: EditorPage, restore: bool) -> FormState:
    """The form as stored, or as the user's working copy has it (``restore``)."""
    item = editor.item
    if item is None:
        defaults = {
            n: c["default"]
            for n, c in (editor.schema.get("properties") or {}).items()
            if isinstance(c, dict) and "default" in c
        }
        return FormState("", "", defaults)
    data = item["data"] or {}
    state = FormState(item["title"], item["slug"], data, etag_of(item), item["version_number"])
    copy = editor.autosave
    if restore and copy is not None:
        state.title, state.slug, state.data = copy["title"], copy["slug"], copy["data"] or {}
        state.restored = True
        # the copy was typed over its base version: saving it over a newer item is refused
        # (the service's 409 on a stale ``version``), as a save of that old form would be
        state.version = copy["base_version"]
        if copy["stale"]:
            state.etag = ""
    return state


def _views(
    editor: EditorPage, state: FormState
) -> tuple[list[FieldView], list[FieldView], set[str]]:
    """The item's own inputs and the data fields, with the problems put on their inputs, and
    the inputs shown read-only (a translation's shared fields)."""
    item_id = editor.item["id"] if editor.item else None
    own = item_fields(
        state.title,
        state.slug,
        editor.schema,
        collection=editor.collection["name"],
        item_id=item_id,
    )
    fields = build_fields(editor.schema, state.data)
    locked = mark_shared(fields, editor.schema, editor.translations)
    keep_typed(own + fields, state.raw)
    unplaced = attach_errors(own + fields, state.problems)
    if unplaced:
        state.message = "; ".join(filter(None, [state.message, *unplaced]))
    return own, fields, locked


def _render(
    request: Request,
    actor: PageActor,
    editor: EditorPage,
    state: FormState,
    *,
    status: int = 200,
    notice: str | None = None,
) -> Response:
    own, fields, locked = _views(editor, state)
    item = editor.item
    name = editor.collection["name"]
    heading = (item["title"] if item else None) or "New item"
    crumbs = [(editor.collection["display_name"], f"/admin/content?collection={quote(name)}")]
    return page(
        request,
        actor,
        "editor.html",
        crumbs=[*crumbs, (heading, None)],
        status=status,
        heading=heading,
        collection=editor.collection,
        item=item,
        editable=editor.editable,
        own=own,
        fields=fields,
        invalid=[view for view in walk(own + fields) if view.error],
        state=state,
        autosave=editor.autosave,
        banner=_offers_copy(editor, state),
        panel=editor.panel,
        translations=editor.translations,
        locked=locked,
        action=(
            f"/admin/content/{item['id']}/edit"
            if item
            else f"/admin/content/new?collection={quote(name)}"
        ),
        notice=notice,
        **editor.frame,
    )


def _offers_copy(editor: EditorPage, state: FormState) -> bool:
    """Whether to show the banner offering the user's working copy: it is newer than the item
    and the form does not show it already."""
    copy, item = editor.autosave, editor.item
    if copy is None or item is None or state.restored:
        return False
    return bool(copy["updated_at"] > item["updated_at"])


@router.get("/admin/content/new")
async def new_item(request: Request, actor: PageActor, collection: str = "") -> Response:
    """An empty form for a new item of ``collection`` (defaults filled in)."""
    ctx = context_for(request, actor)
    editor = await ctx.run_read(lambda: _new_page(ctx, collection))
    return _render(request, actor, editor, _stored_state(editor, False))


@router.post("/admin/content/new")
async def create(request: Request, actor: PageActor, collection: str = "") -> Response:
    """Create the item (``content.items.create_item``); then its edit page, with a toast."""
    form = await _checked_form(request, actor)
    ctx = context_for(request, actor)
    editor = await ctx.run_read(lambda: _new_page(ctx, collection))
    parsed = parse_item(editor.schema, form)
    state = _sent_state(parsed, form)
    if parsed.problems:
        return _render(request, actor, editor, state, status=422)
    body = {**parsed.body, "collectionId": editor.collection["id"]}
    try:
        created = await ctx.run_write(lambda: items.create_item(ctx, body))
    except (ValidationFailed, Conflict) as exc:
        return _refused(request, actor, editor, state, exc)
    return _redirect(f"/admin/content/{quote(created['id'])}/edit?notice=created")


@router.get("/admin/content/{item_id}/edit")
async def edit_item(
    request: Request, actor: PageActor, item_id: str, restore: str = "", notice: str = ""
) -> Response:
    """The item's form (read-only for a user the service would not let edit it); ``?restore=1``
    fills it from the user's working copy."""
    ctx = context_for(request, actor)
    editor = await ctx.run_read(lambda: _edit_page(ctx, item_id))
    state = _stored_state(editor, restore == "1")
    return _render(request, actor, editor, state, notice=NOTICES.get(notice))


@router.post("/admin/content/{item_id}/edit")
async def save_item(request: Request, actor: PageActor, item_id: str) -> Response:
    """Save (``action=save``), publish a published item's changes (``publish``) or keep them
    in the working copy (``draft``)."""
    form = await _checked_form(request, actor)
    ctx = context_for(request, actor)
    editor = await ctx.run_read(lambda: _edit_page(ctx, item_id))
    parsed = parse_item(editor.schema, form)
    state = _sent_state(parsed, form)
    if parsed.problems:
        return _render(request, actor, editor, state, status=422)
    body = _versioned(parsed.body, state.version)
    body = await ctx.run_read(lambda: keep_shared(ctx, item_id, editor.schema, body))
    if _text(form, "action") == "draft":
        try:
            await ctx.run_write(lambda: autosaves.save_autosave(ctx, item_id, body))
        except ValidationFailed as exc:
            return _refused(request, actor, editor, state, exc)
        return _redirect(f"/admin/content/{quote(item_id)}/edit?restore=1&notice=draft")
    try:
        await ctx.run_write(
            lambda: edits.update_item(ctx, item_id, body, if_match=state.etag or None)
        )
    except (ValidationFailed, Conflict, PreconditionFailed) as exc:
        editor = await ctx.run_read(lambda: _edit_page(ctx, item_id))
        return _refused(request, actor, editor, state, exc)
    done = "published" if editor.item and editor.item["status"] == "published" else "saved"
    return _redirect(f"/admin/content/{quote(item_id)}/edit?notice={done}")


@router.post("/admin/content/{item_id}/autosave")
async def autosave(request: Request, actor: PageActor, item_id: str) -> Response:
    """editor.js's periodic autosave: the form into the user's working copy
    (``workflow.autosaves.save_autosave``); the item and its readers see nothing."""
    form = await _checked_form(request, actor)
    ctx = context_for(request, actor)
    schema = await ctx.run_read(lambda: _schema_of(ctx, item_id))
    parsed = parse_item(schema, form)
    body = _versioned(parsed.body, _version(form))
    body = await ctx.run_read(lambda: keep_shared(ctx, item_id, schema, body))
    try:
        copy = await ctx.run_write(lambda: autosaves.save_autosave(ctx, item_id, body))
    except ValidationFailed as exc:
        return _plain(f"Autosave failed: {_messages(exc.details) or exc.message}", 422)
    return _plain(f"Autosaved at {moment(copy['updated_at'])}", 200)


@router.post("/admin/content/{item_id}/autosave/discard")
async def discard(request: Request, actor: PageActor, item_id: str) -> Response:
    """Throw the user's working copy away (``workflow.autosaves.discard_autosave``)."""
    await _checked_form(request, actor)
    ctx = context_for(request, actor)
    await ctx.run_write(lambda: autosaves.discard_autosave(ctx, item_id))
    return _redirect(f"/admin/content/{quote(item_id)}/edit?notice=discarded")


def _schema_of(ctx: Context, item_id: str) -> dict[str, Any]:
    item = history.get_item(ctx, item_id)
    schema: dict[str, Any] = collections.get_collection(ctx, item["collectionId"])["schema"]
    return schema


async def _checked_form(request: Request, actor: PageActor) -> FormData:
    """The submitted form, once its CSRF token (field or header) is checked."""
    await check_csrf(request, admin_of(request).settings, actor.session_id)
    return await request.form()


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _version(form: FormData) -> int:
    text = _text(form, "version")
    return int(text) if text.isdigit() else 0


def _versioned(body: dict[str, Any], version: int) -> dict[str, Any]:
    """``body`` with the item's version the form was loaded at, when the form knows it: a save
    (or a working copy) of an older version is then the service's to refuse."""
    return {**body, "version": version} if version else body


def _sent_state(parsed: Parsed, form: FormData) -> FormState:
    """The form as the user sent it, to show back after a refusal."""
    body = parsed.body
    return FormState(
        body["title"],
        _text(form, "slug"),
        body["data"],
        _text(form, "etag"),
        _version(form),
        list(parsed.problems),
        dict(parsed.raw),
    )


def _refused(
    request: Request, actor: PageActor, editor: EditorPage, state: FormState, exc: Exception
) -> Response:
    """The form again, with the service's reason: 422 problems on their inputs, a taken slug
    on the slug, a newer save by someone else as a message (nothing is overwritten)."""
    if isinstance(exc, ValidationFailed):
        state.problems += exc.details
        state.message = "Some fields need attention."
        return _render(request, actor, editor, state, status=422)
    if isinstance(exc, Conflict) and exc.code == "slug_taken":
        state.problems.append({"path": "slug", "message": exc.message})
        state.message = exc.message
        return _render(request, actor, editor, state, status=409)
    saved_at = moment(editor.item["updated_at"]) if editor.item else ""
    state.message = f"Someone saved a newer version at {saved_at}; reload to see it."
    status = 412 if isinstance(exc, PreconditionFailed) else 409
    return _render(request, actor, editor, state, status=status)


def _messages(details: Iterable[Mapping[str, Any]]) -> str:
    return "; ".join(f"{d.get('path')}: {d.get('message')}" for d in details)


def _redirect(target: str) -> Response:
    return page_headers(RedirectResponse(target, status_code=303))


def _plain(text: str, status: int) -> Response:
    return page_headers(Response(text, status_code=status, media_type="text/plain"))
