"""Core tables: users, collections, content, content_versions, media.

Where sonic-cms departs from the seed, docs/schema.md says so; here: a slug is unique within
its collection and locale in the database, not only in code (``content`` rows of the default
locale keep the seed's UNIQUE(collection_id, slug) as a partial index; revision 0015 and
docs/localisation.md say why), and ``content`` has ``locale`` and ``translation_group_id``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Index, Integer, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from sonic_cms.db.schema.base import Base, int_flag, pk, references
from sonic_cms.db.types import EpochMs, Int64, JSONText


def _partial_unique(name: str, where: str, *columns: str) -> Index:
    """A unique index over the rows ``where`` holds for, on both engines (revision 0015)."""
    condition = text(where)
    return Index(name, *columns, unique=True, sqlite_where=condition, postgresql_where=condition)


class User(Base):
    """A person who signs in; ``role`` is admin, editor, author or viewer."""

    __tablename__ = "users"

    id: Mapped[str] = pk()
    email: Mapped[str] = mapped_column(Text, unique=True)
    username: Mapped[str] = mapped_column(Text, unique=True)
    first_name: Mapped[str] = mapped_column(Text)
    last_name: Mapped[str] = mapped_column(Text)
    password_hash: Mapped[str | None] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text, server_default=text("'viewer'"))
    avatar: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = int_flag(True)
    last_login_at: Mapped[int | None] = mapped_column(EpochMs)
    created_at: Mapped[int] = mapped_column(EpochMs)
    updated_at: Mapped[int] = mapped_column(EpochMs)
    # Extended profile fields (SonicJS migration 004)
    phone: Mapped[str | None] = mapped_column(Text)
    bio: Mapped[str | None] = mapped_column(Text)
    avatar_url: Mapped[str | None] = mapped_column(Text)
    timezone: Mapped[str | None] = mapped_column(Text, server_default=text("'UTC'"))
    language: Mapped[str | None] = mapped_column(Text, server_default=text("'en'"))
    email_notifications: Mapped[bool | None] = int_flag(True)
    theme: Mapped[str | None] = mapped_column(Text, server_default=text("'dark'"))
    two_factor_enabled: Mapped[bool | None] = int_flag(False)
    two_factor_secret: Mapped[str | None] = mapped_column(Text)
    password_reset_token: Mapped[str | None] = mapped_column(Text)
    password_reset_expires: Mapped[int | None] = mapped_column(EpochMs)
    email_verified: Mapped[bool | None] = int_flag(False)
    email_verification_token: Mapped[str | None] = mapped_column(Text)
    invitation_token: Mapped[str | None] = mapped_column(Text)
    invited_by: Mapped[str | None] = references("users.id")
    invited_at: Mapped[int | None] = mapped_column(EpochMs)
    accepted_invitation_at: Mapped[int | None] = mapped_column(EpochMs)

    __table_args__ = (
        Index("idx_users_email", "email"),
        Index("idx_users_username", "username"),
        Index("idx_users_role", "role"),
        Index("idx_users_email_verification_token", "email_verification_token"),
        Index("idx_users_password_reset_token", "password_reset_token"),
        Index("idx_users_invitation_token", "invitation_token"),
        Index(
            "idx_active_users",
            "email",
            sqlite_where=text("is_active = 1"),
            postgresql_where=text("is_active = 1"),
        ),
    )


class Collection(Base):
    """A content type: a name and the SonicJS field schema its items' ``data`` follows."""

    __tablename__ = "collections"

    id: Mapped[str] = pk()
    name: Mapped[str] = mapped_column(Text, unique=True)
    display_name: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    schema: Mapped[Any] = mapped_column(JSONText())
    is_active: Mapped[bool] = int_flag(True)
    managed: Mapped[bool] = int_flag(False)
    created_at: Mapped[int] = mapped_column(EpochMs)
    updated_at: Mapped[int] = mapped_column(EpochMs)

    __table_args__ = (
        Index("idx_collections_name", "name"),
        Index("idx_collections_active", "is_active"),
        Index("idx_collections_managed", "managed"),
        Index("idx_collections_managed_active", "managed", "is_active"),
    )


class Media(Base):
    """A file in object storage (the seed's R2) and its metadata."""

    __tablename__ = "media"

    id: Mapped[str] = pk()
    filename: Mapped[str] = mapped_column(Text)
    original_name: Mapped[str] = mapped_column(Text)
    mime_type: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Int64)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    folder: Mapped[str] = mapped_column(Text, server_default=text("'uploads'"))
    r2_key: Mapped[str] = mapped_column(Text)
    public_url: Mapped[str] = mapped_column(Text)
    thumbnail_url: Mapped[str | None] = mapped_column(Text)
    alt: Mapped[str | None] = mapped_column(Text)
    caption: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[Any | None] = mapped_column(JSONText())
    uploaded_by: Mapped[str] = references("users.id")
    uploaded_at: Mapped[int] = mapped_column(EpochMs)
    updated_at: Mapped[int | None] = mapped_column(EpochMs)
    published_at: Mapped[int | None] = mapped_column(EpochMs)
    scheduled_at: Mapped[int | None] = mapped_column(EpochMs)
    archived_at: Mapped[int | None] = mapped_column(EpochMs)
    deleted_at: Mapped[int | None] = mapped_column(EpochMs)

    __table_args__ = (
        Index("idx_media_folder", "folder"),
        Index("idx_media_type", "mime_type"),
        Index("idx_media_uploaded_by", "uploaded_by"),
        Index("idx_media_uploaded_at", "uploaded_at"),
        Index("idx_media_deleted", "deleted_at"),
        Index("idx_media_folder_type", "folder", "mime_type"),
    )


