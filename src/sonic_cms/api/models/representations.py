"""The representations: one OpenAPI component per resource, used by every route that returns
that resource (docs/api.md, "Representations"; tests/api/test_representations.py checks each
route's body has exactly these fields). Each is built by one serializer, named in its docstring.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Author(BaseModel):
    """``include=author``: ``email`` only for signed-in callers."""

    id: str
    name: str
    email: str | None = None


class CollectionRef(BaseModel):
    """``include=collection``."""

    id: str
    name: str
    display_name: str


class MediaFile(BaseModel):
    """A media file, as every route that returns one shows it (the media routes and content's
    ``include=featured_image``; ``db.records.media_file``): SonicJS's names where its upload
    answer has the field, the seed's column names for the rest, moments in epoch ms."""

    id: str
    filename: str
    originalName: str  # noqa: N815 - SonicJS's field names
    mimeType: str  # noqa: N815
    size: int
    width: int | None
    height: int | None
    folder: str
    r2_key: str
    publicUrl: str  # noqa: N815
    thumbnailUrl: str | None  # noqa: N815
    alt: str | None
    caption: str | None
    tags: list[str]
    uploaded_by: str
    uploadedAt: int = Field(description="Epoch ms")  # noqa: N815
    updated_at: int | None
    deleted_at: int | None = Field(description="Set while the file is in the trash")
    isImage: bool  # noqa: N815
    isVideo: bool  # noqa: N815
    isDocument: bool  # noqa: N815


class CommentCounts(BaseModel):
    """``comments`` of a read item: how many of its comments are approved."""

    approved: int


class ContentItem(BaseModel):
    """A content item, as every route that returns one shows it (reads, lists, creates,
    updates, publish, rollback, restore): SonicJS's fields plus sonic-cms's
    (``content.rows.serialize_item``).

    ``data`` holds the collection's fields (its shape is the collection's schema).
    """

    id: str
    title: str
    slug: str
    status: str = Field(description="draft, published or archived")
    collectionId: str  # noqa: N815 - SonicJS's field name
    data: dict[str, Any]
    created_at: int
    updated_at: int
    author_id: str
    published_at: int | None
    version_number: int | None
    is_auto_saved: bool
    featured_image_id: str | None
    comments: CommentCounts | None = Field(
        None, description="On reads and lists (not on writes): the item's approved comments"
    )
    author: Author | None = Field(None, description="With `include=author`")
    collection: CollectionRef | None = Field(None, description="With `include=collection`")
    featured_image: MediaFile | None = Field(
        None, description="With `include=featured_image`: the media file"
    )
    version: int | None = Field(
        None,
        description="With `as_of` (a read or a restore): the version whose title, slug and "
        "data are shown or were brought back",
    )
    as_of: int | None = Field(
        None, description="With `as_of` (a read or a restore): the moment asked for (epoch ms)"
    )
    locale: str | None = Field(
        None,
        description="With `?locale=` and from the translation routes: the locale of this row "
        "(docs/localisation.md)",
    )
    translationGroupId: str | None = Field(  # noqa: N815 - beside collectionId
        None,
        description="With `?locale=` (an item's read) and from the translation routes: the id "
        "of the group's default-locale row",
    )


class ContentAutosave(BaseModel):
    """A user's autosaved working copy of an item (``workflow.autosaves``): what the editor
    typed so far, kept apart from the item until that user's Save applies it or they discard
    it. Only its own user ever sees it."""

    id: str
    content_id: str
    user_id: str
    title: str | None
    slug: str | None
    data: dict[str, Any]
    base_version: int = Field(description="The item's version the working copy started from")
    item_version: int = Field(description="The item's version now")
    stale: bool = Field(
        description="The item changed since the working copy started (base_version is not "
        "item_version): saving it would overwrite that change"
    )
    created_at: int
    updated_at: int


class User(BaseModel):
    """A user, as every route that returns one shows it (sign-in, ``/auth/me``, registration,
    invitations, user administration): never a password hash, 2FA secret or one-time token
    (``auth.user_admin.public_user``)."""

    id: str
    email: str
    username: str
    firstName: str  # noqa: N815 - SonicJS's field names
    lastName: str  # noqa: N815
    role: str = Field(description="admin, editor, author or viewer")
    avatar: str | None
    is_active: bool
    last_login_at: int | None
    created_at: int
    updated_at: int
    phone: str | None
    bio: str | None
    avatar_url: str | None
    timezone: str | None
    language: str | None
    email_notifications: bool | None
    theme: str | None
    two_factor_enabled: bool | None
    email_verified: bool | None
    invited_by: str | None
    invited_at: int | None
    accepted_invitation_at: int | None


class ApiToken(BaseModel):
    """An API token: never its secret or digest (``auth.api_tokens.public_token``)."""

    id: str
    name: str
    user_id: str
    permissions: list[str]
    expires_at: int | None
    last_used_at: int | None
    created_at: int


class NewApiToken(ApiToken):
    """A created token: ``token`` is the only copy of the secret."""

    token: str = Field(description="Send it as `Authorization: Bearer <token>`")


class Schedule(BaseModel):
    """A scheduled publish, unpublish or archive (``workflow.scheduling.serialize_schedule``)."""

    id: str
    content_id: str
    action: str = Field(description="publish, unpublish or archive")
    scheduled_at: int
    timezone: str | None
    user_id: str
    status: str | None = Field(description="pending, completed, failed or cancelled")
    executed_at: int | None
    error_message: str | None


class WorkflowEntry(BaseModel):
    """One state change of an item (``workflow.transitions.serialize_history``)."""

    id: str
    content_id: str
    workflow_id: str
    from_state: str | None
    to_state: str
    user_id: str
    comment: str | None
    metadata: dict[str, Any]
    created_at: int | None
