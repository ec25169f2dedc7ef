"""``/admin/collections/{id}``: one collection, its details and its schema editor.

The schema editor changes a draft one step at a time (:mod:`sonic_cms.admin.forms.schema_draft`):
every button posts the draft and one operation to ``/schema/draft`` and gets the editor back
(htmx swaps it; without JavaScript the whole page comes back). Each draft is judged by
``schema_problems``, the rule of ``POST/PATCH /admin/api/collections``. Saving first runs the
dry run behind ``POST /admin/api/collections/{id}/schema/check`` (``content.schema_check``);
when items would fail, the editor shows how many and which, and saves only when asked again.
The save itself is ``collections.update_collection``, the service of the API's PATCH.

A config-managed collection is shown read-only, with the file it comes from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from sonic_cms.actors import Actor
from sonic_cms.admin.forms import schema_draft as drafts
from sonic_cms.admin.forms.schema_draft import DraftError, FieldForm
from sonic_cms.admin.pages.frame import PageActor, context_for, frame_values, page
from sonic_cms.admin.security import check_csrf, page_headers
from sonic_cms.admin.templating import admin_of, render
from sonic_cms.content import collections, schema_check
from sonic_cms.content.collection_sync import collection_detail
from sonic_cms.content.collections import record_order, strip_order
from sonic_cms.content.schema import FIELD_NAME, schema_problems
from sonic_cms.context import Context
from sonic_cms.errors import ServiceError, ValidationFailed

router = APIRouter(include_in_schema=False)
PATH = "/admin/collections"
#: Result messages a redirect may ask for (a key, never text from the URL).
NOTICES = {
    "created": "The collection was created. Add its fields below.",
    "saved": "The collection's details were saved.",
    "schema": "The schema was saved.",
}


@dataclass
class Editing:
    """The open form of the editor: a field, a list's item field, or a block."""

    mode: str  # field | items | block
    path: str  # the node edited, or the container (field) / list (block) a new one goes in
    new: bool
    form: FieldForm
    block: dict[str, str]
    errors: dict[str, str]


@dataclass
class EditorState:
    """What the editor shows besides the collection: the draft, its problems, the open form,
    the dry run's report."""

    draft: dict[str, Any]
    editing: Editing | None = None
    report: dict[str, Any] | None = None
    error: str | None = None
    confirm: bool = False


def _problems_by_path(problems: list[dict[str, str]]) -> list[dict[str, str]]:
    return [p | {"where": p["path"].removeprefix("schema.") or "schema"} for p in problems]


def editor_values(ctx: Context, key: str, state: EditorState | None) -> dict[str, Any]:
    """Everything the collection page shows (``state`` None: the saved schema, no form
    open); call inside ``ctx.run_read``."""
    collection = collection_detail(ctx, key)
    if state is None:
        state = EditorState(draft=strip_order(collection["schema"]) or dict(drafts.EMPTY))
    names = [c["name"] for c in collections.list_collections(ctx, include_inactive=True)]
    problems = _problems_by_path(schema_problems(state.draft))
    return {
        "collection": collection,
        "draft_json": drafts.dump_draft(state.draft),
        "nodes": drafts.tree(state.draft),
        "problems": problems,
        "editing": state.editing,
        "report": state.report,
        "editor_error": state.error,
        "confirm": state.confirm,
        "type_choices": drafts.TYPE_CHOICES,
        "type_labels": drafts.TYPE_LABELS,
        "collection_names": names,
        "length_types": drafts.LENGTH_TYPES,
        "option_types": drafts.OPTION_TYPES,
        "root_path": drafts.path_text(()),
        "extra_keys": state.draft.get("additionalProperties") is True,
    }


async def collection_page(
    request: Request,
    actor: Actor,
    key: str,
    state: EditorState | None = None,
    status: int = 200,
    **extra: Any,
) -> Response:
    """The collection's page (details, schema editor, delete), or for htmx the editor alone."""
    ctx = context_for(request, actor)

    def read() -> dict[str, Any]:
        return editor_values(ctx, key, state) | frame_values(ctx, current=PATH)

    if state is not None and request.headers.get("hx-request") and not extra:
        values = await ctx.run_read(lambda: editor_values(ctx, key, state))
        return render(request, "_schema_editor.html", session_id=actor.session_id, **values)
    values = await ctx.run_read(read)
    values = {"notice": NOTICES.get(request.query_params.get("done", ""))} | values | extra
    name = values["collection"]["display_name"]
    crumbs = [("Collections", PATH), (name, None)]
    return page(request, actor, "collection.html", crumbs=crumbs, status=status, **values)


