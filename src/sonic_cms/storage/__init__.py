"""Object storage for media: one interface, a local-folder and an S3-compatible backend."""

from __future__ import annotations

from collections.abc import Callable

from sonic_cms.clock import Clock
from sonic_cms.config import Settings
from sonic_cms.storage.base import (
    ObjectInfo,
    ObjectNotFound,
    ObjectStream,
    ObjectTooLarge,
    PutResult,
    Storage,
    StorageError,
)

__all__ = [
    "ObjectInfo",
    "ObjectNotFound",
    "ObjectStream",
    "ObjectTooLarge",
    "PutResult",
    "Storage",
    "StorageError",
    "build_storage",
]


def _local(settings: Settings, clock: Clock) -> Storage:
    from sonic_cms.storage.local import LocalStorage

    return LocalStorage(
        settings.media_local_dir,
        settings.media_public_base_url,
        settings.effective_secret_key,
        clock,
    )


def _s3(settings: Settings, clock: Clock) -> Storage:
    from sonic_cms.storage.s3 import S3Storage, s3_client

    return S3Storage(s3_client(settings), settings.media_s3_bucket, settings.media_public_base_url)


#: ``SONIC_MEDIA_STORAGE`` -> the builder of that backend (imported only when chosen, so boto3
#: loads only for S3). A new backend is one module and one entry here.
BACKENDS: dict[str, Callable[[Settings, Clock], Storage]] = {"local": _local, "s3": _s3}


def build_storage(settings: Settings, clock: Clock) -> Storage:
    """The backend ``SONIC_MEDIA_STORAGE`` names, configured from ``settings``."""
    return BACKENDS[settings.media_storage](settings, clock)
