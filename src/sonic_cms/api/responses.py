"""JSON responses serialized with orjson straight to bytes."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


def dumps(content: Any) -> bytes:
    """Serialize like the API does everywhere: orjson, non-str dict keys allowed."""
    return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


class JSONBytesResponse(Response):
    """A JSON response rendered by orjson (several times faster than the stdlib encoder)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        if isinstance(content, bytes):
            return content
        return dumps(content)
