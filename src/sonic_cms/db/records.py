"""Pydantic insert and select models for the core tables: drizzle-zod's counterpart.

Insert models carry the rules the seed's ``createInsertSchema`` adds (email format, non-empty
names, usernames of three characters or more); select models describe a stored row. Secret
columns have no place in a select model: what leaves the server is built from these.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field
from sqlalchemy.engine import RowMapping

ROLES = ("admin", "editor", "author", "viewer")
#: The one pattern a role name is checked against, wherever a role arrives (body, query, import).
ROLE_PATTERN = f"^({'|'.join(ROLES)})$"
CONTENT_STATUSES = ("draft", "published", "archived")


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class UserInsert(_Record):
    """A new user row."""

    id: str
    email: EmailStr
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    password_hash: str | None = None
    role: str = Field("viewer", pattern=ROLE_PATTERN)
    is_active: bool = True
    created_at: int
    updated_at: int


class UserSelect(_Record):
    """A user as others may see it: no password hash, 2FA secret or one-time tokens."""

    model_config = ConfigDict(extra="ignore")

    id: str
    email: str
    username: str
    first_name: str
    last_name: str
    role: str
    avatar: str | None = None
    is_active: bool
    last_login_at: int | None = None
    created_at: int
    updated_at: int
    phone: str | None = None
    bio: str | None = None
    avatar_url: str | None = None
    timezone: str | None = None
    language: str | None = None
    email_notifications: bool | None = None
    theme: str | None = None
    two_factor_enabled: bool | None = None
    email_verified: bool | None = None
    invited_by: str | None = None
    invited_at: int | None = None
    accepted_invitation_at: int | None = None


class CollectionInsert(_Record):
    """A new collection row."""

    id: str
    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)
    display_name: str = Field(min_length=1, max_length=200)
    description: str | None = None
    schema_: dict[str, Any] = Field(alias="schema")
    is_active: bool = True
    managed: bool = False
    created_at: int
    updated_at: int


class CollectionSelect(CollectionInsert):
    """A stored collection."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class ContentInsert(_Record):
    """A new content row."""

    id: str
    collection_id: str
    slug: str = Field(min_length=1, max_length=255)
    title: str = Field(min_length=1, max_length=500)
    data: dict[str, Any]
    status: str = Field("draft", pattern="^(draft|published|archived)$")
    published_at: int | None = None
    author_id: str
    created_at: int
    updated_at: int


class ContentSelect(ContentInsert):
    """A stored content item with its workflow columns."""

    model_config = ConfigDict(extra="ignore")

    scheduled_publish_at: int | None = None
    scheduled_unpublish_at: int | None = None
    review_status: str | None = None
    reviewer_id: str | None = None
    reviewed_at: int | None = None
    review_notes: str | None = None
    meta_title: str | None = None
    meta_description: str | None = None
    featured_image_id: str | None = None
    content_type: str | None = None
    workflow_state_id: str | None = None
    embargo_until: int | None = None
    expires_at: int | None = None
    version_number: int | None = None
    is_auto_saved: bool | None = None


class MediaInsert(_Record):
    """A new media row."""

    id: str
    filename: str = Field(min_length=1, max_length=255)
    original_name: str = Field(min_length=1, max_length=1024)
    mime_type: str = Field(min_length=3, max_length=255)
    size: int = Field(ge=0)
    width: int | None = None
    height: int | None = None
    folder: str = "uploads"
    r2_key: str
    public_url: str
    thumbnail_url: str | None = None
    alt: str | None = None
    caption: str | None = None
    tags: list[str] | None = None
    uploaded_by: str
    uploaded_at: int
    updated_at: int | None = None


class MediaSelect(MediaInsert):
    """A stored media row."""

    model_config = ConfigDict(extra="ignore")

    published_at: int | None = None
    scheduled_at: int | None = None
    archived_at: int | None = None
    deleted_at: int | None = None


def media_kind(mime_type: str) -> str:
    """``images``, ``videos``, ``audio`` or ``documents``: SonicJS's media type groups."""
    for prefix, kind in (("image/", "images"), ("video/", "videos"), ("audio/", "audio")):
        if mime_type.startswith(prefix):
            return kind
    return "documents"


def media_file(row: RowMapping | Mapping[str, Any]) -> dict[str, Any]:
    """A media row as every answer shows it: the one serializer of the media-file
    representation (``MediaFile`` in the OpenAPI document), used by the media routes and by
    content's ``include=featured_image`` alike, so it lives below both domains.

    SonicJS's names where its upload answer has the field (``originalName``, ``mimeType``,
    ``r2_key``, ``publicUrl``, ``thumbnailUrl``, ``uploadedAt``, and its ``isImage``...
    flags), the seed's column names for the rest; every moment in epoch milliseconds.
    """
    mime = str(row["mime_type"])
    return {
        "id": row["id"],
        "filename": row["filename"],
        "originalName": row["original_name"],
        "mimeType": mime,
        "size": row["size"],
        "width": row["width"],
        "height": row["height"],
        "folder": row["folder"],
        "r2_key": row["r2_key"],
        "publicUrl": row["public_url"],
        "thumbnailUrl": row["thumbnail_url"],
        "alt": row["alt"],
        "caption": row["caption"],
        "tags": list(row["tags"] or []),
        "uploaded_by": row["uploaded_by"],
        "uploadedAt": row["uploaded_at"],
        "updated_at": row["updated_at"],
        "deleted_at": row.get("deleted_at"),
        "isImage": mime.startswith("image/"),
        "isVideo": mime.startswith("video/"),
        "isDocument": media_kind(mime) == "documents",
    }
