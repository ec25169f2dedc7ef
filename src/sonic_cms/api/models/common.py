"""OpenAPI models: the documented shapes of requests and responses.

Routes serialize with orjson straight to bytes (no response_model validation on the hot path);
these models only describe the contract in ``/openapi.json`` and ``/docs``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sonic_cms.api.models.representations import (
    Author,
    CollectionRef,
    CommentCounts,
    ContentAutosave,
    ContentItem,
    MediaFile,
)
from sonic_cms.api.openapi import ErrorBody

__all__ = ["Author", "CollectionRef", "CommentCounts", "ContentItem", "ErrorBody", "MediaFile"]


class Success(BaseModel):
    """``{"success": true}``."""

    success: bool


class Message(BaseModel):
    """``{"message": "..."}``: a write that returns no resource."""

    message: str


class SeedPagination(BaseModel):
    """The seed's pagination block, as the media, users, logs and plugin lists give it."""

    page: int
    limit: int
    total: int
    pages: int
    hasNext: bool  # noqa: N815 - SonicJS's field name
    hasPrev: bool  # noqa: N815


class TimestampMeta(BaseModel):
    """What every list's ``meta`` carries (SonicJS's key)."""

    timestamp: str = Field(
        description="When the list was read: ISO 8601, UTC, milliseconds "
        "(JavaScript's toISOString); a cached list keeps the time it was read"
    )


class PagedMeta(TimestampMeta):
    """``meta`` of a paged list."""

    pagination: SeedPagination


class CountMeta(TimestampMeta):
    """``meta`` of a complete list: how many items it holds."""

    count: int


class ContentListItem(BaseModel):
    """A listed item: the fields of :class:`ContentItem`, only those named by ``fields=``
    when it is given."""

    id: str | None = None
    title: str | None = None
    slug: str | None = None
    status: str | None = None
    collectionId: str | None = None  # noqa: N815
    data: dict[str, Any] | None = None
    created_at: int | None = None
    updated_at: int | None = None
    author_id: str | None = None
    published_at: int | None = None
    version_number: int | None = None
    is_auto_saved: bool | None = None
    featured_image_id: str | None = None
    comments: CommentCounts | None = None
    author: Author | None = None
    collection: CollectionRef | None = None
    featured_image: MediaFile | None = None


class Pagination(BaseModel):
    """The seed's pagination object. ``hasNext`` is always ``page < pages`` and ``hasPrev``
    ``page > 1``; pages hold ``limit`` items on the grid the offset sets."""

    page: int = Field(description="ceil(offset / limit) + 1")
    limit: int
    offset: int
    total: int = Field(description="Exact, or a lower bound when totalCapped is true")
    pages: int = Field(description="Exact, or a lower bound when totalCapped is true")
    hasNext: bool  # noqa: N815
    hasPrev: bool  # noqa: N815
    totalCapped: bool | None = Field(  # noqa: N815
        None,
        description="Present (true) when counting stopped at SONIC_CONTENT_COUNT_LIMIT and this "
        "page did not reach the end: total and pages are lower bounds",
    )


class ListMeta(TimestampMeta):
    """``count``, ``timestamp`` and (on a collection's list) ``collection`` as in SonicJS,
    plus totals and the keyset cursor."""

    count: int
    pagination: Pagination | None = Field(None, description="Absent when paging by cursor")
    next_cursor: str | None = Field(None, description="Present when keyset paging is possible")
    collection: Collection | None = Field(
        None, description="On `GET /api/collections/{name}/content` only: that collection"
    )


class ContentList(BaseModel):
    """A page of items."""

    data: list[ContentListItem]
    meta: ListMeta


class ContentEnvelope(BaseModel):
    """One item."""

    data: ContentItem


class BulkResult(BaseModel):
    """One item's result in ``POST /api/content/bulk``: what its single route would have done."""

    id: str = Field(description="The id as given")
    ok: bool
    item: ContentItem | None = Field(
        None, description="When ok, except for delete: the item as the single route returns it"
    )
    status: int | None = Field(
        None, description="When not ok: the HTTP status the single route would have answered"
    )
    error: ErrorBody | None = Field(
        None, description="When not ok: the error the single route would have answered"
    )


class BulkMeta(CountMeta):
    """``meta`` of a bulk action: the action and how many items succeeded and failed."""

    action: str
    succeeded: int
    failed: int


class BulkResults(BaseModel):
    """``POST /api/content/bulk``: one result per distinct id, in the order given. The answer
    is 200 whenever the request itself is valid, even if some or all items failed."""

    data: list[BulkResult]
    meta: BulkMeta


class ContentCreate(BaseModel):
    """``POST /api/content``."""

    collectionId: str  # noqa: N815
    title: str = Field(max_length=500)
    slug: str | None = None
    status: Literal["draft", "published", "archived"] = "draft"
    data: dict[str, Any] = {}
    featured_image_id: str | None = Field(
        None,
        description="A media id (422 when none exists). Not given: the first media field of "
        "`data` (docs/content.md, Featured image)",
    )


class ContentUpdate(BaseModel):
    """``PUT /api/content/{id}``: every field optional; ``version`` for optimistic concurrency."""

    title: str | None = None
    slug: str | None = None
    status: Literal["draft", "published", "archived"] | None = None
    data: dict[str, Any] | None = None
    version: int | None = None
    is_auto_saved: bool | None = None
    featured_image_id: str | None = Field(
        None,
        description="A media id, or null to clear it. Not given: it follows the media field of "
        "`data` while it agrees with it (docs/content.md, Featured image)",
    )


