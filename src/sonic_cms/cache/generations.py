"""Namespace generations shared by every process of one host, without Redis.

A cached read's key ends with its namespace's generation; a write moves the generation, so every
older key becomes unreachable. Redis makes generations shared across hosts. Without it, the
processes of one host (``sonic serve --workers N``, the CLI, the scheduler) still share them
through a small memory-mapped file: reading a generation is a ``struct`` read of a shared page
(no system call), moving one is a locked increment. SQLite deployments are one host by
construction, so ``make run`` with several workers is coherent with no service running.

The file starts with a random epoch written when it is created: if it is deleted and created
again, counters restart at zero but the epoch differs, so no key built before can match again.
"""

from __future__ import annotations

import fcntl
import hashlib
import mmap
import os
import secrets
import struct
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sonic_cms.cache.base import NAMESPACES
from sonic_cms.db.engine import sqlite_path

_EPOCH_BYTES = 16
_SLOT = struct.Struct("<Q")
_SIZE = _EPOCH_BYTES + _SLOT.size * len(NAMESPACES)
_OFFSETS = {ns: _EPOCH_BYTES + i * _SLOT.size for i, ns in enumerate(NAMESPACES)}


class ProcessGenerations:
    """Generations private to this process (an in-memory SQLite database has one process)."""

    shared = False

    def __init__(self) -> None:
        self._tokens = {ns: secrets.token_hex(8) for ns in NAMESPACES}

    def get(self, namespace: str) -> str:
        """The namespace's current generation."""
        return self._tokens[namespace]

    def bump(self, namespaces: Iterable[str]) -> None:
        """Move the generations of ``namespaces``."""
        for ns in namespaces:
            self._tokens[ns] = secrets.token_hex(8)

    def close(self) -> None:
        """Nothing to release (the protocol of :class:`FileGenerations`)."""


class FileGenerations:
    """Generations in a shared memory-mapped file (see the module docstring)."""

    shared = True

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self._lock = threading.Lock()
        with self._locked():
            if os.fstat(self._fd).st_size < _SIZE:
                os.ftruncate(self._fd, 0)
                os.pwrite(self._fd, secrets.token_bytes(_EPOCH_BYTES).ljust(_SIZE, b"\0"), 0)
        self._map = mmap.mmap(self._fd, _SIZE, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        self._epoch = self._map[:_EPOCH_BYTES].hex()[:12]

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def get(self, namespace: str) -> str:
        """The namespace's current generation, as every process of this host sees it."""
        (counter,) = _SLOT.unpack_from(self._map, _OFFSETS[namespace])
        return f"{self._epoch}.{counter}"

    def bump(self, namespaces: Iterable[str]) -> None:
        """Move the generations of ``namespaces`` for every process of this host."""
        with self._locked():
            for ns in namespaces:
                offset = _OFFSETS[ns]
                (counter,) = _SLOT.unpack_from(self._map, offset)
                _SLOT.pack_into(self._map, offset, counter + 1)

    def close(self) -> None:
        """Unmap and close the file (again: nothing)."""
        if self._map.closed:
            return
        self._map.close()
        os.close(self._fd)


Generations = ProcessGenerations | FileGenerations


def generations_file(database_url: str, configured: str | None) -> Path | None:
    """Where the processes using ``database_url`` share generations (None: per process).

    Next to a SQLite file; for PostgreSQL in the temporary directory, named after the URL, so
    every process of this host that serves the same database finds the same file.
    """
    if configured:
        return Path(configured)
    if database_url.startswith("sqlite"):
        path = sqlite_path(database_url)
        return None if path is None else path.with_name(path.name + ".cache-generations")
    digest = hashlib.sha256(database_url.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"sonic-cms-{digest}.cache-generations"


def open_generations(database_url: str, configured: str | None = None) -> Generations:
    """The generation store for this database on this host."""
    path = generations_file(database_url, configured)
    return ProcessGenerations() if path is None else FileGenerations(path)
