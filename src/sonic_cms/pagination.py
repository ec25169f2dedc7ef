"""The page block of page-numbered lists (``meta.pagination``), the seed's fields, built once."""

from __future__ import annotations

from typing import Any


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
