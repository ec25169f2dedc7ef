"""OpenAPI models of the media routes' answers (SonicJS's MediaFile shapes, extended)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from sonic_cms.api.models.common import CountMeta, PagedMeta
from sonic_cms.api.models.representations import MediaFile


class FileError(BaseModel):
    """One file that failed inside a multi-file request; the others stand."""

    filename: str | None = None
    fileId: str | None = None  # noqa: N815
    error: str
    code: str | None = None
    status: int | None = None


class Summary(BaseModel):
    """Counts of a multi-file request."""

    total: int
    successful: int
    failed: int


class UploadResult(BaseModel):
    """``POST /api/media/upload`` and ``/import``: the stored file."""

    success: bool
    file: MediaFile
    uploaded: list[MediaFile]
    errors: list[FileError]


class UploadManyResult(BaseModel):
    """``POST /api/media/upload-multiple``: each file stands alone."""

    success: bool
    uploaded: list[MediaFile]
    errors: list[FileError]
    summary: Summary


class FileOutcome(BaseModel):
    """One file a bulk operation handled."""

    fileId: str  # noqa: N815
    filename: str | None = None
    success: bool
    skipped: bool | None = Field(None, description="Bulk move: already in that folder")


class BulkDeleteResult(BaseModel):
    """``POST /api/media/bulk-delete``."""

    success: bool
    deleted: list[FileOutcome]
    errors: list[FileError]
    summary: Summary


class BulkMoveResult(BaseModel):
    """``POST /api/media/bulk-move``."""

    success: bool
    moved: list[FileOutcome]
    errors: list[FileError]
    summary: Summary


class FolderCreated(BaseModel):
    """``POST /api/media/create-folder``."""

    success: bool
    message: str
    folder: str


class MediaList(BaseModel):
    """A page of media."""

    data: list[MediaFile]
    meta: PagedMeta


class MediaEnvelope(BaseModel):
    """One media item."""

    data: MediaFile


class TypeStats(BaseModel):
    """Files of one MIME type."""

    mimeType: str  # noqa: N815
    count: int
    totalSize: int  # noqa: N815
    avgSize: float  # noqa: N815


class MediaStats(BaseModel):
    """Counts and sizes of the live files."""

    totalFiles: int  # noqa: N815
    totalSize: int  # noqa: N815
    avgSize: float  # noqa: N815
    byType: list[TypeStats]  # noqa: N815


class MediaStatsEnvelope(BaseModel):
    """``GET /api/media/stats``."""

    data: MediaStats


class Folder(BaseModel):
    """A folder in use or made with create-folder."""

    folder: str
    count: int
    totalSize: int  # noqa: N815


class FolderList(BaseModel):
    """``GET /api/media/folders``."""

    data: list[Folder]
    meta: CountMeta


class MediaUse(BaseModel):
    """One content item that uses a media file (its featured image or an id in its data)."""

    id: str
    title: str
    slug: str
    status: str
    collection: str
    collectionName: str  # noqa: N815
    updated_at: int
    featured: bool


class MediaUsageList(BaseModel):
    """``GET /api/media/{id}/usage``: the items the caller may read that use the file."""

    data: list[MediaUse]
    meta: CountMeta


class PresignedUrl(BaseModel):
    """A time-limited URL."""

    url: str
    expiresIn: int  # noqa: N815


class PresignedEnvelope(BaseModel):
    """``GET /api/media/{id}/presigned-url``."""

    data: PresignedUrl


class FileUpdated(BaseModel):
    """``PATCH /api/media/{id}``."""

    success: bool
    message: str
    file: MediaFile


class FileRestored(BaseModel):
    """``POST /api/media/{id}/restore``."""

    success: bool
    file: MediaFile


class Done(BaseModel):
    """``{success, message}``: a delete or purge."""

    success: bool
    message: str
