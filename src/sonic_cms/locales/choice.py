"""The locale a request asks for: checked against the enabled locales, and its fallback chain.

One place turns a client's ``locale`` into a tag the database holds, so every route answers a
malformed tag and a tag that is not enabled the same way: 400 with the enabled list.
"""

from __future__ import annotations

from sonic_cms.config import Settings
from sonic_cms.errors import BadRequest
from sonic_cms.locale_tags import LocaleTagError, canonical_tag, fallback_chain


def enabled_locale(settings: Settings, raw: object, path: str = "locale") -> str:
    """``raw`` as the canonical tag of an enabled locale.

    Raises:
        BadRequest: not a string, not a well-formed BCP 47 tag, or not enabled (``details``
            name the enabled locales).
    """
    enabled = settings.enabled_locales
    hint = f"enabled locales: {', '.join(enabled)}"
    if not isinstance(raw, str):
        raise _bad(path, f"must be a BCP 47 tag; {hint}", "invalid_locale", enabled)
    try:
        tag = canonical_tag(raw)
    except LocaleTagError as exc:
        raise _bad(path, f"{exc}; {hint}", "invalid_locale", enabled) from None
    if tag not in enabled:
        raise _bad(path, f"{tag!r} is not enabled; {hint}", "locale_not_enabled", enabled)
    return tag


def _bad(path: str, message: str, code: str, enabled: tuple[str, ...]) -> BadRequest:
    return BadRequest(
        message,
        code=code,
        details=[{"path": path, "message": message, "enabled": list(enabled)}],
    )


def read_chain(settings: Settings, tag: str) -> tuple[str, ...]:
    """The locales a read in ``tag`` tries, in order (the default locale last)."""
    return fallback_chain(
        tag, settings.default_locale, settings.enabled_locales, settings.fallback_steps
    )


def stored_locale(settings: Settings, tag: str) -> str | None:
    """What ``content.locale`` holds for ``tag``: NULL for the default locale."""
    return None if tag == settings.default_locale else tag
