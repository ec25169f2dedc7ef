"""Typed dependencies, so routes read as signatures: ``db: DbDep, actor: ActorDep``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from sonic_cms.actors import ANONYMOUS, Actor
from sonic_cms.api.context import AppContext
from sonic_cms.clock import Clock
from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.storage import Storage


def get_context(request: Request) -> AppContext:
    """The AppContext of the app serving this request."""
    context: AppContext = request.app.state.ctx
    return context


def get_db(request: Request) -> Database:
    """The app's Database."""
    return get_context(request).db


def get_settings(request: Request) -> Settings:
    """The app's Settings."""
    return get_context(request).settings


def get_clock(request: Request) -> Clock:
    """The app's Clock."""
    return get_context(request).clock


def get_storage(request: Request) -> Storage:
    """The app's media storage backend."""
    storage: Storage = request.app.state.storage
    return storage


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


async def get_services(request: Request, actor: Annotated[Actor, Depends(get_actor)]) -> Context:
    """The service context of this request: the app's collaborators acting for its caller
    (FastAPI resolves ``get_actor`` once per request, however many dependencies name it)."""
    return get_context(request).services.acting_as(actor)


async def get_public_services(request: Request) -> Context:
    """The service context of a route that must not authenticate its caller (login, refresh,
    password reset, invitations, media files): the app's collaborators acting for nobody."""
    return get_context(request).services


# FastAPI runs a sync dependency in the threadpool: one thread hop per request per dependency.
# These async twins keep the plain functions above callable directly.
async def _context(request: Request) -> AppContext:
    return get_context(request)


async def _db(request: Request) -> Database:
    return get_db(request)


async def _settings(request: Request) -> Settings:
    return get_settings(request)


async def _clock(request: Request) -> Clock:
    return get_clock(request)


ContextDep = Annotated[AppContext, Depends(_context)]
#: What a route hands to services: ``ctx.run_read(lambda: items.get_item(ctx, item_id))``.
CtxDep = Annotated[Context, Depends(get_services)]
#: For routes that run before or without authentication: acting for the anonymous caller.
PublicCtxDep = Annotated[Context, Depends(get_public_services)]
DbDep = Annotated[Database, Depends(_db)]
SettingsDep = Annotated[Settings, Depends(_settings)]
ClockDep = Annotated[Clock, Depends(_clock)]
ActorDep = Annotated[Actor, Depends(get_actor)]
StorageDep = Annotated[Storage, Depends(get_storage)]
