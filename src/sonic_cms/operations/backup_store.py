"""Where backups live, so that every app server (and the CLI) sees the same ones.

With S3 media storage, backups are objects of the media bucket under ``backups/``: any server
lists, downloads and verifies what another one (or ``sonic db backup`` on an operator's
machine) wrote. With the local backend they stay files in ``SONIC_BACKUP_DIR``, where
``sonic db backup`` has always put them (a local-storage deployment is one host). Either way
a backup is only stored once it was read back and checked (:func:`backup.create_backup`), and
a job's progress is a small JSON object beside the backups (``.jobs/<id>.json``), so the page
polling it may land on any server.

The bucket's ``backups/`` prefix holds whole databases: it must never be public (a public
bucket policy for media must be limited to the media prefixes). Where the media bucket is
public or fronted by a CDN, ``SONIC_BACKUP_S3_BUCKET`` names a private bucket of the same S3
service for the backups instead (they are then at its top level). ``/files/*`` serves only keys
that belong to a media row, so backups are never served there.
"""

from __future__ import annotations

import io
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from sonic_cms.context import Context
from sonic_cms.errors import NotFound
from sonic_cms.operations import backup
from sonic_cms.operations.export_sql import Progress
from sonic_cms.operations.import_sql import verify_dump
from sonic_cms.storage import ObjectStream, Storage
from sonic_cms.storage.local import LocalStorage

#: The bucket prefix of backups when media is on S3.
PREFIX = "backups/"
JOBS = ".jobs/"
#: What a backup's name may be: the names create_backup gives, nothing that could be a path.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.sql\.gz\Z")
GZIP_TYPE = "application/gzip"
#: Backups hold every row, secrets' digests included: only who may change settings sees them.
PERMISSION = "settings.update"


@dataclass(frozen=True)
class StoredBackup:
    """A backup in the store."""

    name: str
    size_bytes: int
    modified_ms: int


@dataclass(frozen=True)
class BackupStore:
    """The storage that holds backups, and the prefix of their keys in it."""

    storage: Storage
    prefix: str
    #: The folder the backups are files in (local backend), else None.
    folder: Path | None

    @property
    def where(self) -> str:
        """For people: the folder, or ``s3://bucket/backups/``."""
        if self.folder is not None:
            return str(self.folder)
        return f"{self.storage.name}://{getattr(self.storage, 'bucket', '')}/{self.prefix}"

    def location(self, name: str) -> str:
        """Where backup ``name`` is, for people: its file, or its object's URL."""
        if self.folder is not None:
            return str(self.folder / name)
        return self.where + name

    def key(self, name: str) -> str:
        """The storage key of backup ``name``; 404 for a name no backup can have."""
        if not _NAME.match(name):
            raise NotFound("No such backup", code="backup_not_found")
        return self.prefix + name

    def list(self) -> list[StoredBackup]:
        """Every backup, newest first."""
        found = []
        for key in self.storage.iter_keys(self.prefix):
            name = key[len(self.prefix) :]
            if "/" in name or not _NAME.match(name):
                continue
            info = self.storage.head(key)
            if info is not None:
                found.append(StoredBackup(name, info.size, info.last_modified_ms))
        return sorted(found, key=lambda b: (b.modified_ms, b.name), reverse=True)

    def get(self, name: str) -> StoredBackup:
        """One backup's size and time; 404 when there is none."""
        info = self.storage.head(self.key(name))
        if info is None:
            raise NotFound("No such backup", code="backup_not_found")
        return StoredBackup(name, info.size, info.last_modified_ms)

    def open(self, name: str) -> ObjectStream:
        """The backup's bytes, a chunk at a time; 404 when there is none."""
        self.get(name)
        return self.storage.open(self.key(name))

    @contextmanager
    def local_copy(self, name: str, scratch: Path) -> Iterator[Path]:
        """A local file holding the backup (the file itself with the local backend)."""
        self.get(name)
        if self.folder is not None:
            yield self.folder / name
            return
        scratch.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=scratch, prefix=".fetch-") as folder:
            target = Path(folder) / name
            stream = self.storage.open(self.key(name))
            try:
                with target.open("wb") as out:
                    for chunk in stream.chunks:
                        out.write(chunk)
            finally:
                stream.close()
            yield target

    def write_job(self, job_id: str, state: dict[str, Any]) -> None:
        """Save a job's progress document."""
        body = io.BytesIO(orjson.dumps(state))
        self.storage.put(f"{self.prefix}{JOBS}{job_id}.json", body, "application/json")

    def read_job(self, job_id: str) -> dict[str, Any] | None:
        """A job's progress document, or None when there is none."""
        key = f"{self.prefix}{JOBS}{job_id}.json"
        if self.storage.head(key) is None:
            return None
        loaded: dict[str, Any] = orjson.loads(self.storage.open(key).read_all())
        return loaded


