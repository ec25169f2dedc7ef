"""The FAQ plugin's table. Its own MetaData: core's drift test and core migrations never see it;
the plugin's revision set (migrations/) creates and drops it."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, MetaData, Table, Text, text

from sonic_cms.db.types import EpochMs, JSONText

faq_metadata = MetaData()

faqs = Table(
    "faqs",
    faq_metadata,
    Column("id", Text, primary_key=True),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("category", Text),
    Column("tags", JSONText()),
    Column("is_published", Boolean, nullable=False, server_default=text("TRUE")),
    Column("sort_order", Integer, nullable=False, server_default=text("0")),
    Column("created_at", EpochMs, nullable=False),
    Column("updated_at", EpochMs, nullable=False),
    Index("idx_faqs_category", "category"),
    Index("idx_faqs_published_order", "is_published", "sort_order"),
)
