"""Importing media from a URL without becoming a proxy into the private network (SSRF).

Each hop's host is resolved once; if any of its addresses is not a public unicast address
(loopback, private, link-local, carrier-grade NAT, multicast, reserved, unspecified, or a cloud
metadata address) the import is refused. The request then goes to the checked address itself,
with the name only in the Host header and TLS SNI, so a second DNS answer cannot swap in another
address. Redirects are followed by hand, at most ``SONIC_MEDIA_IMPORT_MAX_REDIRECTS``, and each
target is checked the same way. The body is streamed to a spooled temporary file, counted
against ``SONIC_MEDIA_MAX_BYTES``, and then ingested like an upload.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import tempfile
from typing import IO, Any
from urllib.parse import unquote, urljoin

import httpx

from sonic_cms.clock import Clock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from sonic_cms.services.actors import Actor
from sonic_cms.services.errors import BadRequest, PayloadTooLarge
from sonic_cms.services.media_names import check_folder
from sonic_cms.services.media_upload import MediaMeta, upload_media
from sonic_cms.storage import Storage

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Cloud metadata endpoints, refused even where a rule above would not catch them.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)
_REDIRECTS = {301, 302, 303, 307, 308}
_SPOOL_BYTES = 1024 * 1024
_DISPOSITION_NAME = re.compile(r"filename\*?=(?:UTF-8'')?\"?([^\";]+)\"?", re.I)


def _refused(message: str, code: str = "url_not_allowed") -> BadRequest:
    return BadRequest(message, code=code, details=[{"path": "url", "message": message}])


def address_allowed(address: IPAddress, allow_loopback: bool) -> bool:
    """Whether the import may connect to ``address``."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES or address.is_multicast:
        return False
    if address.is_loopback:
        return allow_loopback
    return address.is_global


def resolve_public(host: str, port: int, allow_loopback: bool) -> str:
    """The one address the import will connect to; every address ``host`` has must be allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise _refused(f"Cannot resolve host {host!r}", "url_unresolvable") from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses or not all(address_allowed(a, allow_loopback) for a in addresses):
        raise _refused("The URL points to an address imports may not reach")
    return str(addresses[0])


def _checked_url(raw: str) -> httpx.URL:
    try:
        url = httpx.URL(raw)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise _refused("Not a valid URL", "invalid_url") from exc
    if url.scheme not in ("http", "https") or not url.host:
        raise _refused("Only http and https URLs can be imported", "invalid_url")
    if url.userinfo:
        raise _refused("URLs with credentials cannot be imported", "invalid_url")
    return url


def _host_header(url: httpx.URL) -> str:
    host = f"[{url.host}]" if ":" in url.host else url.host
    return host if url.port is None else f"{host}:{url.port}"


def fetch_to_file(url: str, target: IO[bytes], settings: Settings) -> str:
    """Download ``url`` into ``target``; returns a file name for it."""
    current = _checked_url(url)
    timeout = httpx.Timeout(settings.media_import_timeout_seconds)
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        for _ in range(settings.media_import_max_redirects + 1):
            port = current.port or (443 if current.scheme == "https" else 80)
            address = resolve_public(current.host, port, settings.media_import_allow_loopback)
            pinned = current.copy_with(host=address)
            headers = {"Host": _host_header(current), "Accept-Encoding": "identity"}
            try:
                with client.stream(
                    "GET", pinned, headers=headers, extensions={"sni_hostname": current.host}
                ) as response:
                    if response.status_code in _REDIRECTS and "location" in response.headers:
                        current = _checked_url(urljoin(str(current), response.headers["location"]))
                        continue
                    _copy_body(response, target, settings.media_max_bytes)
                    return _name_for(response, current)
            except httpx.HTTPError as exc:
                message = f"Fetching the URL failed: {exc.__class__.__name__}"
                raise _refused(message, "import_failed") from exc
    raise _refused("Too many redirects", "too_many_redirects")


def _copy_body(response: httpx.Response, target: IO[bytes], max_bytes: int) -> None:
    if response.status_code != 200:
        raise _refused(f"The URL answered HTTP {response.status_code}", "import_failed")
    declared = response.headers.get("content-length", "")
    too_large = PayloadTooLarge(f"The file exceeds {max_bytes} bytes", code="file_too_large")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    received = 0
    for chunk in response.iter_raw():
        received += len(chunk)
        if received > max_bytes:
            raise too_large
        target.write(chunk)


def _name_for(response: httpx.Response, url: httpx.URL) -> str:
    match = _DISPOSITION_NAME.search(response.headers.get("content-disposition", ""))
    if match:
        return unquote(match.group(1))
    return unquote(url.path.rstrip("/").rsplit("/", 1)[-1]) or url.host


def import_from_url(
    db: Database,
    storage: Storage,
    settings: Settings,
    clock: Clock,
    actor: Actor,
    url: str,
    meta: MediaMeta,
) -> dict[str, Any]:
    """Fetch ``url`` and store it as media, with every upload check applied."""
    actor.require("media.upload")
    check_folder(meta.folder)  # refuse a bad folder before spending a download on it
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as spool:
        name = fetch_to_file(url, spool, settings)
        spool.seek(0)
        return upload_media(db, storage, settings, clock, actor, spool, name, meta)
