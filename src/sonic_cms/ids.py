"""Identifiers for new rows: random UUIDs, as SonicJS's crypto.randomUUID()."""

from __future__ import annotations

import uuid


def new_id() -> str:
    """A random UUID4 as text, the primary key of every row sonic-cms creates."""
    return str(uuid.uuid4())
