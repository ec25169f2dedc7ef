"""Reading auth-route bodies the SonicJS way: JSON or HTML form, 400 "Validation failed".

SonicJS's auth pages post forms and its clients post JSON; both are accepted. Models are strict
(``{"token": {}}`` is a 400, never a 500 or a silent coercion). An unknown field is refused
like on every route, with 422 naming it (``inputs.bodies``, the one rule).
"""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from fastapi import Request
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from sonic_cms.auth.users import validation_details
from sonic_cms.errors import BadRequest
from sonic_cms.inputs.bodies import KnownFields

M = TypeVar("M", bound=BaseModel)


def has_nul(value: Any) -> bool:
    """Whether a NUL character hides anywhere in ``value`` (PostgreSQL text cannot hold one)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(item) for item in value)
    return False


class StrictBody(KnownFields):
    """Base of auth bodies: exact types; unknown keys refused (422 naming them)."""

    model_config = KnownFields.model_config | ConfigDict(strict=True, str_strip_whitespace=False)

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if has_nul(data):
            raise ValueError("text may not contain NUL characters")
        return data


class StrictModel(StrictBody):
    """Base of admin bodies: exact types, unknown keys refused."""


def no_nul_in_params(request: Request) -> None:
    """Router dependency: a NUL in a path or query parameter is a 400, never a driver error."""
    values = [*request.path_params.values(), *request.query_params.values()]
    if any(has_nul(v) for v in values):
        raise invalid([{"path": "query", "message": "text may not contain NUL characters"}])


def invalid(details: list[dict[str, Any]]) -> BadRequest:
    """SonicJS's validation error: 400 ``{"error": "Validation failed", "details": [...]}``."""
    return BadRequest("Validation failed", code="validation_failed", details=details)


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """``raw`` as a JSON object: the one rule for a malformed or non-object body on every route
    (400 ``invalid_json`` naming ``body``)."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise malformed_json(str(exc)) from None
    if not isinstance(data, dict):
        raise not_an_object()
    return data


def malformed_json(reason: str) -> BadRequest:
    """The answer to a body that is not JSON, whether a route reads its body itself or FastAPI
    parses it into a model: clients see one code for one fault."""
    return BadRequest(
        "Malformed JSON body",
        code="invalid_json",
        details=[{"path": "body", "message": reason[:200]}],
    )


def not_an_object() -> BadRequest:
    """The answer to a JSON body that is not an object (an array, a string, a number)."""
    return BadRequest(
        "The body must be a JSON object",
        code="invalid_json",
        details=[{"path": "body", "message": "must be an object"}],
    )


async def read_body(request: Request, model: type[M], *, optional: bool = False) -> M:
    """The request body as ``model``; 400 for malformed JSON, a non-object or invalid fields."""
    content_type = request.headers.get("content-type", "")
    data: Any
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        async with request.form() as form:
            data = form_fields(form.multi_items())
    else:
        raw = await request.body()
        data = {} if not raw.strip() and optional else parse_json_object(raw)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid(validation_details(exc)) from exc


def form_fields(items: list[tuple[str, Any]]) -> dict[str, str | None]:
    """A form's fields as a JSON body would carry them, so the model judges every part: a file
    part becomes ``None`` (an unknown name is then refused by the body rule, a known one fails
    its type), and a field given twice is refused rather than last-wins."""
    data: dict[str, str | None] = {}
    repeated = []
    for key, value in items:
        if key in data:
            repeated.append({"path": key[:60], "message": "given more than once"})
        data[key] = value if isinstance(value, str) else None
    if repeated:
        raise invalid(repeated)
    return data


async def read_json_object(request: Request) -> dict[str, Any]:
    """A JSON object body, left unvalidated for services that check field by field."""
    data = parse_json_object(await request.body())
    if has_nul(data):
        raise invalid([{"path": "body", "message": "text may not contain NUL characters"}])
    return data


def body_doc(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` documenting a body that a route reads itself (JSON or form)."""
    schema = model.model_json_schema()
    content = {
        "application/json": {"schema": schema},
        "application/x-www-form-urlencoded": {"schema": schema},
    }
    return {"requestBody": {"required": True, "content": content}}
