"""Importing media from a URL without becoming a proxy into the private network (SSRF), and
without letting a slow remote server hold the server's resources.

Each hop's host is resolved once; if any of its addresses is not a public unicast address
(loopback, private, link-local, carrier-grade NAT, multicast, reserved, unspecified, or a cloud
metadata address) the import is refused (the rule of :mod:`sonic_cms.inputs.addresses`, which
webhook deliveries share). The request then goes to the checked address itself,
with the name only in the Host header and TLS SNI, so a second DNS answer cannot swap in another
address. Redirects are followed by hand, at most ``SONIC_MEDIA_IMPORT_MAX_REDIRECTS``, and each
target is checked the same way. The body is streamed to a spooled temporary file, counted
against ``SONIC_MEDIA_MAX_BYTES``, and then ingested like an upload.

Bounds: the whole download (every DNS lookup, connect, redirect hop, headers and body) shares
one deadline of ``SONIC_MEDIA_IMPORT_TIMEOUT_SECONDS`` (504 ``import_timeout``), because a
per-read timeout lets a server that drips a byte a second hold an import forever. The download
is asynchronous on the event loop, so it holds neither a worker thread (which other requests'
database work needs) nor a transaction; only the ingest afterwards runs in a worker thread with
one short write transaction. :class:`ImportSlots` caps the imports in flight per user and in
total (429 beyond), so many slow imports cannot exhaust sockets, memory or temporary disk.
"""

from __future__ import annotations

import math
import re
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import unquote, urljoin

import anyio
import httpx

from sonic_cms.actors import Actor
from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.errors import GatewayTimeout, PayloadTooLarge, TooManyRequests
from sonic_cms.inputs import addresses
from sonic_cms.inputs.addresses import refused
from sonic_cms.media.names import check_folder
from sonic_cms.media.upload import MediaMeta, upload_media

_REDIRECTS = {301, 302, 303, 307, 308}
_SPOOL_BYTES = 1024 * 1024
_NOT_ALLOWED = "The URL points to an address imports may not reach"
_DISPOSITION_NAME = re.compile(r"filename\*?=(?:UTF-8'')?\"?([^\";]+)\"?", re.I)


def _timed_out(settings: Settings) -> GatewayTimeout:
    message = f"The URL did not deliver within {settings.media_import_timeout_seconds:g} s"
    return GatewayTimeout(
        message, code="import_timeout", details=[{"path": "url", "message": message}]
    )


async def resolve_public(host: str, port: int, allow_loopback: bool) -> str:
    """The one address the import will connect to (the shared rule of
    :mod:`sonic_cms.inputs.addresses`, in the import's words)."""
    return await addresses.resolve_public(host, port, allow_loopback, _NOT_ALLOWED)


def _checked_url(raw: str) -> httpx.URL:
    try:
        url = httpx.URL(raw)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise refused("Not a valid URL", "invalid_url") from exc
    if url.scheme not in ("http", "https") or not url.host:
        raise refused("Only http and https URLs can be imported", "invalid_url")
    if url.userinfo:
        raise refused("URLs with credentials cannot be imported", "invalid_url")
    return url


def _host_header(url: httpx.URL) -> str:
    host = f"[{url.host}]" if ":" in url.host else url.host
    return host if url.port is None else f"{host}:{url.port}"


async def fetch_to_file(url: str, target: IO[bytes], settings: Settings) -> str:
    """Download ``url`` into ``target`` within the import deadline; returns a file name for it.

    Raises:
        BadRequest: 400, the URL or a redirect target is refused, or the fetch failed.
        PayloadTooLarge: 413, the body exceeds SONIC_MEDIA_MAX_BYTES.
        GatewayTimeout: 504 ``import_timeout``, the whole download took longer than
            SONIC_MEDIA_IMPORT_TIMEOUT_SECONDS.
    """
    current = _checked_url(url)
    try:
        with anyio.fail_after(settings.media_import_timeout_seconds):
            return await _follow(current, target, settings)
    except (TimeoutError, httpx.TimeoutException) as exc:
        raise _timed_out(settings) from exc


