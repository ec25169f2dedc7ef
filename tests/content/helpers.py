"""Shared setup for content tests: collections from the shipped examples, counted rows, and a
service context for helpers that are handed a database rather than the ``ctx`` fixture."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from sonic_cms.actors import SYSTEM, Actor
from sonic_cms.clock import Clock
from sonic_cms.content.collection_sync import sync_collections
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Collection, Content, ContentVersion
from sonic_cms.plugins.hooks import HookBus
from sonic_cms.storage import build_storage

EXAMPLES = Path(__file__).resolve().parents[2] / "collections"

PRODUCT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "required": True, "maxLength": 200},
        "price": {"type": "number", "min": 0},
        "category": {"type": "select", "enum": ["tools", "toys", "books"]},
        "tags": {"type": "multiselect", "enum": ["new", "sale", "eco"]},
        "body": {"type": "markdown"},
        "inStock": {"type": "boolean"},
    },
    "required": ["title"],
}


def context_on(
    db: Database, clock: Clock, actor: Actor = SYSTEM, hooks: HookBus | None = None
) -> Context:
    """A service context on ``db`` acting for ``actor`` (the system by default), firing
    ``hooks`` (none unless given); its storage is the settings' own, which content never uses."""
    return Context(
        db=db,
        clock=clock,
        settings=db.settings,
        storage=build_storage(db.settings, clock),
        hooks=hooks or HookBus(),
        actor=actor,
    )


def sync_examples(db: Database, clock: Clock) -> None:
    """Create blog-posts, pages and faq."""
    results = sync_collections(context_on(db, clock), EXAMPLES)
    assert [r.status for r in results] == ["created"] * 3


def counts(db: Database) -> tuple[int, int, int]:
    """Rows in collections, content and content_versions."""
    with db.read() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (Collection, Content, ContentVersion)
        )
