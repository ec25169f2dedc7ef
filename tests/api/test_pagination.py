"""One page block for every page-numbered list (users, media, logs, FAQ)."""

from __future__ import annotations

import pytest

from sonic_cms.pagination import page_block
from tests.utils.auth import bearer_headers


@pytest.mark.parametrize(
    ("page", "limit", "total", "pages", "has_next", "has_prev"),
    [(1, 20, 0, 0, False, False), (1, 20, 20, 1, False, False), (2, 20, 41, 3, True, True)],
)
def test_page_block(page, limit, total, pages, has_next, has_prev):
    block = page_block(page, limit, total)
    assert block == {
        "page": page,
        "limit": limit,
        "total": total,
        "pages": pages,
        "hasNext": has_next,
        "hasPrev": has_prev,
    }


def test_an_empty_user_list_has_no_pages_like_every_other_list(client, db, settings, clock):
    """Unified: the users list said ``pages: 1`` for no match, media and logs said 0."""
    headers = bearer_headers(db, settings, clock, "admin")
    for url in ("/admin/api/users?search=nobody-matches-this", "/api/media?search=nobody-matches"):
        answer = client.get(url, headers=headers)
        assert answer.status_code == 200, answer.text
        pagination = answer.json()["meta"]["pagination"]
        assert (pagination["total"], pagination["pages"], pagination["hasNext"]) == (0, 0, False)
