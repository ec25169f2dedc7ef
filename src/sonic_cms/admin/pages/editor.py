"""``/admin/content/new`` and ``/admin/content/{id}/edit``: the editor generated from the schema."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
