"""Query-string discipline for routes that read their parameters from the request itself."""

from __future__ import annotations

from fastapi import Request

from sonic_cms.inputs.params import reject_unknown


def only_known_params(request: Request, *known: str) -> None:
    """Raise 400 naming every query parameter the route does not define."""
    reject_unknown(request.query_params.keys(), frozenset(known))
