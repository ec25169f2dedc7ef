"""The admin's page security: the Content-Security-Policy and the CSRF token.

CSP: scripts, styles, images and requests come from this server only; no inline script or
style may run, no page may frame the admin, forms post only here. htmx is configured (through
a ``<meta name="htmx-config">`` tag, which is data, not script) not to inject its own inline
style nor to evaluate attribute code, so the policy holds without ``'unsafe-inline'``.

CSRF: a signed double-submit token tied to the session. The browser holds a random value in the
``sonic_csrf`` cookie (HttpOnly, ``SameSite=Strict``, written by the API's one cookie writer);
every form carries, and every htmx request sends as ``X-CSRF-Token``,
``HMAC(secret_key, value | session id)``. Another site can neither
read the cookie nor compute the HMAC, and a token stops working when the session changes (sign
in, sign out), so a token leaked from one session is worth nothing in the next. This sits on
top of the API's Origin check (``api.auth.same_origin``), which cookie-authenticated writes
pass as well.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request
from starlette.responses import Response

from sonic_cms.config import Settings
from sonic_cms.digests import keyed_digest
from sonic_cms.errors import Forbidden

CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)
CSRF_COOKIE = "sonic_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
#: The seed: 256 random bits in hex (cookie-safe without quoting).
SEED_CHARS = 64


def page_headers(response: Response) -> Response:
    """Put the admin's security headers on a page: CSP, no framing, no caching of pages."""
    response.headers["content-security-policy"] = CSP
    response.headers["x-frame-options"] = "DENY"
    response.headers["referrer-policy"] = "same-origin"
    response.headers["cache-control"] = "no-store"
    return response


def csrf_seed(request: Request) -> tuple[str, bool]:
    """The browser's CSRF cookie value, or a fresh one (and True: it must be set)."""
    current = request.cookies.get(CSRF_COOKIE, "")
    if len(current) == SEED_CHARS and all(c in "0123456789abcdef" for c in current):
        return current, False
    return secrets.token_hex(SEED_CHARS // 2), True


def csrf_token(settings: Settings, seed: str, session_id: str | None) -> str:
    """The token forms carry: the seed signed together with the session it belongs to."""
    return keyed_digest(settings, "admin_csrf", f"{seed}|{session_id or ''}")


async def check_csrf(request: Request, settings: Settings, session_id: str | None) -> None:
    """Refuse an unsafe request whose token is missing or does not match cookie and session.

    Raises:
        Forbidden: ``csrf_failed``.
    """
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    seed = request.cookies.get(CSRF_COOKIE)
    expected = csrf_token(settings, seed, session_id) if seed else None
    if not sent or expected is None or not hmac.compare_digest(sent, expected):
        raise Forbidden("Missing or invalid CSRF token", code="csrf_failed")
