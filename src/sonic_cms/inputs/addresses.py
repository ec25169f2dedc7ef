"""The one rule for which network addresses the server may connect to on a client's behalf
(SSRF): media imports from a URL and webhook deliveries both go through it.

A host is resolved once; if any of its addresses is not a public unicast address (loopback,
private, link-local, carrier-grade NAT, multicast, reserved, unspecified, or a cloud metadata
address) the connection is refused. The caller then connects to the checked address itself,
with the name only in the Host header and TLS SNI, so a second DNS answer cannot swap in
another address (DNS rebinding). Loopback can be allowed for development and tests only.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import anyio

from sonic_cms.errors import BadRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Cloud metadata endpoints, refused even where a rule above would not catch them.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)
#: What a refused address is told, unless the caller names its own purpose.
REFUSED_MESSAGE = "The URL points to an address the server may not reach"


def refused(message: str, code: str = "url_not_allowed") -> BadRequest:
    """The 400 a refused URL answers, pointing at the ``url`` field."""
    return BadRequest(message, code=code, details=[{"path": "url", "message": message}])


def address_allowed(address: IPAddress, allow_loopback: bool) -> bool:
    """Whether the server may connect to ``address``."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES or address.is_multicast:
        return False
    if address.is_loopback:
        return allow_loopback
    return address.is_global


def _checked(host: str, infos: list[Any], allow_loopback: bool, message: str) -> str:
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses or not all(address_allowed(a, allow_loopback) for a in addresses):
        raise refused(message)
    return str(addresses[0])


async def resolve_public(
    host: str, port: int, allow_loopback: bool, message: str = REFUSED_MESSAGE
) -> str:
    """The one address to connect to; every address ``host`` has must be allowed.

    The lookup is awaited (not a blocking call on the event loop), inside the caller's deadline.

    Raises:
        BadRequest: 400 ``url_unresolvable`` or ``url_not_allowed``.
    """
    try:
        infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise refused(f"Cannot resolve host {host!r}", "url_unresolvable") from exc
    return _checked(host, list(infos), allow_loopback, message)


def resolve_public_now(
    host: str, port: int, allow_loopback: bool, message: str = REFUSED_MESSAGE
) -> str:
    """:func:`resolve_public` for code already off the event loop (a service in a thread).

    Raises:
        BadRequest: 400 ``url_unresolvable`` or ``url_not_allowed``.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise refused(f"Cannot resolve host {host!r}", "url_unresolvable") from exc
    return _checked(host, infos, allow_loopback, message)
