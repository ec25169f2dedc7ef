"""The editor's lookups, answered as htmx fragments: slug suggestion and availability,
references by title, media to pick."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