class ContentAutosaveEnvelope(BaseModel):
    """A working copy."""

    data: ContentAutosave


class AutosaveBody(BaseModel):
    """``PUT /api/content/{id}/autosave``: the form's fields so far (any may be missing, the
    title empty, the slug half-typed); ``version`` is the item's version the edit started from."""

    title: str | None = Field(None, max_length=500)
    slug: str | None = Field(None, max_length=200)
    data: dict[str, Any] | None = None
    version: int | None = Field(None, ge=1)


class Rollback(BaseModel):
    """``POST /api/content/{id}/rollback``."""

    version: int


class Version(BaseModel):
    """One version's snapshot."""

    version: int
    title: str | None
    slug: str | None
    status: str | None
    data: Any
    author_id: str
    created_at: int
    is_current: bool


class VersionList(BaseModel):
    """An item's versions, newest first."""

    data: list[Version]
    meta: CountMeta


class VersionEnvelope(BaseModel):
    """One version."""

    data: Version


class Change(BaseModel):
    """One changed field: ``title``, ``slug``, ``status`` or ``data.<name>``."""

    field: str
    from_: Any = Field(alias="from")
    to: Any
    change: str | None = None


class DiffBody(BaseModel):
    """The two versions compared and the fields that differ."""

    from_: int = Field(alias="from")
    to: int
    changes: list[Change]


class Diff(BaseModel):
    """What changed between two versions."""

    data: DiffBody


class Collection(BaseModel):
    """The one collection representation, answered by every route that returns a collection:
    the seed's columns under the names SonicJS's collection routes answer, ``schema`` as an
    object."""

    id: str
    name: str
    display_name: str
    description: str | None
    schema_: dict[str, Any] = Field(alias="schema")
    is_active: bool
    managed: bool
    created_at: int
    updated_at: int


class CollectionList(BaseModel):
    """Active collections."""

    data: list[Collection]
    meta: CountMeta


class CollectionEnvelope(BaseModel):
    """One collection."""

    data: Collection


class AdminCollectionList(CollectionList):
    """``GET /admin/api/collections``: SonicJS's top-level ``count`` and ``timestamp`` too."""

    count: int
    timestamp: str


class CollectionDetail(Collection):
    """``GET /admin/api/collections/{id}``: the collection under ``data`` and, as SonicJS
    answers it, its fields at the top level."""

    data: Collection


class CollectionCreated(BaseModel):
    """``POST /admin/api/collections``: the collection under ``data`` and SonicJS's answer
    (``id, name, displayName, description, created_at``) beside it."""

    data: Collection
    id: str
    name: str
    displayName: str  # noqa: N815 - SonicJS's field name
    description: str | None
    created_at: int


class CollectionCreate(BaseModel):
    """``POST /admin/api/collections``: SonicJS's ``{name, displayName, description}`` is
    enough. ``displayName`` or ``display_name`` (not both); unknown fields are a 422."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    displayName: str | None = Field(None, description="Or display_name")  # noqa: N815
    display_name: str | None = Field(None, description="Or displayName")
    description: str | None = None
    schema_: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object", "properties": {}},
        alias="schema",
        description="Default: an object with no fields",
    )
    is_active: bool = True


class CollectionUpdate(BaseModel):
    """``PATCH /admin/api/collections/{id}``: ``displayName`` or ``display_name``."""

    model_config = ConfigDict(extra="forbid")

    displayName: str | None = Field(None, description="Or display_name")  # noqa: N815
    display_name: str | None = None
    description: str | None = None
    schema_: dict[str, Any] | None = Field(None, alias="schema")
    is_active: bool | None = None


class SlugCheck(BaseModel):
    """``{"available": bool}``."""

    available: bool


def body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` for a JSON request body the route reads itself."""
    schema = model.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in (
        (400, "Bad request"),
        (401, "Unauthorized"),
        (403, "Forbidden"),
        (404, "Not found"),
        (409, "Conflict"),
        (412, "Precondition failed"),
        (415, "Unsupported media type"),
        (422, "Invalid data"),
    )
}

LIST_PARAMETERS: list[dict[str, Any]] = [
    {"name": name, "in": "query", "required": False, "schema": {"type": kind}, "description": text}
    for name, kind, text in (
        ("where", "string", 'SonicJS filter JSON: {"and": [{"field", "operator", "value"}]}'),
        ("limit", "integer", "Page size (default 50, at most SONIC_CONTENT_MAX_LIMIT)"),
        ("offset", "integer", "Rows to skip"),
        ("page", "integer", "1-based page number"),
        ("sort", "string", 'JSON array [{"field": "created_at", "order": "desc"}] or -field,field'),
        ("status", "string", "draft, published or archived"),
        ("collection_id", "string", "Collection id"),
        ("collection", "string", "Collection name"),
        ("author", "string", "Author id"),
        ("cursor", "string", "Keyset cursor from meta.next_cursor"),
        ("search", "string", 'Full-text query: words, "phrases", prefix*'),
        ("fields", "string", "Comma-separated item fields to return"),
        ("include", "string", "author, collection, featured_image"),
        ("locale", "string", "BCP 47 tag of an enabled locale: one row per item, with fallback"),
    )
]

ITEM_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": name,
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": text,
    }
    for name, text in (
        ("as_of", "The item as it was at this moment: epoch ms or ISO 8601"),
        ("include", "author, collection, featured_image (as on lists)"),
        ("locale", "BCP 47 tag of an enabled locale; meta.locale says which one answered"),
    )
]
