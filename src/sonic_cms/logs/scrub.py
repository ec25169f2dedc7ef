"""Secrets never reach a log record: headers, query parameters and data keys are masked."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

MASK = "[redacted]"
SECRET_KEY = re.compile(
    r"(pass(word|wd)?|secret|token|authorization|api[-_]?key|cookie|session|credential|"
    r"otp|two_factor|signature|private)",
    re.I,
)
BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")


def scrub_text(text: str) -> str:
    """Mask bearer credentials and JWTs inside free text (messages, stack traces)."""
    return JWT.sub(MASK, BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text))


def scrub_query(query: str) -> str:
    """A query string with secret-looking parameters masked."""
    if not query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, MASK if SECRET_KEY.search(k) else scrub_text(v)) for k, v in pairs])


def scrub_path(path: str) -> str:
    """A request target (path and query) with its secret-looking query parameters masked."""
    base, sep, query = path.partition("?")
    return f"{base}{sep}{scrub_query(query)}" if sep else path


class AccessLogScrubber(logging.Filter):
    """Masks the query of uvicorn's access-log lines, which print the full request target: a
    magic link's ``?token=`` would otherwise sit in the server's output in plain form."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        # uvicorn.access logs (client, method, target, http version, status).
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], scrub_path(args[2]), *args[3:])
        return True


def install_access_log_scrubber() -> None:
    """Attach :class:`AccessLogScrubber` to uvicorn's access logger once per process."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, AccessLogScrubber) for f in access.filters):
        access.addFilter(AccessLogScrubber())


def scrub_data(value: Any, depth: int = 0) -> Any:
    """A copy of JSON-able data with secret-looking keys masked (nested, bounded depth)."""
    if depth > 8:
        return MASK
    if isinstance(value, dict):
        return {
            str(k): MASK if SECRET_KEY.search(str(k)) else scrub_data(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [scrub_data(v, depth + 1) for v in value]
    if isinstance(value, str):
        return scrub_text(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    return scrub_text(str(value))
