"""The storage interface, run on every backend (local folder, S3 on a real moto server)."""

from __future__ import annotations

import io
import urllib.request

import pytest

from sonic_cms.storage import ObjectNotFound, ObjectTooLarge, Storage
from sonic_cms.storage.base import CHUNK_BYTES, InvalidKey
from sonic_cms.storage.local import LocalStorage


def test_put_then_read_back_with_size_and_hash(storage: Storage):
    data = b"hello world" * 1000
    result = storage.put("uploads/2026/01/a-hello.txt", io.BytesIO(data), "text/plain")
    assert result.size == len(data)
    import hashlib

    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert storage.exists("uploads/2026/01/a-hello.txt")
    assert storage.open("uploads/2026/01/a-hello.txt").read_all() == data


def test_head_reports_size_and_etag(storage: Storage):
    storage.put("k/one.bin", io.BytesIO(b"12345"), "application/octet-stream")
    info = storage.head("k/one.bin")
    assert info is not None
    assert info.size == 5
    assert info.etag.startswith('"') and len(info.etag) > 2
    assert storage.head("k/missing.bin") is None


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [(0, 0, b"0"), (2, 5, b"2345"), (7, None, b"789"), (5, 100, b"56789")],
)
def test_byte_ranges(storage: Storage, start: int, end: int | None, expected: bytes):
    storage.put("r/digits.txt", io.BytesIO(b"0123456789"), "text/plain")
    stream = storage.open("r/digits.txt", start, end)
    assert stream.start == start
    assert stream.info.size == 10
    assert stream.read_all() == expected


def test_large_object_streams_in_chunks(storage: Storage):
    data = bytes(range(256)) * (4 * CHUNK_BYTES // 256 + 17)
    storage.put("big/blob.bin", io.BytesIO(data), "application/octet-stream")
    stream = storage.open("big/blob.bin")
    chunks = list(stream.chunks)
    assert len(chunks) > 1
    assert max(len(c) for c in chunks) <= CHUNK_BYTES
    assert b"".join(chunks) == data


def test_put_past_the_limit_stores_nothing(storage: Storage):
    with pytest.raises(ObjectTooLarge):
        storage.put("x/too-big.bin", io.BytesIO(b"a" * 5000), "text/plain", max_bytes=4999)
    assert not storage.exists("x/too-big.bin")
    assert list(storage.iter_keys()) == []


def test_delete_is_idempotent(storage: Storage):
    storage.put("d/file.txt", io.BytesIO(b"x"), "text/plain")
    storage.delete("d/file.txt")
    storage.delete("d/file.txt")
    assert not storage.exists("d/file.txt")
    with pytest.raises(ObjectNotFound):
        storage.open("d/file.txt")


def test_iter_keys_and_delete_prefix(storage: Storage):
    for key in ("_derived/m1/a.webp", "_derived/m1/b.webp", "_derived/m2/a.webp", "u/x.txt"):
        storage.put(key, io.BytesIO(b"x"), "text/plain")
    assert sorted(storage.iter_keys("_derived/m1/")) == ["_derived/m1/a.webp", "_derived/m1/b.webp"]
    assert storage.delete_prefix("_derived/m1/") == 2
    assert sorted(storage.iter_keys()) == ["_derived/m2/a.webp", "u/x.txt"]


@pytest.mark.parametrize(
    "key", ["../etc/passwd", "/abs/path", "a/../../b", "a//b", "a\\b", "a\x00b", ""]
)
def test_keys_that_could_escape_are_refused(storage: Storage, key: str):
    with pytest.raises(InvalidKey):
        storage.put(key, io.BytesIO(b"x"), "text/plain")


def test_public_url_encodes_the_key(storage: Storage):
    assert storage.public_url("uploads/2026/01/id-ünï code.png") == (
        "/files/uploads/2026/01/id-%C3%BCn%C3%AF%20code.png"
    )


def test_unicode_keys_round_trip(storage: Storage):
    storage.put("u/2026/01/id-фото.png", io.BytesIO(b"img"), "image/png")
    assert storage.open("u/2026/01/id-фото.png").read_all() == b"img"
    assert list(storage.iter_keys("u/")) == ["u/2026/01/id-фото.png"]


def test_presigned_url_reads_the_object(storage: Storage):
    storage.put("p/secret.txt", io.BytesIO(b"signed bytes"), "text/plain")
    url = storage.presigned_url("p/secret.txt", 60)
    if isinstance(storage, LocalStorage):
        assert url.startswith("/files/p/secret.txt?expires=")
        query = dict(part.split("=") for part in url.split("?")[1].split("&"))
        assert storage.verify("p/secret.txt", int(query["expires"]), query["signature"])
        assert not storage.verify("p/other.txt", int(query["expires"]), query["signature"])
        return
    with urllib.request.urlopen(url, timeout=10) as response:  # the real moto server
        assert response.read() == b"signed bytes"
