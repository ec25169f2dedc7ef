"""``/admin/content``: the content list (search, filters, sorting, paging, bulk actions)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
