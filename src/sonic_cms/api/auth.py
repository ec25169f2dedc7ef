"""Request authentication: reads the bearer credential and asks the services who it is."""

from __future__ import annotations

from fastapi import Request

from sonic_cms.api.context import AppContext
from sonic_cms.services.actors import ANONYMOUS, Actor
from sonic_cms.services.authentication import actor_for_bearer
from sonic_cms.services.errors import Unauthorized


async def authenticate(request: Request) -> Actor:
    """The request's Actor: anonymous without credentials, 401 with bad ones."""
    header = request.headers.get("authorization")
    if not header:
        return ANONYMOUS
    scheme, _, credential = header.partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        raise Unauthorized("Malformed Authorization header", code="invalid_token")
    context: AppContext = request.app.state.ctx
    return await context.db.run_read(
        actor_for_bearer, context.db, context.settings, context.clock, credential.strip()
    )
