"""One delivery attempt: a signed POST to the endpoint, to an address the SSRF rule allowed.

The host is resolved and checked on every attempt (the address may have changed since the
endpoint was registered), and the request goes to that checked address with the name only in
the Host header and TLS SNI, so a second DNS answer cannot swap in a private address. Redirects
are not followed unless SONIC_WEBHOOKS_MAX_REDIRECTS allows some, each target checked the same
way; a redirect not followed is a failed attempt. The whole attempt (every lookup, connect,
redirect, the answer's first bytes) shares one deadline, SONIC_WEBHOOKS_TIMEOUT_SECONDS.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urljoin

import anyio
import httpx

from sonic_cms.config import Settings
from sonic_cms.errors import BadRequest
from sonic_cms.inputs.addresses import resolve_public
from sonic_cms.webhooks.signing import signature_headers

USER_AGENT = "sonic-cms-webhooks"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_REFUSED = "The URL points to an address webhooks may not reach"


@dataclass(frozen=True, slots=True)
class Result:
    """What one attempt gave: its outcome and what the receiver answered."""

    #: success (2xx), http_error (another status), network_error, timeout, refused (SSRF).
    outcome: str
    status: int | None
    body: str | None
    error: str | None
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        """Whether the receiver accepted the event (a 2xx answer)."""
        return self.outcome == "success"


@dataclass(frozen=True, slots=True)
class Message:
    """What is sent: the endpoint's URL and secret, the message id and the exact body."""

    url: str
    secret: str
    message_id: str
    body: bytes


async def send(settings: Settings, message: Message, now_ms: int) -> Result:
    """Deliver ``message`` once; never raises for anything the receiver or network does."""
    started = time.monotonic()
    outcome, status, text, error = "success", None, None, None
    try:
        with anyio.fail_after(settings.webhooks_timeout_seconds):
            status, text = await _post(settings, message, now_ms)
        if not 200 <= status < 300:
            outcome, error = "http_error", f"HTTP {status}"
    except (TimeoutError, httpx.TimeoutException):
        outcome, error = "timeout", f"no answer within {settings.webhooks_timeout_seconds:g} s"
    except BadRequest as exc:
        outcome, error = "refused", str(exc)
    except httpx.HTTPError as exc:
        outcome, error = "network_error", f"{type(exc).__name__}: {exc}"[:500]
    duration_ms = round((time.monotonic() - started) * 1000)
    return Result(outcome, status, text, error, duration_ms)


async def _post(settings: Settings, message: Message, now_ms: int) -> tuple[int, str]:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Accept-Encoding": "identity",
        **signature_headers(message.secret, message.message_id, now_ms, message.body),
    }
    timeout = httpx.Timeout(settings.webhooks_timeout_seconds)
    current = httpx.URL(message.url)
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False) as http:
        for hop in range(settings.webhooks_max_redirects + 1):
            port = current.port or (443 if current.scheme == "https" else 80)
            loopback = settings.webhooks_allow_loopback
            address = await resolve_public(current.host, port, loopback, _REFUSED)
            pinned = current.copy_with(host=address)
            request_headers = {**headers, "Host": _host_header(current)}
            async with http.stream(
                "POST",
                pinned,
                content=message.body,
                headers=request_headers,
                extensions={"sni_hostname": current.host},
            ) as response:
                location = response.headers.get("location")
                if response.status_code not in _REDIRECTS or not location:
                    return response.status_code, await _start_of(response, settings)
                if hop == settings.webhooks_max_redirects:
                    return response.status_code, f"redirect to {location[:200]} not followed"
                current = _redirect_target(current, location)
    raise AssertionError("unreachable: the last hop returns")  # pragma: no cover


def _redirect_target(current: httpx.URL, location: str) -> httpx.URL:
    target = httpx.URL(urljoin(str(current), location))
    if target.scheme not in ("http", "https") or not target.host or target.userinfo:
        raise BadRequest(f"Refused redirect target {location[:200]!r}", code="url_not_allowed")
    return target


def _host_header(url: httpx.URL) -> str:
    host = f"[{url.host}]" if ":" in url.host else url.host
    return host if url.port is None else f"{host}:{url.port}"


async def _start_of(response: httpx.Response, settings: Settings) -> str:
    """The first SONIC_WEBHOOKS_RESPONSE_BODY_CHARS of the answer, without reading the rest."""
    limit = settings.webhooks_response_body_chars
    if limit == 0:
        return ""
    kept = bytearray()
    async for chunk in response.aiter_raw():
        kept += chunk
        if len(kept) >= limit * 4:  # a UTF-8 character is at most four bytes
            break
    return kept.decode("utf-8", errors="replace")[:limit]
