"""The one rule for a comment's body: plain text, not blank, not too long, no control codes.

A body is stored exactly as written (HTML and script included: it is text, never markup) and
returned as written; the admin's templates escape it. Tab, line feed and carriage return are
the only control characters allowed (:mod:`sonic_cms.inputs.text`).
"""

from __future__ import annotations

from typing import Any

from sonic_cms.errors import ValidationFailed
from sonic_cms.inputs.text import CONTROL_MESSAGE, has_control


def checked_body(value: Any, max_chars: int) -> str:
    """``value`` when it is a valid body; 422 ``validation_failed`` with a ``body`` detail."""
    problem = body_problem(value, max_chars)
    if problem is not None:
        raise ValidationFailed(
            f"Invalid body: {problem}", details=[{"path": "body", "message": problem}]
        )
    assert isinstance(value, str)
    return value


def body_problem(value: Any, max_chars: int) -> str | None:
    """What is wrong with ``value`` as a body, or None."""
    if not isinstance(value, str):
        return "must be a string"
    if not value.strip():
        return "must not be empty"
    if len(value) > max_chars:
        return f"must be at most {max_chars} characters (SONIC_COMMENTS_MAX_BODY_CHARS)"
    if has_control(value):
        return CONTROL_MESSAGE
    return None
