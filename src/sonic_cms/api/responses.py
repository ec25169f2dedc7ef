"""JSON responses serialized with orjson straight to bytes."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse


def dumps(content: Any) -> bytes:
    """Serialize like the API does everywhere: orjson, non-str dict keys allowed."""
    return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


class JSONBytesResponse(JSONResponse):
    """A JSON response rendered by orjson (several times faster than the stdlib encoder).

    A ``JSONResponse`` so that FastAPI documents the routes answering it as JSON with their
    model: a plain ``Response`` subclass is documented as ``{"type": "string"}``.
    """

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        if isinstance(content, bytes):
            return content
        return dumps(content)