async def _follow(current: httpx.URL, target: IO[bytes], settings: Settings) -> str:
    """Every hop, each one checked against the SSRF rules before it is connected to."""
    timeout = httpx.Timeout(settings.media_import_timeout_seconds)
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False) as http:
        for _ in range(settings.media_import_max_redirects + 1):
            port = current.port or (443 if current.scheme == "https" else 80)
            address = await resolve_public(current.host, port, settings.media_import_allow_loopback)
            pinned = current.copy_with(host=address)
            headers = {"Host": _host_header(current), "Accept-Encoding": "identity"}
            try:
                async with http.stream(
                    "GET", pinned, headers=headers, extensions={"sni_hostname": current.host}
                ) as response:
                    if response.status_code in _REDIRECTS and "location" in response.headers:
                        current = _checked_url(urljoin(str(current), response.headers["location"]))
                        continue
                    await _copy_body(response, target, settings.media_max_bytes)
                    return _name_for(response, current)
            except httpx.TimeoutException:
                raise
            except httpx.HTTPError as exc:
                message = f"Fetching the URL failed: {exc.__class__.__name__}"
                raise refused(message, "import_failed") from exc
    raise refused("Too many redirects", "too_many_redirects")


async def _copy_body(response: httpx.Response, target: IO[bytes], max_bytes: int) -> None:
    """Stream the body into ``target``: memory up to 1 MiB, then a temp file (local disk
    writes of one chunk, short enough to do on the event loop)."""
    if response.status_code != 200:
        raise refused(f"The URL answered HTTP {response.status_code}", "import_failed")
    declared = response.headers.get("content-length", "")
    too_large = PayloadTooLarge(f"The file exceeds {max_bytes} bytes", code="file_too_large")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    received = 0
    async for chunk in response.aiter_raw():
        received += len(chunk)
        if received > max_bytes:
            raise too_large
        target.write(chunk)


def _name_for(response: httpx.Response, url: httpx.URL) -> str:
    match = _DISPOSITION_NAME.search(response.headers.get("content-disposition", ""))
    if match:
        return unquote(match.group(1))
    return unquote(url.path.rstrip("/").rsplit("/", 1)[-1]) or url.host


@dataclass
class ImportSlots:
    """The URL imports in flight in this process, counted per user and in total.

    One instance per app (``AppContext.import_slots``), so the caps hold per server process:
    with several worker processes the server-wide ceiling is the workers times the setting.
    An import over a cap is refused at once (429) rather than queued, since a queued import
    would hold the client's connection for as long as the ones ahead of it.
    """

    total: int = 0
    per_user: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @contextmanager
    def hold(self, actor: Actor, settings: Settings) -> Iterator[None]:
        """Take a slot for ``actor`` for the block, or raise 429 ``too_many_imports``."""
        owner = _owner(actor)
        self._take(owner, settings)
        try:
            yield
        finally:
            self._give_back(owner)

    def _take(self, owner: str, settings: Settings) -> None:
        with self._lock:
            mine = self.per_user.get(owner, 0)
            if mine >= settings.media_import_max_concurrent_per_user:
                raise _busy("per_user", settings.media_import_max_concurrent_per_user, settings)
            if self.total >= settings.media_import_max_concurrent:
                raise _busy("global", settings.media_import_max_concurrent, settings)
            self.per_user[owner] = mine + 1
            self.total += 1

    def _give_back(self, owner: str) -> None:
        with self._lock:
            self.total -= 1
            left = self.per_user[owner] - 1
            if left:
                self.per_user[owner] = left
            else:
                del self.per_user[owner]


def _owner(actor: Actor) -> str:
    """Whose cap an import counts against: the user (all their sessions and API tokens)."""
    return actor.user_id or actor.token_id or actor.kind


def _busy(scope: str, limit: int, settings: Settings) -> TooManyRequests:
    whose = "you have" if scope == "per_user" else "the server has"
    message = f"Too many URL imports in flight: {whose} {limit} already"
    # a slot frees within one import deadline (plus a short ingest)
    retry_after = max(1, math.ceil(settings.media_import_timeout_seconds))
    details = [{"limit": scope, "max": limit}]
    return TooManyRequests(
        message, retry_after=retry_after, code="too_many_imports", details=details
    )


async def import_from_url(
    ctx: Context, slots: ImportSlots, url: str, meta: MediaMeta
) -> dict[str, Any]:
    """Fetch ``url`` and store it as media, with every upload check applied.

    The download runs on the event loop under the deadline and outside any transaction; the
    ingest (sniffing, image decode, storage put, one short insert) then runs in a worker thread.
    A failed or timed-out import stores nothing: the spool is discarded before any object or
    row is written.
    """
    ctx.actor.require("media.upload")
    check_folder(meta.folder)  # refuse a bad folder before spending a download on it
    with (
        slots.hold(ctx.actor, ctx.settings),
        tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as spool,
    ):
        name = await fetch_to_file(url, spool, ctx.settings)
        spool.seek(0)
        return await ctx.run_write(lambda: upload_media(ctx, spool, name, meta))
