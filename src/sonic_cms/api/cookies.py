"""The session cookies (``auth_token`` and ``refresh_token``), written and cleared in one place.

They are written as ``Set-Cookie`` headers built here rather than with Starlette's
``set_cookie``, whose ``samesite`` accepts only lower-case values: SonicJS writes
``SameSite=Strict``, and clients that match the header as a string (its end-to-end specs do)
must read the same. Browsers ignore the case; the spelling is for everyone else.
"""

from __future__ import annotations

import re

from starlette.responses import Response

from sonic_cms.api.auth import ACCESS_COOKIE, REFRESH_COOKIE
from sonic_cms.auth.sessions import IssuedTokens
from sonic_cms.config import Settings

#: SonicJS's spelling of the attribute.
SAME_SITE = "SameSite=Strict"
#: The refresh cookie rides only to the routes that use it.
REFRESH_PATH = "/auth"
_EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"
#: Token characters (JWTs, url-safe base64): nothing that could end or split the header.
_COOKIE_VALUE = re.compile(r"[A-Za-z0-9._~+/=-]*\Z")


def cookie_header(name: str, value: str, *, max_age: int, path: str, secure: bool) -> str:
    """One ``Set-Cookie`` value: HttpOnly, ``SameSite=Strict``, Secure when configured.

    Raises:
        ValueError: ``value`` holds a character a cookie value may not carry unquoted.
    """
    if not _COOKIE_VALUE.match(value):
        raise ValueError("cookie value holds characters a token never has")
    parts = [f"{name}={value}", "HttpOnly", f"Max-Age={max_age}", f"Path={path}", SAME_SITE]
    if max_age == 0:
        parts.insert(2, f"expires={_EPOCH}")
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def set_session_cookies(response: Response, settings: Settings, tokens: IssuedTokens) -> None:
    """Put a new session's access and refresh tokens in their cookies."""
    secure = settings.auth_cookie_secure
    response.headers.append(
        "set-cookie",
        cookie_header(
            ACCESS_COOKIE,
            tokens.access_token,
            max_age=settings.access_token_ttl_seconds,
            path="/",
            secure=secure,
        ),
    )
    response.headers.append(
        "set-cookie",
        cookie_header(
            REFRESH_COOKIE,
            tokens.refresh_token,
            max_age=settings.refresh_token_ttl_seconds,
            path=REFRESH_PATH,
            secure=secure,
        ),
    )


def clear_session_cookies(response: Response, settings: Settings) -> None:
    """Expire both cookies (logout): empty values, ``Max-Age=0``, the same attributes."""
    secure = settings.auth_cookie_secure
    for name, path in ((ACCESS_COOKIE, "/"), (REFRESH_COOKIE, REFRESH_PATH)):
        response.headers.append(
            "set-cookie", cookie_header(name, "", max_age=0, path=path, secure=secure)
        )
