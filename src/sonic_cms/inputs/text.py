"""The one rule for control characters in text a client names things with.

Titles, slugs, names, display names, descriptions, alt text, captions, tags, token names and
field names may not hold a C0 control character other than tab, LF and CR, nor DEL: a NUL cuts
strings short in C code, PostgreSQL's ``text`` and ``jsonb`` cannot store it at all, and the
others hide text in logs and terminals. Content ``data`` is free text written by editors, so only
NUL is refused there (at any depth, in keys and values), which is what both engines can store.
"""

from __future__ import annotations

import re
from typing import Any

#: C0 controls except tab (\x09), LF (\x0a) and CR (\x0d), plus DEL.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_MESSAGE = "may not contain control characters (only tab, line feed and carriage return)"
NUL_MESSAGE = "may not contain NUL characters"


def has_control(value: str) -> bool:
    """Whether ``value`` holds a refused control character."""
    return CONTROL_CHARACTERS.search(value) is not None


def control_problems(values: dict[str, Any], *paths: str) -> list[dict[str, str]]:
    """One ``{"path", "message"}`` per named string field of ``values`` holding a control."""
    return [
        {"path": path, "message": CONTROL_MESSAGE}
        for path in paths
        if isinstance(values.get(path), str) and has_control(values[path])
    ]


def check_clean(value: str) -> str:
    """A pydantic ``AfterValidator``: ``value`` unchanged, or ValueError naming the rule."""
    if has_control(value):
        raise ValueError(CONTROL_MESSAGE)
    return value


def nul_paths(value: Any, path: str) -> list[str]:
    """The dotted path of every string (key or value) in ``value`` that holds a NUL."""
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    if isinstance(value, dict):
        found: list[str] = []
        for key, item in value.items():
            child = f"{path}.{key}"
            found += [child] if "\x00" in str(key) else nul_paths(item, child)
        return found
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in nul_paths(item, f"{path}.{i}")]
    return []
