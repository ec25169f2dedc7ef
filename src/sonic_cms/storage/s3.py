"""S3-compatible object storage through boto3 (AWS S3, Cloudflare R2, MinIO, moto).

Large objects go up as multipart uploads in bounded chunks with at most two parts in flight,
so memory stays flat whatever the object's size; s3transfer aborts the multipart upload when
the source fails (including :class:`ObjectTooLarge`), so a failed put leaves no object.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from sonic_cms.config import Settings
from sonic_cms.storage.base import (
    CHUNK_BYTES,
    CountingReader,
    ObjectInfo,
    ObjectNotFound,
    ObjectStream,
    PutResult,
    Storage,
    StorageError,
    validate_key,
)

_PART_BYTES = 8 * 1024 * 1024
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")
_MISSING = {"404", "NoSuchKey", "NotFound"}


def s3_client(settings: Settings) -> Any:
    """A boto3 S3 client for the configured endpoint, region, addressing style and keys."""
    credentials: dict[str, str] = {}
    if settings.media_s3_access_key_id:
        credentials = {
            "aws_access_key_id": settings.media_s3_access_key_id,
            "aws_secret_access_key": settings.media_s3_secret_access_key,
        }
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path" if settings.media_s3_path_style else "virtual"},
        retries={"max_attempts": 3, "mode": "standard"},
    )
    session = boto3.session.Session()
    return session.client(
        "s3",
        endpoint_url=settings.media_s3_endpoint_url or None,
        region_name=settings.media_s3_region,
        config=config,
        **credentials,
    )


class S3Storage(Storage):
    """Objects in one bucket of an S3-compatible service."""

    name = "s3"

    def __init__(self, client: Any, bucket: str, public_base_url: str) -> None:
        super().__init__(public_base_url)
        self.client = client
        self.bucket = bucket
        self._transfer = TransferConfig(
            multipart_threshold=_PART_BYTES,
            multipart_chunksize=_PART_BYTES,
            max_concurrency=2,
            io_chunksize=CHUNK_BYTES,
        )

    def ensure_bucket(self) -> None:
        """Create the bucket when it does not exist (development and tests)."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self.client.create_bucket(Bucket=self.bucket)

    def put(
        self,
        key: str,
        source: IO[bytes],
        content_type: str,
        *,
        max_bytes: int | None = None,
    ) -> PutResult:
        """Upload in parts of 8 MiB, counting and hashing on the way."""
        validate_key(key)
        reader = CountingReader(source, max_bytes)
        try:
            self.client.upload_fileobj(
                reader,
                self.bucket,
                key,
                ExtraArgs={"ContentType": content_type},
                Config=self._transfer,
            )
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"S3 put failed: {exc.__class__.__name__}") from exc
        return PutResult(key=key, size=reader.size, sha256=reader.sha256)

    def head(self, key: str) -> ObjectInfo | None:
        """HEAD the object."""
        validate_key(key)
        try:
            response = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _error_code(exc) in _MISSING:
                return None
            raise StorageError(f"S3 head failed: {_error_code(exc)}") from exc
        return _info(key, response, int(response["ContentLength"]))

    def open(self, key: str, start: int | None = None, end: int | None = None) -> ObjectStream:
        """GET the object, with a Range header when a range is asked for."""
        validate_key(key)
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if start is not None or end is not None:
            params["Range"] = f"bytes={start or 0}-{'' if end is None else end}"
        try:
            response = self.client.get_object(**params)
        except ClientError as exc:
            if _error_code(exc) in _MISSING:
                raise ObjectNotFound(key) from exc
            raise StorageError(f"S3 get failed: {_error_code(exc)}") from exc
        length = int(response["ContentLength"])
        match = _CONTENT_RANGE.match(response.get("ContentRange") or "")
        if match:
            first, last, total = (int(group) for group in match.groups())
        else:
            first, last, total = 0, length - 1, length
        body = response["Body"]
        return ObjectStream(_info(key, response, total), first, last, _iter_body(body, CHUNK_BYTES))

    def delete(self, key: str) -> None:
        """DELETE the object (S3 answers success for a missing one)."""
        validate_key(key)
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _error_code(exc) not in _MISSING:
                raise StorageError(f"S3 delete failed: {_error_code(exc)}") from exc

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        """List the bucket under ``prefix``, a page at a time."""
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield str(item["Key"])

    def presigned_url(self, key: str, expires_in: int) -> str:
        """A SigV4 presigned GET URL."""
        validate_key(key)
        url: str = self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_in
        )
        return url


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _info(key: str, response: dict[str, Any], size: int) -> ObjectInfo:
    modified = response.get("LastModified")
    return ObjectInfo(
        key=key,
        size=size,
        content_type=str(response.get("ContentType") or "application/octet-stream"),
        etag=str(response.get("ETag") or '""'),
        last_modified_ms=int(modified.timestamp() * 1000) if modified else 0,
    )


def _iter_body(body: Any, chunk_bytes: int) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(chunk_bytes)
    finally:
        body.close()
