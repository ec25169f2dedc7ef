"""List envelopes, built once: the page block of page-numbered lists (``meta.pagination``, the
seed's fields) and the envelope with SonicJS's ``meta.timestamp``."""

from __future__ import annotations

from typing import Any

from sonic_cms.clock import iso_utc


def page_block(page: int, limit: int, total: int) -> dict[str, Any]:
    """``{page, limit, total, pages, hasNext, hasPrev}`` for page ``page`` of ``total`` rows;
    ``pages`` is 0 for an empty list."""
    pages = -(-total // limit)
    return {
        "page": page,
        "limit": limit,
        "total": total,
        "pages": pages,
        "hasNext": page < pages,
        "hasPrev": page > 1,
    }


def list_envelope(items: list[Any], now_ms: int, **meta: Any) -> dict[str, Any]:
    """Every list's envelope: ``{"data": items, "meta": {**meta, "timestamp": ...}}``.

    ``meta.timestamp`` is SonicJS's: when the list was read, ISO 8601 in UTC with milliseconds
    (a cached list keeps the time it was read, as SonicJS's cached lists do). The other keys
    (``count``, ``pagination``, ``next_cursor``, ...) are the caller's.
    """
    return {"data": items, "meta": {**meta, "timestamp": iso_utc(now_ms)}}


def complete_list(items: list[Any], now_ms: int) -> dict[str, Any]:
    """The envelope of a list that holds every item at once: ``meta.count`` and the time."""
    return list_envelope(items, now_ms, count=len(items))
