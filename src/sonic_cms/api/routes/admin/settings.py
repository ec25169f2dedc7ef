"""/admin/api/settings: the site settings (``operations.settings_admin``; settings.read and
settings.update)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from sonic_cms.api.bodies import read_json_object
from sonic_cms.api.deps import CtxDep
from sonic_cms.api.models import settings as sdocs
from sonic_cms.api.models.common import body
from sonic_cms.api.openapi import DocumentedRoute, ok
from sonic_cms.api.params import only_params
from sonic_cms.operations import settings_admin
from sonic_cms.site_settings.store import SiteSettingsChange

router = APIRouter(prefix="/admin/api/settings", tags=["settings"], route_class=DocumentedRoute)


@router.get("", dependencies=[Depends(only_params())], responses=ok(sdocs.SiteSettingsEnvelope))
async def get_settings(ctx: CtxDep) -> dict[str, Any]:
    """The site settings in effect, and which of them are saved (``settings.read``)."""
    return {"data": await ctx.run_read(lambda: settings_admin.get_settings(ctx))}


@router.put(
    "",
    dependencies=[Depends(only_params())],
    responses=ok(sdocs.SiteSettingsEnvelope),
    openapi_extra=body(SiteSettingsChange),
)
async def put_settings(request: Request, ctx: CtxDep) -> dict[str, Any]:
    """Save the settings given (``null`` clears one back to its default); the others keep
    their values. 422 on an unknown field or a bad value, nothing saved (``settings.update``)."""
    changes = await read_json_object(request)
    saved = await ctx.run_write(lambda: settings_admin.update_settings(ctx, changes))
    return {"data": saved}
