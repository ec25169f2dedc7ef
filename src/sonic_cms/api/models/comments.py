"""OpenAPI models of the comment routes (``/api/content/{id}/comments``, ``/api/comments``,
``/admin/api/comments``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from sonic_cms.api.models.common import CountMeta, PagedMeta


class CommentAuthor(BaseModel):
    """The author's id and public name (never their email)."""

    id: str
    name: str


class CommentItemRef(BaseModel):
    """In the moderation queue: the item a comment is about."""

    id: str
    title: str
    collection: str


class Comment(BaseModel):
    """A comment. ``body`` is plain text exactly as written (render it escaped)."""

    id: str
    content_id: str
    parent_id: str | None
    user_id: str
    body: str
    status: str = Field(description="pending, approved, spam or deleted")
    created_at: int
    updated_at: int
    author: CommentAuthor


class CommentNode(BaseModel):
    """A comment in a thread, with its replies. A placeholder for a comment the reader may
    not see (pending by someone else, spam, deleted) that has visible replies has ``status``
    ``removed`` and ``body`` and ``author`` null."""

    id: str
    content_id: str | None = None
    parent_id: str | None
    user_id: str | None = None
    body: str | None
    status: str
    created_at: int | None = None
    updated_at: int | None = None
    author: CommentAuthor | None
    replies: list[CommentNode]


class ThreadMeta(CountMeta):
    """``count``: comments shown; ``approved``: the item's approved comments."""

    approved: int


class CommentThread(BaseModel):
    """An item's comments as a tree, oldest first at every level."""

    data: list[CommentNode]
    meta: ThreadMeta


class CommentEnvelope(BaseModel):
    """One comment."""

    data: Comment


class QueuedComment(Comment):
    """A comment in the moderation queue, with its item."""

    item: CommentItemRef


class CommentQueue(BaseModel):
    """A page of the moderation queue."""

    data: list[QueuedComment]
    meta: PagedMeta


class ModerationMeta(CountMeta):
    """``changed``: how many comments were not already in the wanted status."""

    changed: int


class ModerationResult(BaseModel):
    """The comments named, as they are after the moderation."""

    data: list[Comment]
    meta: ModerationMeta
