"""Locale tags (BCP 47): the one check and canonical spelling, and the fallback chain.

A tag is checked twice: first a strict shape (ASCII letters, digits and hyphens, at most
:data:`MAX_TAG_LENGTH` characters), since ``langcodes`` also accepts ``fr_CA`` and we want one
spelling on the wire and in the database; then ``langcodes`` for well-formedness, which also
gives the canonical case (``fr-CA``, ``zh-Hant-TW``). Nothing here reads settings, so
``config`` can use it to check ``SONIC_LOCALES`` at start.
"""

from __future__ import annotations

import re

import langcodes

#: RFC 5646 section 4.4.1: implementations should hold tags of at least 35 characters.
MAX_TAG_LENGTH = 35
_SHAPE = re.compile(r"[A-Za-z0-9]{1,8}(-[A-Za-z0-9]{1,8})*")


class LocaleTagError(ValueError):
    """A string that is not a well-formed BCP 47 tag."""


def canonical_tag(raw: str) -> str:
    """``raw`` in its canonical spelling (``fr-ca`` -> ``fr-CA``).

    Raises:
        LocaleTagError: not a well-formed tag (``fr_CA``, ``../x``, non-ASCII, too long).
    """
    if len(raw) > MAX_TAG_LENGTH or not _SHAPE.fullmatch(raw):
        raise LocaleTagError(
            f"{raw[:40]!r} is not a BCP 47 tag (letters, digits and hyphens, like fr-CA)"
        )
    try:
        if not langcodes.tag_is_valid(raw):
            raise LocaleTagError(f"{raw!r} is not a well-formed BCP 47 tag")
        return str(langcodes.standardize_tag(raw))
    except ValueError as exc:  # langcodes' own parse errors
        raise LocaleTagError(f"{raw!r} is not a well-formed BCP 47 tag") from exc


def parent_tags(tag: str) -> list[str]:
    """The tag and each shorter prefix of it, longest first: ``fr-CA`` -> ``fr-CA``, ``fr``."""
    parts = tag.split("-")
    return ["-".join(parts[:n]) for n in range(len(parts), 0, -1)]


def fallback_chain(
    asked: str, default: str, enabled: tuple[str, ...], extra: dict[str, str]
) -> tuple[str, ...]:
    """The locales a read in ``asked`` tries, in order, each enabled and named once.

    ``asked``, its prefixes (``fr-CA`` -> ``fr``), then ``extra``'s fallback of each step
    (``SONIC_LOCALE_FALLBACKS``, e.g. ``pt-BR`` -> ``pt-PT``), then the default locale.
    """
    chain: list[str] = []
    pending, seen = [asked], set()
    while pending:
        tag = pending.pop(0)
        for candidate in parent_tags(tag):
            if candidate in seen:
                continue
            seen.add(candidate)
            if candidate in enabled:
                chain.append(candidate)
            if candidate in extra:
                pending.append(extra[candidate])
    if default not in chain:
        chain.append(default)
    return tuple(chain)
