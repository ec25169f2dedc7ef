"""The one rule for integers that come from outside: signed 64-bit, then the caller's own bounds.

SQLite's INTEGER and PostgreSQL's BIGINT hold signed 64-bit values; a Python int past that
range makes the driver raise OverflowError (SQLite) or a DataError (PostgreSQL), which used to
surface as a 500. Every integer read from a path, a query string or a JSON body passes through
here (the API's typed parameters in ``api/params.py`` use the same bounds), so a bad number is a
400 (query, path) or a 422 (body) naming the parameter, before any SQL runs.
"""

from __future__ import annotations

import re
from typing import Any

from sonic_cms.errors import BadRequest, ServiceError, ValidationFailed

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
#: The last millisecond of year 9999: moments past it cannot be shown as ISO 8601 dates.
MAX_EPOCH_MS = 253_402_300_799_999
_WHOLE = re.compile(r"-?[0-9]{1,20}")


def clamp_bounds(low: int | None, high: int | None) -> tuple[int, int]:
    """The caller's bounds narrowed to the 64-bit range (None means "no bound of its own")."""
    return max(INT64_MIN, INT64_MIN if low is None else low), min(
        INT64_MAX, INT64_MAX if high is None else high
    )


def _range_text(low: int, high: int) -> str:
    if high == INT64_MAX:
        return f"a whole number of at least {low}"
    if low == INT64_MIN:
        return f"a whole number of at most {high}"
    return f"a whole number from {low} to {high}"


def _problem(name: str, message: str, *, in_body: bool, code: str) -> ServiceError:
    details = [{"path": name, "message": message}]
    if in_body:
        return ValidationFailed("Validation failed", details=details)
    return BadRequest(f"Invalid parameter {name!r}: {message}", code=code, details=details)


def checked_int(
    name: str,
    value: Any,
    low: int | None = None,
    high: int | None = None,
    *,
    in_body: bool = False,
    code: str = "invalid_parameter",
) -> int:
    """``value`` if it is an int (not a bool) within ``low..high`` and 64 bits.

    Raises:
        BadRequest: a query or path parameter is out of range (400, ``in_body`` false).
        ValidationFailed: a body field is out of range (422, ``in_body`` true).
    """
    lo, hi = clamp_bounds(low, high)
    if type(value) is not int or not lo <= value <= hi:
        raise _problem(name, f"must be {_range_text(lo, hi)}", in_body=in_body, code=code)
    return value


def is_whole_number(raw: str) -> bool:
    """Whether ``raw`` is ASCII digits with an optional minus sign (``str.isdigit`` also takes
    "²", which ``int()`` refuses)."""
    return _WHOLE.fullmatch(raw) is not None


def parse_int(
    name: str,
    raw: str,
    low: int | None = None,
    high: int | None = None,
    *,
    code: str = "invalid_parameter",
) -> int:
    """A query-string integer (optional minus sign, digits only) checked by :func:`checked_int`.

    Raises:
        BadRequest: not a whole number, or out of range (400 naming ``name``).
    """
    if not is_whole_number(raw):
        lo, hi = clamp_bounds(low, high)
        raise _problem(name, f"must be {_range_text(lo, hi)}", in_body=False, code=code)
    return checked_int(name, int(raw), low, high, code=code)