@router.get(PATH + "/{key}")
async def show(request: Request, actor: PageActor, key: str) -> Response:
    """The collection page: 403 without ``collections.update``, 404 for an unknown one."""
    return await collection_page(request, actor, key)


async def _form(request: Request, actor: Actor) -> FormData:
    await check_csrf(request, admin_of(request).settings, actor.session_id)
    return await request.form()


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _operation(form: FormData) -> tuple[str, tuple[str, ...]]:
    verb, _, raw = _field(form, "op").partition(" ")
    return verb, drafts.parse_path(raw) if raw else ()


def _open_field(draft: dict[str, Any], path: tuple[str, ...], new: bool) -> Editing:
    """The field form for the field at ``path``, or for a new field in container ``path``."""
    if new:
        form = FieldForm()
        return Editing("field", drafts.path_text(path), True, form, {}, {})
    config = drafts.node_at(draft, path)
    if path[-1:] == ("items",):
        form = drafts.form_of("items", config, False)
        return Editing("items", drafts.path_text(path), False, form, {}, {})
    container = drafts.node_at(draft, path[:-2])
    required = drafts.is_required(container, path[-1], config)
    form = drafts.form_of(path[-1], config, required)
    return Editing("field", drafts.path_text(path), False, form, {}, {})


def _open_block(draft: dict[str, Any], path: tuple[str, ...], new: bool) -> Editing:
    values = {"name": "", "label": "", "description": ""}
    if not new:
        spec = drafts.node_at(draft, path)
        values = {
            "name": path[-1],
            "label": str(spec.get("label") or ""),
            "description": str(spec.get("description") or ""),
        }
    return Editing("block", drafts.path_text(path), new, FieldForm(), values, {})


def _apply_field(draft: dict[str, Any], form: FormData) -> Editing | None:
    """Apply the posted field form; the form again when it cannot be applied."""
    mode, new = _field(form, "editing_mode"), _field(form, "editing_new") == "1"
    path = drafts.parse_path(_field(form, "editing_path"))
    values = drafts.read_form(form)
    old = None if new else drafts.node_at(draft, path)
    if mode == "items":
        values.name = "items"
    config = drafts.field_config(values, old)
    errors = dict(values.errors)
    if mode != "items":
        container_path = path if new else path[:-2]
        siblings = drafts.node_at(draft, container_path).get("properties") or {}
        old_name = None if new else path[-1]
        if not values.name:
            errors["name"] = "is required"
        elif values.name != old_name and values.name in siblings:
            errors["name"] = f"a field named {values.name!r} exists already"
    if errors:
        return Editing(mode, drafts.path_text(path), new, values, {}, errors)
    if mode == "items":
        drafts.put_items(draft, path[:-1], config)
        target = path
    else:
        drafts.put_field(draft, container_path, old_name, values.name, config)
        target = (*container_path, "properties", values.name)
    own = _own_problems(draft, target)
    if own:
        editing = _open_field(draft, target, False)
        editing.errors = own
        return editing
    return None


def _own_problems(draft: dict[str, Any], path: tuple[str, ...]) -> dict[str, str]:
    """The schema's problems with the field at ``path`` itself (not its nested fields), by the
    option they are about, for the field form to show beside its inputs."""
    prefix = "schema." + ".".join(path)
    found: dict[str, str] = {}
    for problem in schema_problems(draft):
        where = problem["path"]
        if where == prefix:
            found.setdefault("name", problem["message"])
        elif where.startswith(prefix + ".") and "." not in where[len(prefix) + 1 :]:
            found.setdefault(where[len(prefix) + 1 :], problem["message"])
    return found


def _apply_block(draft: dict[str, Any], form: FormData) -> Editing | None:
    new = _field(form, "editing_new") == "1"
    path = drafts.parse_path(_field(form, "editing_path"))
    values = {k: _field(form, f"b_{k}").strip() for k in ("name", "label", "description")}
    array_path = path if new else path[:-2]
    blocks = drafts.node_at(draft, array_path).get("blocks") or {}
    old_name = None if new else path[-1]
    errors = {}
    if not FIELD_NAME.match(values["name"]):
        errors["name"] = "letters, digits and _ (max 64), not starting with a digit"
    elif values["name"] != old_name and values["name"] in blocks:
        errors["name"] = f"a block named {values['name']!r} exists already"
    if errors:
        return Editing("block", drafts.path_text(path), new, FieldForm(), values, errors)
    drafts.put_block(draft, array_path, old_name, values["name"], values)
    return None


