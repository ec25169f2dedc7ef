"""``/admin/webhooks``: register webhook endpoints, see what was delivered, redeliver.

Everything goes through :mod:`sonic_cms.webhooks.endpoints` and
:mod:`sonic_cms.webhooks.deliveries`, the services behind ``/admin/api/webhooks``, which
check ``settings.update`` themselves (403 for anyone else, whatever the menu shows). A new
endpoint's secret is rendered once, in the answer to the add form (never in a URL, never
stored readable), with the copy button of the API tokens page (``static/js/api-tokens.js``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from sonic_cms.admin.pages.editorial.item_panel import PROPAGATED
from sonic_cms.admin.pages.frame import PageActor, context_for, frame_values, page
from sonic_cms.admin.security import check_csrf, page_headers
from sonic_cms.admin.templating import admin_of
from sonic_cms.content import collections
from sonic_cms.context import Context
from sonic_cms.errors import ServiceError
from sonic_cms.webhooks import deliveries, endpoints
from sonic_cms.webhooks.events import EVENTS

router = APIRouter(include_in_schema=False)
PATH = "/admin/webhooks"
#: Result messages a redirect may ask for (a key, never text from the URL).
NOTICES = {
    "deleted": "The endpoint was deleted with its deliveries.",
    "enabled": "The endpoint is enabled: its pending events go out again.",
    "disabled": "The endpoint is disabled: it gets no new events.",
    "saved": "The endpoint was saved.",
    "test": "A test event is queued; it appears below once the worker has sent it.",
    "redeliver": "The event is queued again; it appears below once the worker has sent it.",
}


def _choices(ctx: Context) -> dict[str, Any]:
    known = collections.list_collections(ctx, include_inactive=True)
    return {
        "event_names": list(EVENTS),
        "collection_choices": [(c["id"], c["display_name"] or c["name"]) for c in known],
    }


def _notice(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("done", ""))


async def list_page(
    request: Request, actor: PageActor, status: int = 200, **extra: Any
) -> Response:
    """The list and the add form; ``extra``: the form's values and errors, or the new secret."""
    ctx = context_for(request, actor)
    values = await ctx.run_read(
        lambda: (
            {"endpoints": endpoints.list_endpoints(ctx)}
            | _choices(ctx)
            | frame_values(ctx, current=PATH)
        )
    )
    defaults: dict[str, Any] = {"form": {}, "errors": {}, "created": None}
    return page(
        request,
        actor,
        "webhooks.html",
        crumbs=[("Webhooks", None)],
        status=status,
        notice=_notice(request),
        **(defaults | values | extra),
    )


@router.get(PATH)
async def webhooks(request: Request, actor: PageActor) -> Response:
    """Every endpoint, and the add form."""
    return await list_page(request, actor)


def _form_body(form: FormData) -> dict[str, Any]:
    return {
        "url": str(form.get("url") or "").strip(),
        "events": [e for e in form.getlist("events") if isinstance(e, str)],
        "collections": [c for c in form.getlist("collections") if isinstance(c, str)],
        "description": str(form.get("description") or ""),
    }


def _field_errors(exc: ServiceError) -> dict[str, str]:
    errors = {str(d.get("path")): str(d.get("message")) for d in exc.details}
    return errors or {"url": exc.message}


@router.post(PATH)
async def create(request: Request, actor: PageActor) -> Response:
    """Add an endpoint; the answer (not a redirect: the secret must not enter a URL or the
    history) shows its secret once. 422 with the problems next to their fields."""
    await check_csrf(request, admin_of(request).settings, actor.session_id)
    body = _form_body(await request.form())
    ctx = context_for(request, actor)
    try:
        row, secret = await ctx.run_write(lambda: endpoints.create_endpoint(ctx, body))
    except ServiceError as exc:
        if exc.status in PROPAGATED:
            raise
        error = "The endpoint was not added: see the problems marked below."
        errors = _field_errors(exc)
        return await list_page(request, actor, 422, form=body, errors=errors, error=error)
    return await list_page(request, actor, 201, created=row | {"secret": secret})


