"""``/admin/api/permissions`` and ``/admin/api/roles``: the permission catalogue and grants."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import Field

from sonic_cms.api.bodies import StrictModel, no_nul_in_params
from sonic_cms.api.deps import CtxDep
from sonic_cms.api.models import users as udocs
from sonic_cms.api.openapi import DocumentedRoute, ok
from sonic_cms.auth import roles
from sonic_cms.pagination import complete_list

router = APIRouter(
    prefix="/admin/api",
    tags=["permissions"],
    dependencies=[Depends(no_nul_in_params)],
    route_class=DocumentedRoute,
)


class GrantBody(StrictModel):
    """The permission to grant."""

    permission: str = Field(min_length=1, max_length=100)


@router.get("/permissions", responses=ok(udocs.PermissionList))
async def list_permissions_route(ctx: CtxDep) -> dict[str, Any]:
    """Every permission and the roles holding it."""
    rows = await ctx.run_read(lambda: roles.list_permissions(ctx))
    return complete_list(rows, ctx.clock.now_ms())


@router.get("/roles", responses=ok(udocs.RoleMatrix))
async def list_roles_route(ctx: CtxDep) -> dict[str, Any]:
    """Every role with its permissions."""
    return {"data": await ctx.run_read(lambda: roles.roles_matrix(ctx))}


@router.post("/roles/{role}/permissions", responses=ok(udocs.GrantEnvelope))
async def grant_route(role: str, body: GrantBody, ctx: CtxDep) -> dict[str, Any]:
    """Grant a permission to a role (``roles.manage``); effective at once in this process."""
    added = await ctx.run_write(lambda: roles.grant(ctx, role=role, permission=body.permission))
    return {
        "data": {"role": role, "permission": body.permission, "granted": True, "changed": added}
    }


@router.delete("/roles/{role}/permissions/{permission}", responses=ok(udocs.GrantEnvelope))
async def revoke_route(role: str, permission: str, ctx: CtxDep) -> dict[str, Any]:
    """Revoke a permission from a role (``roles.manage``); admin keeps everything."""
    removed = await ctx.run_write(lambda: roles.revoke(ctx, role=role, permission=permission))
    return {"data": {"role": role, "permission": permission, "granted": False, "changed": removed}}
