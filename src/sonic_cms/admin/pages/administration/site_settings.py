"""``/admin/settings``: the site settings form.

Reading is ``settings_admin.get_settings`` (``settings.read``), saving is
``settings_admin.update_settings`` (``settings.update``, validated and audited), the services
behind ``GET``/``PUT /admin/api/settings``. A refused value comes back as the 422's details,
shown next to its field; nothing is saved then.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from sonic_cms.actors import Actor
from sonic_cms.admin.pages.editorial.item_panel import checked_form
from sonic_cms.admin.pages.frame import PageActor, context_for, frame_values, page
from sonic_cms.admin.security import page_headers
from sonic_cms.admin.templating import render
from sonic_cms.context import Context
from sonic_cms.errors import ValidationFailed
from sonic_cms.operations import settings_admin
from sonic_cms.site_settings.store import zone_names

router = APIRouter(include_in_schema=False)
PATH = "/admin/settings"
#: The registration choice's form values and what each saves.
REGISTRATION = {"default": None, "open": True, "closed": False}
CRUMBS = [("Settings", None)]


def form_values(ctx: Context, actor: Actor) -> dict[str, Any]:
    """What the form shows: the settings in effect, the zones, the environment's default."""
    return {
        "values": settings_admin.get_settings(ctx),
        "zones": sorted(zone_names()),
        "environment_registration": ctx.settings.registration_enabled,
        "editable": actor.can(settings_admin.UPDATE_PERMISSION),
        "errors": {},
    }


def change_of(form: dict[str, str]) -> dict[str, Any]:
    """The form as the service's change body (a missing checkbox is off)."""
    registration = form.get("registration", "default")
    return {
        "site_name": form.get("site_name", ""),
        "site_description": form.get("site_description", ""),
        "timezone": form.get("timezone", ""),
        "registration_enabled": REGISTRATION.get(registration, registration),
        "maintenance_mode": form.get("maintenance_mode") == "on",
    }


@router.get(PATH)
async def settings_page(request: Request, actor: PageActor) -> Response:
    """The form (403 from the service without settings.read)."""
    ctx = context_for(request, actor)
    values = await ctx.run_read(lambda: form_values(ctx, actor) | frame_values(ctx, current=PATH))
    notice = "Settings saved" if request.query_params.get("saved") == "1" else None
    return page(request, actor, "settings.html", crumbs=CRUMBS, notice=notice, **values)


@router.post(PATH)
async def save_settings(request: Request, actor: PageActor) -> Response:
    """Save the form; htmx gets the form again with a toast, or with the errors inline."""
    form = await checked_form(request, actor)
    ctx = context_for(request, actor)
    change = change_of(form)
    try:
        await ctx.run_write(lambda: settings_admin.update_settings(ctx, change))
    except ValidationFailed as exc:
        return await _invalid(request, actor, ctx, form, exc)
    if not request.headers.get("hx-request"):
        return page_headers(RedirectResponse(f"{PATH}?saved=1", status_code=303))
    values = await ctx.run_read(lambda: form_values(ctx, actor))
    return render(
        request,
        "_settings_swap.html",
        session_id=actor.session_id,
        toast="Settings saved",
        toast_ok=True,
        **values,
    )


async def _invalid(
    request: Request, actor: Actor, ctx: Context, form: dict[str, str], exc: ValidationFailed
) -> Response:
    """The form as it was sent, each refused value's message beside its field (422)."""
    values = await ctx.run_read(lambda: form_values(ctx, actor))
    values["errors"] = {
        str(d.get("path")): str(d.get("message")) for d in exc.details if isinstance(d, dict)
    }
    values["values"] = values["values"] | {
        **{k: v for k, v in form.items() if k in ("site_name", "site_description", "timezone")},
        "maintenance_mode": form.get("maintenance_mode") == "on",
    }
    values["registration_choice"] = form.get("registration", "default")
    toast = "Not saved: correct the fields marked"
    # htmx swaps only 2xx answers: the errors come back as 200 to it, as 422 to a plain post.
    if request.headers.get("hx-request"):
        return render(
            request,
            "_settings_swap.html",
            session_id=actor.session_id,
            toast=toast,
            toast_ok=False,
            **values,
        )
    frame = await ctx.run_read(lambda: frame_values(ctx, current=PATH))
    return page(
        request, actor, "settings.html", crumbs=CRUMBS, status=422, error=toast, **values, **frame
    )
