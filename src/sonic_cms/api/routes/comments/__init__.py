"""Comment routes: ``readers`` (an item's thread, posting, the author's edits) and
``moderation`` (the queue, approve / spam / delete). Every rule lives in
:mod:`sonic_cms.comments`; these routes parse and render."""

from __future__ import annotations

from fastapi import APIRouter

from sonic_cms.api.routes.comments import moderation, readers

router = APIRouter()
router.include_router(readers.router)
router.include_router(moderation.router)
