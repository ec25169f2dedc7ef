"""The admin's stylesheet is well nested: a block left open by a merge silently moves every
rule after it inside a ``@media`` query (the operations pages were styled for phones only)."""

from __future__ import annotations

import re
from pathlib import Path

import sonic_cms.admin

STATIC = Path(sonic_cms.admin.__file__).parent / "static"


def open_blocks(css: str) -> list[tuple[str, int]]:
    """The blocks still open at the end of ``css``, each with its prelude and line."""
    css = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group().count("\n"), css, flags=re.S)
    css = re.sub(r'"[^"\n]*"|\'[^\'\n]*\'', '""', css)
    stack: list[tuple[str, int]] = []
    line, start = 1, 0
    for index, char in enumerate(css):
        if char == "\n":
            line += 1
        elif char == "{":
            stack.append((css[start:index].strip()[-60:], line))
            start = index + 1
        elif char == "}":
            assert stack, f"a '}}' closes nothing at line {line}"
            stack.pop()
            start = index + 1
        elif char == ";":
            start = index + 1
    return stack


def test_every_block_of_every_stylesheet_is_closed():
    sheets = sorted(STATIC.rglob("*.css"))
    own = [sheet for sheet in sheets if "vendor" not in sheet.parts]
    assert own, "no stylesheet found"
    assert {str(s.relative_to(STATIC)): open_blocks(s.read_text()) for s in own} == {
        str(s.relative_to(STATIC)): [] for s in own
    }


def test_the_check_finds_an_unclosed_media_query():
    assert open_blocks("a { b: c; }\n@media (x) {\n  d { e: f; }\ng { h: i; }") == [
        ("@media (x)", 2)
    ]
