"""Every failure becomes ``{"error": "<message>", "code": "<machine code>", "details": [...]}``.

SonicJS clients read ``error`` as a string, so it stays one. Unexpected exceptions answer 500
with a generic message and a request id to quote; the traceback goes to the server log only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from sonic_cms.api.bodies import malformed_json, not_an_object
from sonic_cms.api.responses import JSONBytesResponse
from sonic_cms.errors import BadRequest, ServiceError, TooManyRequests

logger = logging.getLogger("sonic_cms.api")

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
}


def error_response(
    status: int,
    message: str,
    code: str,
    details: list[Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONBytesResponse:
    """The one error shape of the API."""
    body = {"error": message, "code": code, "details": details or []}
    return JSONBytesResponse(body, status_code=status, headers=headers)


async def _service_error(request: Request, exc: Exception) -> JSONBytesResponse:
    assert isinstance(exc, ServiceError)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
    return error_response(exc.status, exc.message, exc.code, exc.details, headers)


async def _http_error(request: Request, exc: Exception) -> JSONBytesResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    headers = dict(exc.headers) if exc.headers else None
    return error_response(exc.status_code, message, code, headers=headers)


def _validation_detail(err: Mapping[str, Any]) -> dict[str, str]:
    """One problem: a parameter is named by itself (``offset``), a body field by its path in
    the body (``folder``, as the routes that read their body themselves name it)."""
    loc = [str(part) for part in err.get("loc", ())]
    where = loc[0] if loc else "request"
    if where in ("query", "path", "header", "cookie") and len(loc) > 1:
        return {"path": ".".join(loc[1:]), "in": where, "message": err.get("msg", "invalid")}
    if where == "body" and len(loc) > 1:
        loc = loc[1:]
    return {"path": ".".join(loc), "message": err.get("msg", "invalid")}


#: Pydantic's error types for a body that parsed as JSON but is not an object.
_NOT_AN_OBJECT = frozenset({"model_attributes_type", "dict_type", "model_type"})


def _json_fault(errors: Sequence[Any]) -> BadRequest | None:
    """The body-level fault among FastAPI's errors, answered as ``api.bodies`` answers it."""
    for err in errors:
        if err.get("type") == "json_invalid":
            reason = err.get("ctx", {}).get("error") or err.get("msg", "invalid JSON")
            return malformed_json(str(reason))
        if tuple(err.get("loc", ())) != ("body",):
            continue
        if err.get("type") == "missing":
            return malformed_json("the body is empty")
        if err.get("type") in _NOT_AN_OBJECT:
            return not_an_object()
    return None


async def _request_validation_error(request: Request, exc: Exception) -> JSONBytesResponse:
    """A bad query, path or header parameter is a 400 (DESIGN.md); a bad body is a 422."""
    assert isinstance(exc, RequestValidationError)
    fault = _json_fault(exc.errors())
    if fault is not None:
        return await _service_error(request, fault)
    details = [_validation_detail(err) for err in exc.errors()]
    in_body = any(str(err.get("loc", ("",))[0]) == "body" for err in exc.errors())
    if in_body:
        return error_response(422, "Validation failed", "validation_failed", details)
    return error_response(400, "Invalid request parameters", "bad_request", details)


def _is_nul_refusal(exc: DataError) -> bool:
    """PostgreSQL refusing a NUL: psycopg will not send one in a text parameter, and the server
    cannot turn ``\\u0000`` in JSON into jsonb text. SQLite stores both; nothing else matches."""
    if isinstance(exc.orig, psycopg.errors.UntranslatableCharacter):
        return True
    return isinstance(exc.orig, psycopg.DataError) and "NUL (0x00)" in str(exc.orig)


async def _data_error(request: Request, exc: Exception) -> JSONBytesResponse:
    """A NUL in a JSON body reaching PostgreSQL is bad input (422), not a server error; the
    fields with their own text rules refuse it earlier, with the field's path, on both
    engines. Any other DataError is unexpected."""
    assert isinstance(exc, DataError)
    if _is_nul_refusal(exc):
        return error_response(
            422,
            "Validation failed",
            "validation_failed",
            [{"path": "body", "message": "text may not contain NUL characters"}],
        )
    return await _unexpected_error(request, exc)


async def _unexpected_error(request: Request, exc: Exception) -> JSONBytesResponse:
    request_id = getattr(request.state, "request_id", None)
    logger.exception("unhandled error (request %s)", request_id)
    return error_response(
        500, "Internal server error", "internal_error", [{"request_id": request_id}]
    )


def install_error_handlers(app: FastAPI) -> None:
    """Route every exception type to the envelope."""
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _request_validation_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(Exception, _unexpected_error)
