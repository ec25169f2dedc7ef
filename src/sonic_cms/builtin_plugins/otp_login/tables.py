"""The otp_codes table in SonicJS's shape (its migration 026_add_otp_login.sql), in the
plugin's own MetaData: created and dropped by the plugin's revision set, never by core's.

``code`` holds a keyed digest of the code, never the code (see ``service``).
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, MetaData, Table, Text, text

from sonic_cms.db.types import EpochMs

otp_metadata = MetaData()

otp_codes = Table(
    "otp_codes",
    otp_metadata,
    Column("id", Text, primary_key=True),
    Column("user_email", Text, nullable=False),
    Column("code", Text, nullable=False),
    Column("expires_at", EpochMs, nullable=False),
    Column("used", Integer, server_default=text("0")),
    Column("used_at", EpochMs),
    Column("ip_address", Text),
    Column("user_agent", Text),
    Column("attempts", Integer, server_default=text("0")),
    Column("created_at", EpochMs, nullable=False),
    Index("idx_otp_email_code", "user_email", "code"),
    Index("idx_otp_expires", "expires_at"),
    Index("idx_otp_used", "used"),
)
