"""Query and path parameters: unknown ones are a 400, integers are range-checked in one place.

Every integer parameter of a route is declared with :func:`int_query` or :func:`int_path`, which
bound it to signed 64 bits (what SQLite and PostgreSQL can bind) and to the route's own range.
FastAPI checks the bounds before the handler runs; ``api/errors.py`` turns the failure into a
400 naming the parameter. ``tests/api/test_integer_params.py`` sends out-of-range values to every
integer parameter in the OpenAPI document, so a route declared with a bare ``int`` fails it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Path, Query, Request

from sonic_cms.inputs.integers import clamp_bounds
from sonic_cms.inputs.params import reject_unknown


def int_query(
    *,
    ge: int | None = None,
    le: int | None = None,
    alias: str | None = None,
    description: str | None = None,
) -> Any:
    """``Query(...)`` for an integer: its own bounds, never past signed 64 bits."""
    low, high = clamp_bounds(ge, le)
    return Query(ge=low, le=high, alias=alias, description=description)


def int_path(*, ge: int | None = None, le: int | None = None) -> Any:
    """``Path(...)`` for an integer: its own bounds, never past signed 64 bits."""
    low, high = clamp_bounds(ge, le)
    return Path(ge=low, le=high)


def only_params(*allowed: str) -> Callable[[Request], Awaitable[None]]:
    """A dependency refusing query parameters outside ``allowed`` (async: no threadpool hop)."""
    permitted = frozenset(allowed)

    async def check(request: Request) -> None:
        reject_unknown(request.query_params.keys(), permitted)

    return check
