"""Typed dependencies, so routes read as signatures: ``ctx: CtxDep`` is the service context
acting for the authenticated caller, ``ctx: PublicCtxDep`` one acting for nobody."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_typed_return_annotation
from fastapi.telemetry import get_telemetry_data
from starlette.convertors import Convertor, PathConvertor, StringConvertor
from starlette.responses import Response

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


#: Dependencies that read nothing but the request: a direct handler resolves them itself.
_REQUEST_ONLY: frozenset[Callable[..., Any]] = frozenset(
    {get_services, get_public_services, _context}
)
Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def direct_handler(
    dependant: Dependant,
    response_field: Any,
    convertors: dict[str, Convertor[Any]],
    overrides: Any,
    solved: Handler,
) -> Handler | None:
    """A handler that calls the endpoint itself, for an endpoint FastAPI would have nothing
    to solve for: it takes the request, its ``str`` path parameters as routing matched them
    and at most one context dependency, and answers a :class:`Response` of its own.

    FastAPI's solver walks the whole dependency tree per request (a fifth of an uncached item
    read's time); for such an endpoint it can only produce what this does. A request while
    ``app.dependency_overrides`` names the dependency, or while FastAPI's telemetry records the
    request, gets ``solved`` (FastAPI's own handler). None when the endpoint is not such an
    endpoint.
    """
    if not _direct(dependant, response_field, convertors):
        return None
    call = dependant.call
    assert call is not None
    request_name = dependant.request_param_name
    assert request_name is not None
    path_names = [field.name for field in dependant.path_params]
    resolve = dependant.dependencies[0] if dependant.dependencies else None

    def overridden() -> bool:  # read per request, as FastAPI does: the dict may be replaced
        return resolve is not None and resolve.call in getattr(
            overrides, "dependency_overrides", {}
        )

    async def handle(request: Request) -> Response:
        if get_telemetry_data() is not None or overridden():
            return await solved(request)
        params = request.scope["path_params"]
        values: dict[str, Any] = {name: params[name] for name in path_names}
        values[request_name] = request
        if resolve is not None:
            assert resolve.call is not None and resolve.name is not None
            values[resolve.name] = await resolve.call(request)
        # the annotation says Response, and mypy holds every endpoint of ours to it
        response: Response = await call(**values)
        return response

    return handle


def _direct(
    dependant: Dependant, response_field: Any, convertors: dict[str, Convertor[Any]]
) -> bool:
    """Whether :func:`direct_handler` may stand in for FastAPI's solver for ``dependant``."""
    if dependant.call is None or not inspect.iscoroutinefunction(dependant.call):
        return False
    if response_field is not None or dependant.request_param_name is None:
        return False
    returns = get_typed_return_annotation(dependant.call)
    if not (inspect.isclass(returns) and issubclass(returns, Response)):
        return False
    extras = (
        dependant.query_params,
        dependant.header_params,
        dependant.cookie_params,
        dependant.body_params,
        dependant.websocket_param_name,
        dependant.http_connection_param_name,
        dependant.response_param_name,
        dependant.background_tasks_param_name,
        dependant.security_scopes_param_name,
    )
    if any(extras) or len(dependant.dependencies) > 1:
        return False
    # routing hands over strings (no ``{id:int}``), which a ``str`` field takes as they are
    if not all(isinstance(c, StringConvertor | PathConvertor) for c in convertors.values()):
        return False
    plain_path = all(
        field.name in convertors
        and field.field_info.annotation is str
        and not field.field_info.metadata
        and field.alias == field.name
        and field.field_info.validation_alias is None
        for field in dependant.path_params
    )
    return plain_path and all(_request_only(sub) for sub in dependant.dependencies)


def _request_only(dependency: Dependant) -> bool:
    """A dependency of :data:`_REQUEST_ONLY` handed to a named parameter, taking the request
    as it declares, with no limit of FastAPI's on how many run at once."""
    return (
        dependency.call in _REQUEST_ONLY
        and dependency.name is not None
        and not dependency.dependencies
        and getattr(dependency, "concurrency", None) is None
    )
