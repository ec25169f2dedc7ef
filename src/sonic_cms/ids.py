"""Identifiers for new rows: random UUIDs, as SonicJS's crypto.randomUUID()."""

from __future__ import annotations

import os


def new_id() -> str:
    """A random UUID (version 4) as text, the primary key of every row sonic-cms creates.

    Formatted directly from 16 random bytes: ``str(uuid.uuid4())`` builds a UUID object and an
    int first, a quarter of the Python cost of a bulk-imported item (two ids each).
    """
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
