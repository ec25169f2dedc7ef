"""``/api/tokens``: create (secret shown once), list and revoke API tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import AfterValidator, Field

from sonic_cms.api.bodies import StrictModel, no_nul_in_params
from sonic_cms.api.deps import CtxDep
from sonic_cms.api.models import users as udocs
from sonic_cms.api.openapi import DocumentedRoute, ok
from sonic_cms.api.queries import only_known_params
from sonic_cms.api.responses import JSONBytesResponse
from sonic_cms.auth import api_tokens
from sonic_cms.inputs.integers import MAX_EPOCH_MS
from sonic_cms.inputs.text import check_clean
from sonic_cms.pagination import complete_list

router = APIRouter(
    prefix="/api/tokens",
    tags=["api tokens"],
    dependencies=[Depends(no_nul_in_params)],
    route_class=DocumentedRoute,
)


class NewToken(StrictModel):
    """Name, the permissions (a subset of the creator's) and an optional expiry (epoch ms)."""

    name: Annotated[str, AfterValidator(check_clean)] = Field(min_length=1, max_length=200)
    permissions: list[Annotated[str, Field(max_length=100)]] = Field(max_length=200)
    expires_at: int | None = Field(None, ge=0, le=MAX_EPOCH_MS)


@router.post("", status_code=201, responses=ok(udocs.NewApiTokenEnvelope, 201))
async def create_token_route(body: NewToken, ctx: CtxDep) -> JSONBytesResponse:
    """Create a token; ``token`` in the answer is the only copy of the secret."""
    row, secret = await ctx.run_write(
        lambda: api_tokens.create_token(
            ctx, name=body.name, permissions=body.permissions, expires_at=body.expires_at
        )
    )
    return JSONBytesResponse({"data": {**row, "token": secret}}, status_code=201)


@router.get("", responses=ok(udocs.ApiTokenList))
async def list_tokens_route(request: Request, ctx: CtxDep, all: bool = False) -> dict[str, Any]:
    """One's tokens; ``?all=true`` lists everyone's (``api_tokens.manage``)."""
    only_known_params(request, "all")
    tokens = await ctx.run_read(lambda: api_tokens.list_tokens(ctx, all_users=all))
    return complete_list(tokens, ctx.clock.now_ms())


@router.delete("/{token_id}", responses=ok(udocs.RevokedEnvelope))
async def revoke_token_route(token_id: str, ctx: CtxDep) -> dict[str, Any]:
    """Revoke a token: it answers 401 from the next request on."""
    await ctx.run_write(lambda: api_tokens.revoke_token(ctx, token_id))
    return {"data": {"id": token_id, "revoked": True}}
