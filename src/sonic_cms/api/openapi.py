"""What ``/openapi.json``, ``/docs`` and ``/redoc`` say, derived from the routes themselves.

- Every route of the API is a :class:`DocumentedRoute`. Its answers are described by
  ``responses=ok(Model)`` (the model only documents: routes still write orjson bytes, with no
  validation on the hot path). The error answers and the ``security`` of an operation are
  derived here, once, from what the route depends on: a route that takes the request's actor
  (``ActorDep``) lists the three ways to authenticate and its 401/403; one with an ``If-Match``
  header its 412; one that reads a body its 409/413/415. Routes anonymous callers may use say
  so with ``openapi_extra=PUBLIC``.
- The JSON response class is a ``JSONResponse``, so FastAPI documents it as JSON: a route
  without a model documents ``{}``, never ``{"type": "string"}``, and the OpenAPI test fails.
- ``/docs`` and ``/redoc`` load Swagger UI and ReDoc from the package (vendored from npm by
  ``make assets``), so they work on a server without internet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib.resources import files
from typing import Any

from fastapi import FastAPI
from fastapi import routing as fastapi_routing
from fastapi.dependencies.models import Dependant
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

from sonic_cms.api.deps import Handler, direct_handler, get_actor, get_services

#: Where the vendored Swagger UI and ReDoc files are served from.
ASSETS_URL = "/docs/assets"

SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "The access token `POST /auth/login` returns as `token` (short-lived: "
        "`POST /auth/refresh` gives a new one).",
    },
    "apiToken": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "sonic_…",
        "description": "An API token from `POST /api/tokens`, sent the same way: "
        "`Authorization: Bearer sonic_…`. It holds only the permissions it was given.",
    },
    "cookieAuth": {
        "type": "apiKey",
        "in": "cookie",
        "name": "auth_token",
        "description": "The HttpOnly cookie `POST /auth/login` sets; a browser sends it by "
        "itself. Writes with it must come from the site's own origin (CSRF check).",
    },
}

#: Any one of the schemes authenticates a request.
AUTHENTICATED: list[dict[str, list[str]]] = [{name: []} for name in SECURITY_SCHEMES]
#: ``openapi_extra`` of a route anonymous callers may use too (credentials widen what it shows).
PUBLIC: dict[str, Any] = {"security": [{}, *AUTHENTICATED]}

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

_ERROR_TEXT: dict[int, str] = {
    400: "Bad request: a malformed or unknown parameter, or malformed JSON",
    401: "Unauthorized: credentials missing, malformed, expired or revoked",
    403: "Forbidden: a permission is missing, or a cookie write came from another origin",
    404: "Not found",
    409: "Conflict: a taken name or slug, a stale version, a state that forbids the change",
    412: "Precondition failed: If-Match names an older version",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Invalid data: `details` lists each failing field",
    429: "Too many requests: see Retry-After",
    500: "Internal server error: `details` holds the request id to quote",
}


class ErrorBody(BaseModel):
    """Every error: SonicJS clients read ``error`` as a string."""

    error: str
    code: str = Field(description="A machine-readable code, e.g. `content_not_found`")
    details: list[Any] = Field(description="Per-field problems: `{path, message}` objects")


ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}


def error(status: int, description: str | None = None) -> dict[str, Any]:
    """One documented error answer: the error envelope.

    A plain ``content`` entry rather than ``model``: FastAPI builds a pydantic field per
    ``model`` answer of every route, which tripled the time /openapi.json takes to build.
    """
    return {
        "description": description or _ERROR_TEXT[status],
        "content": {"application/json": {"schema": dict(ERROR_REF)}},
    }


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries for errors a route raises that its dependencies do not show
    (a failed sign-in is 401 on a route that takes no actor)."""
    return {status: error(status) for status in statuses}


def ok(
    model: type[BaseModel], status: int = 200, description: str = "Success"
) -> dict[int | str, dict[str, Any]]:
    """``responses=`` of a route answering ``model`` as JSON with ``status``."""
    return {status: {"model": model, "description": description}}


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for child in dependant.dependencies:
        yield from _dependants(child)


def takes_actor(dependant: Dependant) -> bool:
    """Whether the route (or a dependency of it) resolves the request's actor."""
    return any(d.call in (get_actor, get_services) for d in _dependants(dependant))


def _takes_if_match(dependant: Dependant) -> bool:
    return any(
        (field.alias or field.name).lower() == "if-match"
        for d in _dependants(dependant)
        for field in d.header_params
    )


def derived_errors(route: APIRoute, authenticated: bool) -> dict[int | str, dict[str, Any]]:
    """The error answers any route of this shape can give."""
    codes = {400, 404, 422, 429, 500}
    methods = route.methods or set()
    if authenticated:
        codes |= {401, 403}
    reads_body = bool(route.body_field) or "requestBody" in (route.openapi_extra or {})
    if methods & _BODY_METHODS or reads_body:
        codes |= {409, 413, 415}
    if "DELETE" in methods:
        codes.add(409)
    if _takes_if_match(route.dependant):
        codes.add(412)
    return {code: error(code) for code in sorted(codes)}


