"""Shared setup for content tests: collections from the shipped examples, counted rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from sonic_cms.actors import SYSTEM
from sonic_cms.clock import Clock
from sonic_cms.content.collection_sync import sync_collections
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Collection, Content, ContentVersion

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


def sync_examples(db: Database, clock: Clock) -> None:
    """Create blog-posts, pages and faq."""
    results = sync_collections(db, SYSTEM, clock, EXAMPLES)
    assert [r.status for r in results] == ["created"] * 3


def counts(db: Database) -> tuple[int, int, int]:
    """Rows in collections, content and content_versions."""
    with db.read() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (Collection, Content, ContentVersion)
        )
