"""Typed dependencies, so routes read as signatures: ``ctx: CtxDep`` is the service context
acting for the authenticated caller, ``ctx: PublicCtxDep`` one acting for nobody."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from sonic_cms.actors import ANONYMOUS, Actor
from sonic_cms.api.context import AppContext
from sonic_cms.context import Context


def get_context(request: Request) -> AppContext:
    """The AppContext of the app serving this request."""
    context: AppContext = request.app.state.ctx
    return context


async def get_actor(request: Request) -> Actor:
    """The principal behind the request; anonymous until authentication resolves one.

    Authentication (bearer JWT, API token or cookie) plugs in through
    ``request.app.state.authenticate`` so that this dependency stays the single entry point.
    """
    authenticate = getattr(request.app.state, "authenticate", None)
    if authenticate is None:
        return ANONYMOUS
    actor: Actor = await authenticate(request)
    request.state.user_id = actor.user_id  # for the request log
    return actor


async def get_services(request: Request) -> Context:
    """The service context of this request: the app's collaborators acting for its caller.

    It authenticates itself rather than depending on ``get_actor``: every level of FastAPI's
    dependency tree costs a solve per request (a tenth of an uncached item read's time), and no
    route needs the actor but through its context."""
    return get_context(request).services.acting_as(await get_actor(request))


async def get_public_services(request: Request) -> Context:
    """The service context of a route that must not authenticate its caller (login, refresh,
    password reset, invitations, media files): the app's collaborators acting for nobody."""
    return get_context(request).services


# FastAPI runs a sync dependency in the threadpool: one thread hop per request per dependency.
# This async twin keeps get_context callable directly.
async def _context(request: Request) -> AppContext:
    return get_context(request)


ContextDep = Annotated[AppContext, Depends(_context)]
#: What a route hands to services: ``ctx.run_read(lambda: history.get_item(ctx, item_id))``.
CtxDep = Annotated[Context, Depends(get_services)]
#: For routes that run before or without authentication: acting for the anonymous caller.
PublicCtxDep = Annotated[Context, Depends(get_public_services)]
