"""Small factories for media tests: real image bytes, uploads, and what is stored."""

from __future__ import annotations

import io
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Media
from sonic_cms.storage import Storage


def image_bytes(width: int = 64, height: int = 48, fmt: str = "PNG", mode: str = "RGB") -> bytes:
    """A real image in ``fmt``."""
    out = io.BytesIO()
    color: Any = 1 if mode == "1" else (200, 30, 30)
    Image.new(mode, (width, height), color).save(out, format=fmt)
    return out.getvalue()


def upload(
    client: TestClient,
    headers: dict[str, str],
    name: str,
    data: bytes,
    content_type: str = "application/octet-stream",
    **fields: str,
) -> Any:
    """POST /api/media/upload with one file."""
    return client.post(
        "/api/media/upload",
        headers=headers,
        files={"file": (name, data, content_type)},
        data=fields,
    )


def media_count(db: Database) -> int:
    """Rows in the media table, deleted or not."""
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(Media)).scalar_one())


def stored_keys(storage: Storage) -> list[str]:
    """Every object in the store, sorted."""
    return sorted(storage.iter_keys())
