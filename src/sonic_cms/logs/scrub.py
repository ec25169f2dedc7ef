"""Secrets never reach a log record: headers, query parameters and data keys are masked."""

from __future__ import annotations

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
