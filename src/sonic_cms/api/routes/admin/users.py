"""``/admin/api/users``: list, create, edit, deactivate and delete users (SonicJS's admin area).

Every rule (permissions, last admin, no self-escalation, role within one's own rights) lives in
auth/user_admin.py; these routes only parse and render.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import EmailStr, Field

from sonic_cms.api.bodies import StrictModel, no_nul_in_params, read_json_object
from sonic_cms.api.deps import CtxDep
from sonic_cms.api.models import users as udocs
from sonic_cms.api.openapi import DocumentedRoute, ok
from sonic_cms.api.params import int_query
from sonic_cms.api.queries import only_known_params
from sonic_cms.api.responses import JSONBytesResponse
from sonic_cms.auth import sessions, two_factor, user_admin
from sonic_cms.db.records import ROLE_PATTERN
from sonic_cms.pagination import list_envelope, page_block

router = APIRouter(
    prefix="/admin/api/users",
    tags=["users"],
    dependencies=[Depends(no_nul_in_params)],
    route_class=DocumentedRoute,
)
MAX_PAGE_SIZE = 100


class NewUser(StrictModel):
    """A user created by an admin; without a password they cannot sign in until one is set."""

    email: EmailStr
    username: str = Field(min_length=3, max_length=64)
    password: str | None = Field(None, max_length=1024)
    role: str = Field("viewer", pattern=ROLE_PATTERN)
    first_name: str = Field("", max_length=100, alias="firstName")
    last_name: str = Field("", max_length=100, alias="lastName")


@router.get("", responses=ok(udocs.UserList))
async def list_users_route(
    request: Request,
    ctx: CtxDep,
    page: Annotated[int, int_query(ge=1, le=1_000_000)] = 1,
    limit: Annotated[int, int_query(ge=1, le=MAX_PAGE_SIZE)] = 20,
    role: Annotated[str | None, Query(pattern=ROLE_PATTERN)] = None,
    active: bool | None = None,
    search: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    """A page of users, filtered by role, status, and a search over name, email, username."""
    only_known_params(request, "page", "limit", "role", "active", "search")
    items, total = await ctx.run_read(
        lambda: user_admin.list_users(
            ctx, page=page, limit=limit, role=role, active=active, search=search
        )
    )
    return list_envelope(items, ctx.clock.now_ms(), pagination=page_block(page, limit, total))


@router.post("", status_code=201, responses=ok(udocs.UserEnvelope, 201))
async def create_user_route(body: NewUser, ctx: CtxDep) -> JSONBytesResponse:
    """Create a user (``users.create``; the role must be within the creator's rights)."""
    user = await ctx.run_write(
        lambda: user_admin.admin_create_user(
            ctx,
            email=str(body.email),
            username=body.username,
            password=body.password,
            role=body.role,
            first_name=body.first_name,
            last_name=body.last_name,
        )
    )
    return JSONBytesResponse({"data": user}, status_code=201)


@router.get("/{user_id}", responses=ok(udocs.UserEnvelope))
async def get_user_route(user_id: str, ctx: CtxDep) -> dict[str, Any]:
    """One user."""
    return {"data": await ctx.run_read(lambda: user_admin.get_user(ctx, user_id))}


@router.patch("/{user_id}", responses=ok(udocs.UserEnvelope))
@router.put(
    "/{user_id}",
    operation_id="replace_user_route_admin_api_users_put",
    responses=ok(udocs.UserEnvelope),
)
async def update_user_route(user_id: str, request: Request, ctx: CtxDep) -> dict[str, Any]:
    """Edit a user's profile, email, username, role or status (``users.update``)."""
    changes = await read_json_object(request)
    user = await ctx.run_write(lambda: user_admin.update_user(ctx, user_id, changes))
    return {"data": user}


@router.post("/{user_id}/deactivate", responses=ok(udocs.UserEnvelope))
async def deactivate_route(user_id: str, ctx: CtxDep) -> dict[str, Any]:
    """Deactivate a user: sessions and API tokens stop working at once."""
    user = await ctx.run_write(lambda: user_admin.deactivate_user(ctx, user_id))
    return {"data": user}


@router.delete("/{user_id}", responses=ok(udocs.UserDeletedEnvelope))
async def delete_user_route(user_id: str, ctx: CtxDep) -> dict[str, Any]:
    """Delete a user (never the last active admin; 409 while they own content)."""
    await ctx.run_write(lambda: user_admin.delete_user(ctx, user_id))
    return {"data": {"id": user_id, "deleted": True}}


@router.post("/{user_id}/revoke-sessions", responses=ok(udocs.SessionsRevokedEnvelope))
async def revoke_sessions_route(user_id: str, ctx: CtxDep) -> dict[str, Any]:
    """Sign a user out everywhere (``users.update``); their API tokens are not affected."""
    await ctx.run_write(lambda: sessions.revoke_user_sessions(ctx, user_id))
    return {"data": {"id": user_id, "sessions_revoked": True}}


@router.post("/{user_id}/reset-2fa", responses=ok(udocs.TwoFactorResetEnvelope))
async def reset_two_factor_route(user_id: str, ctx: CtxDep) -> dict[str, Any]:
    """Turn a user's two-factor authentication off (lost device; ``users.update``)."""
    await ctx.run_write(lambda: two_factor.admin_reset(ctx, user_id))
    return {"data": {"id": user_id, "two_factor_enabled": False}}
