"""Small factories for media tests: real image bytes, uploads, and what is stored."""

from __future__ import annotations

import io
import uuid
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from sonic_cms.clock import Clock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Media
from sonic_cms.services.access_tokens import issue_access_token
from sonic_cms.services.actors import SYSTEM
from sonic_cms.services.users import create_user
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


def headers_for(db: Database, settings: Settings, clock: Clock, role: str) -> dict[str, str]:
    """Authorization headers of a new user with ``role``, created without a password.

    Same user row and real access token as tests.utils.auth.bearer_headers, minus the argon2
    hash, which media tests do not need and which costs a fraction of a second per user.
    """
    suffix = uuid.uuid4().hex[:10]
    user = create_user(
        db, SYSTEM, clock, email=f"{role}-{suffix}@example.com", username=f"{role}_{suffix}",
        password=None, role=role, first_name=role.title(), last_name=suffix,
    )  # fmt: skip
    token = issue_access_token(settings, clock, user_id=user.id, role=user.role)
    return {"Authorization": f"Bearer {token}"}
