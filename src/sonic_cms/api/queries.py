"""Query-string discipline: an unknown parameter is a 400, never silently ignored (DESIGN.md)."""

from __future__ import annotations

from fastapi import Request

from sonic_cms.errors import BadRequest


def only_known_params(request: Request, *known: str) -> None:
    """Raise 400 naming every query parameter the route does not define."""
    unknown = sorted(set(request.query_params) - set(known))
    if unknown:
        raise BadRequest(
            "Unknown query parameter",
            code="unknown_parameter",
            details=[{"path": name, "message": "unknown parameter"} for name in unknown],
        )
