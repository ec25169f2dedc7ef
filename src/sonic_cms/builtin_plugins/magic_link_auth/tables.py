"""The magic_links table in SonicJS's shape (its migration 021_add_magic_link_auth_plugin.sql),
in the plugin's own MetaData: created and dropped by the plugin's revision set.

``token`` holds a keyed digest of the token, never the token (see ``service``). SonicJS also
indexes ``token`` separately; its UNIQUE constraint is already that index, so it is not doubled.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, MetaData, Table, Text, text

from sonic_cms.db.types import EpochMs

magic_link_metadata = MetaData()

magic_links = Table(
    "magic_links",
    magic_link_metadata,
    Column("id", Text, primary_key=True),
    Column("user_email", Text, nullable=False),
    Column("token", Text, nullable=False, unique=True),
    Column("expires_at", EpochMs, nullable=False),
    Column("used", Integer, server_default=text("0")),
    Column("used_at", EpochMs),
    Column("ip_address", Text),
    Column("user_agent", Text),
    Column("created_at", EpochMs, nullable=False),
    Index("idx_magic_links_email", "user_email"),
    Index("idx_magic_links_expires", "expires_at"),
)