def backup_store(ctx: Context) -> BackupStore:
    """The store of this deployment (see the module docstring)."""
    settings = ctx.settings
    if settings.media_storage == "local":
        folder = settings.backup_dir.resolve()
        storage = LocalStorage(folder, "", settings.effective_secret_key, ctx.clock)
        return BackupStore(storage, "", folder)
    if settings.backup_s3_bucket:
        from sonic_cms.storage.s3 import S3Storage, s3_client  # boto3 loads only for S3

        return BackupStore(S3Storage(s3_client(settings), settings.backup_s3_bucket, ""), "", None)
    return BackupStore(ctx.storage, PREFIX, None)


def list_backups(ctx: Context) -> tuple[BackupStore, list[StoredBackup]]:
    """The store and its backups, newest first (``settings.update``)."""
    ctx.actor.require(PERMISSION)
    store = backup_store(ctx)
    return store, store.list()


def open_backup(ctx: Context, name: str) -> tuple[StoredBackup, ObjectStream]:
    """A backup and its bytes, for a download (``settings.update``); 404 when there is none."""
    ctx.actor.require(PERMISSION)
    store = backup_store(ctx)
    return store.get(name), store.open(name)


def store_backup(ctx: Context, *, progress: Progress | None = None) -> StoredBackup:
    """Write, verify and store a backup of the database; returns it as stored
    (``settings.update``)."""
    ctx.actor.require(PERMISSION)
    store = backup_store(ctx)
    if store.folder is not None:
        made = backup.create_backup(ctx, directory=store.folder, progress=progress)
        return store.get(made.path.name)
    scratch = ctx.settings.backup_dir
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch, prefix=".upload-") as folder:
        made = backup.create_backup(ctx, directory=Path(folder), progress=progress)
        name = _unused_name(store, made.path.name)
        with made.path.open("rb") as source:
            store.storage.put(store.key(name), source, GZIP_TYPE)
    return store.get(name)


def _unused_name(store: BackupStore, name: str) -> str:
    candidate, number = name, 1
    while store.storage.head(store.key(candidate)) is not None:
        number += 1
        candidate = name.replace(".sql.gz", f"-{number}.sql.gz")
    return candidate


def verify_stored_backup(ctx: Context, name: str) -> dict[str, int]:
    """Read backup ``name`` back in full (every row parsed, counts and checksums compared);
    returns rows per table (``settings.update``).

    Raises:
        NotFound: no such backup.
        DumpError: the backup is damaged (``truncated_dump``, ``corrupt_dump``...).
    """
    ctx.actor.require(PERMISSION)
    store = backup_store(ctx)
    with store.local_copy(name, ctx.settings.backup_dir) as path:
        return verify_dump(path)


def prune_stored(ctx: Context) -> list[str]:
    """Delete backups older than ``backup_retention_days`` (and job documents as old);
    returns the backups' names."""
    ctx.actor.require(PERMISSION)
    store = backup_store(ctx)
    cutoff = ctx.clock.now_ms() - ctx.settings.backup_retention_days * 86_400_000
    _prune_jobs(store, cutoff)
    if store.folder is not None:
        return [path.name for path in backup.prune_backups(ctx, directory=store.folder)]
    removed = []
    for stored in store.list():
        if stored.modified_ms < cutoff:
            store.storage.delete(store.key(stored.name))
            removed.append(stored.name)
    return removed


def _prune_jobs(store: BackupStore, cutoff_ms: int) -> None:
    for key in list(store.storage.iter_keys(store.prefix + JOBS)):
        info = store.storage.head(key)
        if info is not None and info.last_modified_ms < cutoff_ms:
            store.storage.delete(key)


@contextmanager
def fetched(ctx: Context, name: str) -> Iterator[Path]:
    """A stored backup as a local file, for ``sonic db restore NAME`` (removed afterwards)."""
    store = backup_store(ctx)
    with store.local_copy(name, ctx.settings.backup_dir) as path:
        yield path