class Content(Base):
    """An item of a collection, with scheduling, review, SEO and workflow columns."""

    __tablename__ = "content"

    id: Mapped[str] = pk()
    collection_id: Mapped[str] = references("collections.id")
    slug: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    data: Mapped[Any] = mapped_column(JSONText())
    status: Mapped[str] = mapped_column(Text, server_default=text("'draft'"))
    published_at: Mapped[int | None] = mapped_column(EpochMs)
    author_id: Mapped[str] = references("users.id")
    created_at: Mapped[int] = mapped_column(EpochMs)
    updated_at: Mapped[int] = mapped_column(EpochMs)
    # Scheduling (SonicJS migration 003)
    scheduled_publish_at: Mapped[int | None] = mapped_column(EpochMs)
    scheduled_unpublish_at: Mapped[int | None] = mapped_column(EpochMs)
    # Review workflow (003)
    review_status: Mapped[str | None] = mapped_column(Text, server_default=text("'none'"))
    reviewer_id: Mapped[str | None] = references("users.id")
    reviewed_at: Mapped[int | None] = mapped_column(EpochMs)
    review_notes: Mapped[str | None] = mapped_column(Text)
    # SEO and metadata (003)
    meta_title: Mapped[str | None] = mapped_column(Text)
    meta_description: Mapped[str | None] = mapped_column(Text)
    featured_image_id: Mapped[str | None] = references("media.id")
    content_type: Mapped[str | None] = mapped_column(Text, server_default=text("'standard'"))
    # Workflow state (005)
    workflow_state_id: Mapped[str | None] = mapped_column(Text, server_default=text("'draft'"))
    embargo_until: Mapped[int | None] = mapped_column(EpochMs)
    expires_at: Mapped[int | None] = mapped_column(EpochMs)
    version_number: Mapped[int | None] = mapped_column(Integer, server_default=text("1"))
    is_auto_saved: Mapped[bool | None] = int_flag(False)
    # Localised content (0015): NULL locale is the default locale; a translation names its
    # locale and the id of its group's default-locale row.
    locale: Mapped[str | None] = mapped_column(Text)
    translation_group_id: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        _partial_unique("uq_content_default_slug", "locale IS NULL", "collection_id", "slug"),
        _partial_unique(
            "uq_content_locale_slug", "locale IS NOT NULL", "collection_id", "locale", "slug"
        ),
        _partial_unique(
            "uq_content_group_locale",
            "translation_group_id IS NOT NULL",
            "translation_group_id",
            "locale",
        ),
        Index("idx_content_collection", "collection_id"),
        Index("idx_content_author", "author_id"),
        Index("idx_content_status", "status"),
        Index("idx_content_published", "published_at"),
        Index("idx_content_slug", "slug"),
        Index("idx_content_scheduled_publish", "scheduled_publish_at"),
        Index("idx_content_scheduled_unpublish", "scheduled_unpublish_at"),
        Index("idx_content_review_status", "review_status"),
        Index("idx_content_reviewer", "reviewer_id"),
        Index("idx_content_content_type", "content_type"),
        Index("idx_content_workflow_state", "workflow_state_id"),
        # The seed's "Indexing Strategy": composite, covering and partial indexes.
        Index("idx_content_collection_status", "collection_id", "status"),
        Index("idx_content_published_covering", "status", "published_at", "title", "slug"),
        # Keyset paging of lists (revision 0002).
        Index("idx_content_status_created", "status", "created_at", "id"),
        Index(
            "idx_content_collection_status_created", "collection_id", "status", "created_at", "id"
        ),
        # Lists by last change: the dashboard's recent activity, sort=-updated_at (0010).
        Index("idx_content_updated", "updated_at", "id"),
    )


# Indexes with a DESC key are declared on the columns themselves, so that reflection can
# compare them with the database (a text "published_at DESC" reads as an opaque expression).
Index("idx_content_author_status", Content.author_id, Content.status, Content.published_at.desc())
# Time windows (revision 0006): only rows that have one, for the next visibility change.
Index(
    "idx_content_embargo_pending",
    Content.embargo_until,
    sqlite_where=text("embargo_until IS NOT NULL"),
    postgresql_where=text("embargo_until IS NOT NULL"),
)
Index(
    "idx_content_expiry_pending",
    Content.expires_at,
    sqlite_where=text("expires_at IS NOT NULL"),
    postgresql_where=text("expires_at IS NOT NULL"),
)
Index(
    "idx_published_content",
    Content.published_at.desc(),
    sqlite_where=text("status = 'published'"),
    postgresql_where=text("status = 'published'"),
)


class ContentVersion(Base):
    """A snapshot of an item's data at one version, for history, diff and rollback."""

    __tablename__ = "content_versions"

    id: Mapped[str] = pk()
    content_id: Mapped[str] = references("content.id")
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[Any] = mapped_column(JSONText())
    author_id: Mapped[str] = references("users.id")
    created_at: Mapped[int] = mapped_column(EpochMs)

    __table_args__ = (
        UniqueConstraint("content_id", "version"),
        Index("idx_content_versions_content", "content_id"),
        Index("idx_content_versions_version", "version"),
    )
