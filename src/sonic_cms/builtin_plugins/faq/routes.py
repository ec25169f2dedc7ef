"""/api/plugins/faq/: public cached reads, writes for holders of ``faq.manage``."""

from __future__ import annotations

import functools
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from starlette.responses import Response

from sonic_cms.api.caching import cached_route
from sonic_cms.api.deps import CtxDep
from sonic_cms.api.models.common import PagedMeta
from sonic_cms.api.openapi import NOT_MODIFIED, PUBLIC, DocumentedRoute, ok
from sonic_cms.api.params import int_query, only_params
from sonic_cms.builtin_plugins.faq import service
from sonic_cms.builtin_plugins.faq.service import FaqIn, FaqPatch

MAX_LIMIT = 100


class Faq(BaseModel):
    """One question and its answer."""

    id: str
    question: str
    answer: str
    category: str | None
    tags: list[str] | None
    is_published: bool
    sort_order: int
    created_at: int
    updated_at: int


class FaqList(BaseModel):
    """A page of entries, ordered by sort_order."""

    data: list[Faq]
    meta: PagedMeta


class FaqEnvelope(BaseModel):
    """One entry."""

    data: Faq


@functools.cache
def router() -> APIRouter:
    """The plugin's routes (mounted under /api/plugins/faq while the plugin is active); built
    once per process, since every app includes the same routes (they read the app's state
    per request)."""
    api = APIRouter(tags=["plugins: faq"], route_class=DocumentedRoute)

    @api.get(
        "/",
        dependencies=[Depends(only_params("page", "limit", "category"))],
        responses={**ok(FaqList), **NOT_MODIFIED},
        openapi_extra=PUBLIC,
    )
    @cached_route("plugin", "faq-list")
    async def list_faqs(
        request: Request,
        ctx: CtxDep,
        page: Annotated[int, int_query(ge=1, le=100_000)] = 1,
        limit: Annotated[int, int_query(ge=1, le=MAX_LIMIT)] = 50,
        category: Annotated[str | None, Query(max_length=100)] = None,
    ) -> object:
        return await ctx.run_read(lambda: service.list_faqs(ctx, page, limit, category))

    @api.get(
        "/{faq_id}",
        dependencies=[Depends(only_params())],
        responses={**ok(FaqEnvelope), **NOT_MODIFIED},
        openapi_extra=PUBLIC,
    )
    @cached_route("plugin", "faq-item")
    async def get_faq(request: Request, ctx: CtxDep, faq_id: str) -> object:
        return {"data": await ctx.run_read(lambda: service.get_faq(ctx, faq_id))}

    @api.post("/", status_code=201, responses=ok(FaqEnvelope, 201))
    async def create_faq(ctx: CtxDep, body: FaqIn) -> object:
        row = await ctx.run_write(lambda: service.create_faq(ctx, body))
        return {"data": row}

    @api.put("/{faq_id}", responses=ok(FaqEnvelope))
    async def update_faq(ctx: CtxDep, faq_id: str, body: FaqPatch) -> object:
        row = await ctx.run_write(lambda: service.update_faq(ctx, faq_id, body))
        return {"data": row}

    @api.delete("/{faq_id}", status_code=204, response_class=Response)
    async def delete_faq(ctx: CtxDep, faq_id: str) -> Response:
        await ctx.run_write(lambda: service.delete_faq(ctx, faq_id))
        return Response(status_code=204)

    return api