class DocumentedRoute(APIRoute):
    """An APIRoute whose OpenAPI operation states its errors and its security.

    A route whose ``responses`` names the model of its success status answers plain data
    (``response_model`` None): the model documents, it does not filter or validate. A route
    with nothing for FastAPI to solve but its context is handled directly
    (:func:`~sonic_cms.api.deps.direct_handler`).
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        responses: dict[int | str, dict[str, Any]] = dict(kwargs.get("responses") or {})
        status = kwargs.get("status_code") or 200
        if "model" in responses.get(status, {}):
            kwargs["response_model"] = None
        super().__init__(path, endpoint, **kwargs)
        extra = dict(self.openapi_extra or {})
        authenticated = takes_actor(self.dependant) or bool(extra.get("security"))
        if authenticated and "security" not in extra:
            extra["security"] = AUTHENTICATED
        self.openapi_extra = extra or None
        merged = {**derived_errors(self, authenticated), **responses}
        self.responses = dict(sorted(merged.items(), key=lambda item: str(item[0])))

    def get_route_handler(self) -> Handler:
        """FastAPI's handler, or one calling the endpoint directly when that is the same.

        FastAPI builds a handler for the route and one more for each router that includes it
        (an "effective" route with that router's prefix and dependencies, named by a context
        variable while it builds); each is judged by its own dependencies and path.
        """
        solved = super().get_route_handler()
        route: Any = self
        effective = getattr(fastapi_routing, "_effective_route_context_var", None)
        context = effective.get() if effective is not None else None
        if context is not None and context.original_route is self:
            route = context
        elif context is not None or effective is None:
            return solved  # a FastAPI whose routing this does not know: its own handler
        return (
            direct_handler(
                route.dependant,
                route.response_field,
                route.param_convertors,
                route.dependency_overrides_provider,
                solved,
            )
            or solved
        )


def _document(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with the security schemes the operations name."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        components = schema.setdefault("components", {})
        components.setdefault("schemas", {})["ErrorBody"] = ErrorBody.model_json_schema()
        components["securitySchemes"] = SECURITY_SCHEMES
        app.openapi_schema = schema
    return app.openapi_schema


#: The documentation pages may load nothing from another host. ReDoc's bundle shows Redocly's
#: logo from a CDN (hidden by its own onError when blocked); FastAPI's pages start the viewers
#: with an inline script, and ReDoc runs its search in a blob: worker.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
    "frame-ancestors 'none'"
)


def _local_only(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = DOCS_CSP
    return page


def install_docs(app: FastAPI) -> None:
    """``/openapi.json`` with security schemes, and ``/docs`` and ``/redoc`` on local assets.

    Build the app with ``docs_url=None, redoc_url=None`` so these replace FastAPI's own.
    """
    app.openapi = lambda: _document(app)  # type: ignore[method-assign]
    vendor = files("sonic_cms.api").joinpath("static", "vendor")
    app.mount(ASSETS_URL, StaticFiles(directory=str(vendor)), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    async def swagger(request: Request) -> HTMLResponse:
        return _local_only(
            get_swagger_ui_html(
                openapi_url=openapi_url,
                title=f"{app.title} - Swagger UI",
                swagger_js_url=f"{ASSETS_URL}/swagger-ui/swagger-ui-bundle.js",
                swagger_css_url=f"{ASSETS_URL}/swagger-ui/swagger-ui.css",
                swagger_favicon_url=f"{ASSETS_URL}/swagger-ui/favicon-32x32.png",
                swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": True},
            )
        )

    async def redoc(request: Request) -> HTMLResponse:
        return _local_only(
            get_redoc_html(
                openapi_url=openapi_url,
                title=f"{app.title} - ReDoc",
                redoc_js_url=f"{ASSETS_URL}/redoc/redoc.standalone.js",
                redoc_favicon_url=f"{ASSETS_URL}/swagger-ui/favicon-32x32.png",
                with_google_fonts=False,
            )
        )

    app.add_route("/docs", swagger, include_in_schema=False)
    app.add_route("/redoc", redoc, include_in_schema=False)


#: The extra answer of a route that honours If-None-Match.
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: If-None-Match names the current ETag"}
}


def file_responses() -> dict[int | str, dict[str, Any]]:
    """``GET /files/{key}``: the object's own bytes and type, ranges, and the error envelope."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {
        200: {
            "description": "The object, served with its own Content-Type",
            "content": {"application/octet-stream": binary},
        },
        206: {
            "description": "The byte range asked for (Content-Range)",
            "content": {"application/octet-stream": binary},
        },
        304: NOT_MODIFIED[304],
        403: error(403, "Forbidden: the signature is invalid or expired"),
        416: {"description": "Range not satisfiable"},
    }
