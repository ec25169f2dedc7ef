"""FAQ reads and writes; writers need the plugin's ``faq.manage`` permission."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, field_validator
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy import delete, func, insert, select, update

from sonic_cms.actors import Actor
from sonic_cms.builtin_plugins.faq.tables import faqs
from sonic_cms.context import Context
from sonic_cms.errors import NotFound
from sonic_cms.ids import new_id
from sonic_cms.inputs.bodies import KnownFields
from sonic_cms.pagination import list_envelope, page_block

MANAGE = "faq.manage"


class FaqIn(KnownFields):
    """A new FAQ entry (unknown fields: 422 naming them, the API's one rule)."""

    model_config = KnownFields.model_config | ConfigDict(str_strip_whitespace=True)

    question: str = Field(min_length=1, max_length=500)
    answer: str = Field(min_length=1, max_length=10_000)
    category: str | None = Field(None, max_length=100)
    tags: list[str] = Field(default_factory=list, max_length=20)
    is_published: bool = True
    sort_order: int = Field(0, ge=-1_000_000, le=1_000_000)


class FaqPatch(KnownFields):
    """Changes to an FAQ entry; absent fields stay as they are. Only ``category`` may be set
    to null (cleared): the other columns are NOT NULL, so a null there is a 422, not a 500."""

    model_config = KnownFields.model_config | ConfigDict(str_strip_whitespace=True)

    question: str | SkipJsonSchema[None] = Field(None, min_length=1, max_length=500)
    answer: str | SkipJsonSchema[None] = Field(None, min_length=1, max_length=10_000)
    category: str | None = Field(None, max_length=100)
    tags: list[str] | SkipJsonSchema[None] = Field(None, max_length=20)
    is_published: bool | SkipJsonSchema[None] = None
    sort_order: int | SkipJsonSchema[None] = Field(None, ge=-1_000_000, le=1_000_000)

    @field_validator("question", "answer", "tags", "is_published", "sort_order", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        """Runs only on sent fields (defaults are not validated), so absent stays allowed."""
        if value is None:
            raise ValueError("may not be null: leave the field out to keep its value")
        return value


def _visible(actor: Actor) -> Any:
    return None if actor.can(MANAGE) else faqs.c.is_published.is_(True)


def list_faqs(ctx: Context, page: int, limit: int, category: str | None) -> dict[str, Any]:
    """A page of entries, ordered by sort_order; unpublished ones only for managers."""
    conditions = [c for c in (_visible(ctx.actor),) if c is not None]
    if category is not None:
        conditions.append(faqs.c.category == category)
    with ctx.db.read() as conn:
        total = conn.execute(select(func.count()).select_from(faqs).where(*conditions)).scalar_one()
        rows = conn.execute(
            select(faqs)
            .where(*conditions)
            .order_by(faqs.c.sort_order, faqs.c.created_at, faqs.c.id)
            .limit(limit)
            .offset((page - 1) * limit)
        ).mappings()
        data = [dict(row) for row in rows]
    return list_envelope(data, ctx.clock.now_ms(), pagination=page_block(page, limit, total))


def get_faq(ctx: Context, faq_id: str) -> dict[str, Any]:
    """One entry (404 when missing or unpublished for a non-manager)."""
    conditions = [faqs.c.id == faq_id]
    if (visible := _visible(ctx.actor)) is not None:
        conditions.append(visible)
    with ctx.db.read() as conn:
        row = conn.execute(select(faqs).where(*conditions)).mappings().first()
    if row is None:
        raise NotFound("FAQ not found", code="faq_not_found")
    return dict(row)


def create_faq(ctx: Context, data: FaqIn) -> dict[str, Any]:
    """Insert an entry."""
    ctx.actor.require(MANAGE)
    now = ctx.clock.now_ms()
    values = {**data.model_dump(), "id": new_id(), "created_at": now, "updated_at": now}
    with ctx.db.write() as conn:
        conn.execute(insert(faqs).values(**values))
    return values


def update_faq(ctx: Context, faq_id: str, patch: FaqPatch) -> dict[str, Any]:
    """Apply ``patch`` to an entry."""
    ctx.actor.require(MANAGE)
    changes = patch.model_dump(exclude_unset=True)
    with ctx.db.write() as conn:
        done = conn.execute(
            update(faqs).where(faqs.c.id == faq_id).values(**changes, updated_at=ctx.clock.now_ms())
        )
        if done.rowcount == 0:
            raise NotFound("FAQ not found", code="faq_not_found")
        return dict(conn.execute(select(faqs).where(faqs.c.id == faq_id)).mappings().one())


def delete_faq(ctx: Context, faq_id: str) -> None:
    """Delete an entry."""
    ctx.actor.require(MANAGE)
    with ctx.db.write() as conn:
        if conn.execute(delete(faqs).where(faqs.c.id == faq_id)).rowcount == 0:
            raise NotFound("FAQ not found", code="faq_not_found")
