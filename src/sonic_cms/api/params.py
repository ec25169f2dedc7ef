"""Query-parameter discipline: an unknown parameter is a 400, never silently ignored."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from fastapi import Request

from sonic_cms.services.errors import BadRequest


def only_params(*allowed: str) -> Callable[[Request], Awaitable[None]]:
    """A dependency refusing query parameters outside ``allowed`` (async: no threadpool hop)."""
    permitted = frozenset(allowed)

    async def check(request: Request) -> None:
        reject_unknown(request.query_params.keys(), permitted)

    return check


def reject_unknown(given: Iterable[str], allowed: frozenset[str]) -> None:
    """Raise BadRequest naming every unknown parameter."""
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise BadRequest(
            f"Unknown query parameter(s): {', '.join(unknown)}",
            code="unknown_parameter",
            details=[{"path": name, "message": "unknown parameter"} for name in unknown],
        )