async def detail_page(
    request: Request, actor: PageActor, endpoint_id: str, status: int = 200, **extra: Any
) -> Response:
    """One endpoint: the edit form and its recent deliveries with their attempts."""
    ctx = context_for(request, actor)
    values = await ctx.run_read(
        lambda: (
            {
                "endpoint": endpoints.get_endpoint(ctx, endpoint_id),
                "deliveries": deliveries.list_deliveries(ctx, endpoint_id, limit=20),
            }
            | _choices(ctx)
            | frame_values(ctx, current=PATH)
        )
    )
    defaults: dict[str, Any] = {"form": values["endpoint"], "errors": {}}
    return page(
        request,
        actor,
        "webhook.html",
        crumbs=[("Webhooks", PATH), (values["endpoint"]["url"], None)],
        status=status,
        notice=_notice(request),
        **(defaults | values | extra),
    )


@router.get(PATH + "/{endpoint_id}")
async def detail(request: Request, actor: PageActor, endpoint_id: str) -> Response:
    """The endpoint's page."""
    return await detail_page(request, actor, endpoint_id)


@router.post(PATH + "/{endpoint_id}")
async def save(request: Request, actor: PageActor, endpoint_id: str) -> Response:
    """Save the edit form (URL, events, collections, description)."""
    await check_csrf(request, admin_of(request).settings, actor.session_id)
    body = _form_body(await request.form())
    ctx = context_for(request, actor)
    try:
        await ctx.run_write(lambda: endpoints.update_endpoint(ctx, endpoint_id, body))
    except ServiceError as exc:
        if exc.status in PROPAGATED:
            raise
        error = "The endpoint was not saved: see the problems marked below."
        errors = _field_errors(exc)
        return await detail_page(
            request, actor, endpoint_id, 422, form=body, errors=errors, error=error
        )
    return _done(f"{PATH}/{endpoint_id}", "saved")


@router.post(PATH + "/{endpoint_id}/active")
async def set_active(request: Request, actor: PageActor, endpoint_id: str) -> Response:
    """Enable (which clears the failure count) or disable the endpoint."""
    await check_csrf(request, admin_of(request).settings, actor.session_id)
    active = (await request.form()).get("is_active") == "true"
    ctx = context_for(request, actor)
    changes = {"is_active": active}
    await ctx.run_write(lambda: endpoints.update_endpoint(ctx, endpoint_id, changes))
    return _done(PATH, "enabled" if active else "disabled")


@router.post(PATH + "/{endpoint_id}/delete")
async def remove(request: Request, actor: PageActor, endpoint_id: str) -> Response:
    """Delete the endpoint and its deliveries (asked in a dialog first)."""
    await check_csrf(request, admin_of(request).settings, actor.session_id)
    ctx = context_for(request, actor)
    await ctx.run_write(lambda: endpoints.delete_endpoint(ctx, endpoint_id))
    return _done(PATH, "deleted")


@router.post(PATH + "/{endpoint_id}/test")
async def send_test(request: Request, actor: PageActor, endpoint_id: str) -> Response:
    """Queue a ``webhook:test`` event for the endpoint."""
    await check_csrf(request, admin_of(request).settings, actor.session_id)
    ctx = context_for(request, actor)
    await ctx.run_write(lambda: deliveries.queue_test_event(ctx, endpoint_id))
    return _done(f"{PATH}/{endpoint_id}", "test")


@router.post(PATH + "/{endpoint_id}/events/{event_id}/redeliver")
async def redeliver(
    request: Request, actor: PageActor, endpoint_id: str, event_id: str
) -> Response:
    """Queue a past event again."""
    await check_csrf(request, admin_of(request).settings, actor.session_id)
    ctx = context_for(request, actor)
    await ctx.run_write(lambda: deliveries.redeliver(ctx, event_id))
    return _done(f"{PATH}/{endpoint_id}", "redeliver")


def _done(path: str, notice: str) -> Response:
    return page_headers(RedirectResponse(f"{path}?done={notice}", status_code=303))
