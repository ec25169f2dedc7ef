"""The editor's translations: the item's group with locales, status and links, "Add
translation" for the enabled locales without a row, and the non-translatable fields shown
read-only with a note on a translation (docs/localisation.md).

Everything is read and written through the services the API uses
(``translations.groups``), so the panel offers what the API would accept; a crafted POST still
meets the service's 400, 403 or 409.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from sonic_cms.admin.forms.views import FieldView
from sonic_cms.admin.pages.frame import PageActor, context_for
from sonic_cms.admin.security import check_csrf, page_headers
from sonic_cms.admin.templating import admin_of
from sonic_cms.content.rows import load_item
from sonic_cms.context import Context
from sonic_cms.errors import BadRequest, Conflict, ValidationFailed
from sonic_cms.locales.shared import with_shared
from sonic_cms.translations import groups

router = APIRouter(include_in_schema=False)

#: The editor's ``?notice=`` keys of a refused "Add translation", by the service's code.
REFUSALS = {
    "translation_exists": "translation-exists",
    "slug_taken": "translation-slug",
    "locale_not_enabled": "translation-locale",
    "invalid_locale": "translation-locale",
}


def translation_values(ctx: Context, item: dict[str, Any]) -> dict[str, Any] | None:
    """What ``_translations.html`` shows for ``item`` (inside ``ctx.run_read``); None when
    only one locale is enabled (the section is left out)."""
    if len(ctx.settings.enabled_locales) < 2:
        return None
    document = groups.list_translations(ctx, str(item["id"]))
    rows = document["data"]
    current = next(row for row in rows if row["id"] == item["id"])
    return {
        "rows": rows,
        "current": current,
        "missing": document["meta"]["missing"],
        "default": document["meta"]["defaultLocale"],
        "can_add": ctx.actor.can("content.create"),
    }


def shared_names(schema: dict[str, Any]) -> frozenset[str]:
    """The top-level fields marked ``"translatable": false``."""
    props = schema.get("properties") or {}
    return frozenset(
        name
        for name, config in props.items()
        if isinstance(config, dict) and config.get("translatable") is False
    )


def mark_shared(
    fields: list[FieldView], schema: dict[str, Any], translations: dict[str, Any] | None
) -> set[str]:
    """Put the note on the shared fields; returns the input names shown read-only (on a
    translation: they are edited once, on the default-locale item)."""
    shared = shared_names(schema)
    if translations is None or not shared:
        return set()
    source = translations["current"]["isSource"]
    locked = set()
    for view in fields:
        if view.name.removeprefix("data.") not in shared:
            continue
        if source:
            view.help = "Shared by every translation of this item: a change here reaches them all."
        else:
            default = translations["default"]
            view.help = f"Shared by every translation: edit it on the {default} item."
            locked.add(view.name)
    return locked


def keep_shared(ctx: Context, item_id: str, schema: dict[str, Any], body: dict[str, Any]) -> Any:
    """A translation's form leaves its read-only shared fields out: put the stored values back
    before the save, so the group keeps them (inside ``ctx.run_read``)."""
    shared = shared_names(schema)
    if not shared or not isinstance(body.get("data"), dict):
        return body
    with ctx.db.read() as conn:
        row = load_item(conn, item_id)
    if row is None or row.translation_group_id is None:
        return body
    return {**body, "data": with_shared(body["data"], row.data or {}, sorted(shared))}


@router.post("/admin/content/{item_id}/translations")
async def add_translation(request: Request, actor: PageActor, item_id: str) -> Response:
    """Create a draft translation (``translations.groups.create_translation``) and open it;
    a refusal goes back to the item with the reason."""
    await check_csrf(request, admin_of(request).settings, actor.session_id)
    form = await request.form()
    body = {name: form.get(name) for name in ("locale", "title") if form.get(name)}
    ctx = context_for(request, actor)
    try:
        made = await ctx.run_write(lambda: groups.create_translation(ctx, item_id, body))
    except (BadRequest, Conflict, ValidationFailed) as exc:
        notice = REFUSALS.get(exc.code, "translation-invalid")
        return _redirect(f"/admin/content/{quote(item_id)}/edit?notice={notice}")
    return _redirect(f"/admin/content/{quote(made['id'])}/edit?notice=translated")


def _redirect(target: str) -> Response:
    return page_headers(RedirectResponse(target, status_code=303))