def apply_operation(draft: dict[str, Any], form: FormData) -> Editing | None:
    """Change ``draft`` as the posted operation says; the form to show next, if any."""
    verb, path = _operation(form)
    if verb in {"add", "edit"}:
        return _open_field(draft, path, verb == "add")
    if verb in {"addblock", "editblock"}:
        return _open_block(draft, path, verb == "addblock")
    if verb == "apply":
        return _apply_field(draft, form)
    if verb == "retype":  # the type menu changed: the form again, with that type's options
        mode, new = _field(form, "editing_mode"), _field(form, "editing_new") == "1"
        return Editing(mode, _field(form, "editing_path"), new, drafts.read_form(form), {}, {})
    if verb == "applyblock":
        return _apply_block(draft, form)
    if verb in {"up", "down"}:
        drafts.move(draft, path, -1 if verb == "up" else 1)
    elif verb == "remove":
        drafts.remove(draft, path)
    elif verb == "extra":
        if _field(form, "extra_keys") == "on":
            draft["additionalProperties"] = True
        else:
            draft.pop("additionalProperties", None)
    return None


@router.post(PATH + "/{key}/schema/draft")
async def draft_step(request: Request, actor: PageActor, key: str) -> Response:
    """One step of the schema editor; nothing is saved."""
    form = await _form(request, actor)
    posted = _field(form, "schema")
    try:
        draft = drafts.load_draft(posted)
        if _field(form, "op").partition(" ")[0] == "check":
            return await _check(request, actor, key, draft, saving=False)
        editing = apply_operation(draft, form)
    except DraftError as exc:
        # the draft as posted (a step that failed half-way changed nothing), or an empty one
        try:
            shown = drafts.load_draft(posted)
        except DraftError:
            shown = drafts.load_draft(None)
        state = EditorState(draft=shown, error=f"That change could not be made: {exc}.")
        return await collection_page(request, actor, key, state, status=_status(request, 422))
    return await collection_page(request, actor, key, EditorState(draft=draft, editing=editing))


def _status(request: Request, status: int) -> int:
    """htmx swaps only 2xx answers: a refused step still answers 200 to it."""
    return 200 if request.headers.get("hx-request") else status


async def _check(
    request: Request, actor: Actor, key: str, draft: dict[str, Any], *, saving: bool
) -> Response:
    ctx = context_for(request, actor)
    try:
        report = await ctx.run_read(lambda: schema_check.check_schema(ctx, key, draft))
    except ValidationFailed:
        message = "Fix the problems listed before checking or saving."
        state = EditorState(draft=draft, error=message)
        return await collection_page(request, actor, key, state, status=_status(request, 422))
    state = EditorState(draft=draft, report=report, confirm=saving and report["failed"] > 0)
    return await collection_page(request, actor, key, state)


@router.post(PATH + "/{key}/schema")
async def save_schema(request: Request, actor: PageActor, key: str) -> Response:
    """Save the draft as the collection's schema: the dry run first; when items would fail,
    the report and a second button ("Save anyway") instead of saving."""
    form = await _form(request, actor)
    try:
        draft = drafts.load_draft(_field(form, "schema"))
    except DraftError as exc:
        state = EditorState(draft=dict(drafts.EMPTY), error=f"Not saved: {exc}.")
        return await collection_page(request, actor, key, state, status=_status(request, 422))
    if _field(form, "confirm") != "1":
        ctx = context_for(request, actor)
        try:
            report = await ctx.run_read(lambda: schema_check.check_schema(ctx, key, draft))
        except ValidationFailed:
            state = EditorState(draft=draft, error="Not saved: fix the problems listed first.")
            return await collection_page(request, actor, key, state, status=_status(request, 422))
        if report["failed"]:
            state = EditorState(draft=draft, report=report, confirm=True)
            return await collection_page(request, actor, key, state)
    ctx = context_for(request, actor)
    # PostgreSQL's JSONB does not keep key order: the order lists do
    # (content.collections, "Field order")
    values = {"schema": record_order(draft)}
    try:
        await ctx.run_write(lambda: collections.update_collection(ctx, key, values))
    except ServiceError as exc:
        if exc.status in {401, 403, 404}:
            raise
        state = EditorState(draft=draft, error=f"Not saved: {exc.message}")
        return await collection_page(
            request, actor, key, state, status=_status(request, exc.status)
        )
    target = f"{PATH}/{key}?done=schema"
    if request.headers.get("hx-request"):
        return page_headers(Response(status_code=204, headers={"hx-redirect": target}))
    return page_headers(RedirectResponse(target, status_code=303))
