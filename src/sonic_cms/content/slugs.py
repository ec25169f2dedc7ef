"""Slugs: unicode-aware, lower case, hyphen separated, unique within a collection.

SonicJS drops non-ASCII letters (``Ünïcode`` -> ``ncode``); sonic-cms keeps letters of every
script and folds accents only by NFKC normalization, so ``Crème brûlée`` -> ``crème-brûlée`` and
``東京 タワー`` -> ``東京-タワー``.
"""

from __future__ import annotations

import re
import unicodedata

MAX_SLUG_LENGTH = 200
_NON_WORD = re.compile(r"[^\w]+")
_UNDERSCORES = re.compile(r"_+")
#: Letters, digits and underscores of any script in hyphen-separated words: every slug a SonicJS
#: install can hold (``my_post`` included), so moved-in URLs keep working. :func:`slugify` itself
#: never makes underscores.
VALID_SLUG = re.compile(r"^\w+(?:-\w+)*\Z")


def slugify(text: str, max_length: int = MAX_SLUG_LENGTH) -> str:
    """A slug for ``text``; empty when the text has no letters or digits at all."""
    normalized = unicodedata.normalize("NFKC", text).casefold()
    words = _NON_WORD.sub("-", _UNDERSCORES.sub("-", normalized)).strip("-")
    slug = re.sub(r"-{2,}", "-", words)[:max_length].strip("-")
    return slug


def is_valid_slug(slug: str) -> bool:
    """Whether ``slug`` is already in the shape :func:`slugify` produces."""
    return len(slug) <= MAX_SLUG_LENGTH and VALID_SLUG.match(slug) is not None


def numbered(slug: str, number: int) -> str:
    """``slug`` with a numeric suffix that keeps the result within the length limit."""
    suffix = f"-{number}"
    return slug[: MAX_SLUG_LENGTH - len(suffix)].rstrip("-") + suffix
