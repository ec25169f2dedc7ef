"""Request authentication: the one place a request's credentials become an Actor.

- ``Authorization: Bearer`` carries an API token (``sonic_...``) or a signed access token; a
  request with that header never uses cookies.
- Otherwise the ``auth_token`` cookie (set by ``/auth/login``) is read. Cookies ride along on
  cross-site requests, so a cookie-authenticated unsafe method must come from a configured
  origin (``SONIC_PUBLIC_URL``, ``SONIC_CSRF_TRUSTED_ORIGINS``; see ``same_origin``); else 403.
- The session cookies are written and cleared here too (:func:`set_session_cookies`,
  :func:`clear_session_cookies`), as ``Set-Cookie`` headers built by :func:`cookie_header`
  rather than Starlette's ``set_cookie``, whose ``samesite`` takes only lower-case values:
  SonicJS writes ``SameSite=Strict``, and clients that match the header as a string (its
  end-to-end specs do) must read the same. Browsers ignore the case.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi import Request
from starlette.responses import Response

from sonic_cms.actors import ANONYMOUS, Actor
from sonic_cms.api.context import AppContext
from sonic_cms.auth import api_tokens
from sonic_cms.auth.authentication import (
    CachedActor,
    actor_for_bearer,
    credential_key,
    read_stamp,
    recall_actor,
    remember_actor,
)
from sonic_cms.auth.sessions import IssuedTokens
from sonic_cms.config import Settings, origin_of
from sonic_cms.errors import Forbidden, Unauthorized

ACCESS_COOKIE = "auth_token"
REFRESH_COOKIE = "refresh_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def authenticate(request: Request) -> Actor:
    """The request's Actor: anonymous without credentials, 401 with bad ones."""
    context: AppContext = request.app.state.ctx
    header = request.headers.get("authorization")
    if header:
        scheme, _, credential = header.partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            raise Unauthorized("Malformed Authorization header", code="invalid_token")
        if api_tokens.looks_like_api_token(credential):
            return await _token_actor(context, credential)
        return await _session_actor(context, credential)
    cookie = request.cookies.get(ACCESS_COOKIE)
    if not cookie:
        return ANONYMOUS
    if request.method not in SAFE_METHODS and not same_origin(request, context.settings):
        raise Forbidden("Cross-site request refused (CSRF check failed)", code="csrf_failed")
    return await _session_actor(context, cookie)


async def _session_actor(context: AppContext, token: str) -> Actor:
    """A signed access token's actor, from memory when this process resolved it lately."""
    ctx = context.services  # acting for nobody: this is where the caller becomes known

    def resolve() -> tuple[CachedActor, int | None]:
        use = actor_for_bearer(ctx, token)
        return CachedActor(use.actor), use.expires_ms

    entry = await _resolved(context, credential_key(token), resolve)
    return entry.actor


async def _token_actor(context: AppContext, credential: str) -> Actor:
    """An API token's actor, from memory when this process resolved it lately; a use due to be
    recorded is queued for the background writer, never written by the request."""
    ctx = context.services

    def resolve() -> tuple[CachedActor, int | None]:
        use = api_tokens.resolve_token(ctx, credential)
        return CachedActor(use.actor, use.last_used_at), use.expires_at

    entry = await _resolved(context, credential_key(credential), resolve)
    now = ctx.clock.now_ms()
    token_id = entry.actor.token_id
    if token_id is not None and api_tokens.touch_due(ctx.settings, entry.touched_ms, now):
        entry.touched_ms = now
        context.token_touches.add(token_id, now)
    return entry.actor


async def _resolved(
    context: AppContext,
    key: tuple[str, bytes],
    resolve: Callable[[], tuple[CachedActor, int | None]],
) -> CachedActor:
    """A credential's resolution: remembered, or resolved once for every request that carries
    it while the resolution runs (when its memory entry ends, all of them miss at once).

    A request joins a resolution only if it read the same ``user`` and ``session`` generations
    before it: one that arrives after a revocation starts its own. Without generations nothing
    is remembered, and nothing is shared either; nor on SQLite, whose reads run inline on the
    event loop, so no two resolutions can overlap.
    """
    ctx = context.services
    known = recall_actor(ctx, key)
    if known is not None:
        return known
    read_under = read_stamp(ctx)  # before the read: a write after it voids the entry

    async def load() -> CachedActor:
        entry, expires_ms = await ctx.run_read(resolve)
        remember_actor(ctx, key, entry, read_under, expires_ms)
        return entry

    if read_under is None or ctx.db.is_sqlite:
        return await load()
    return await context.credential_resolution.run(load, key=(key, read_under))


def same_origin(request: Request, settings: Settings) -> bool:
    """Whether an unsafe cookie-authenticated request provably comes from a trusted origin.

    ``Origin`` (or, when it is absent or ``null``, the origin of ``Referer``) must be one of
    ``settings.trusted_origins``: the configured public origins, never the request's own
    ``Host``, which a client or a permissive proxy controls. With neither header, the
    browser's own ``Sec-Fetch-Site: same-origin`` (a header pages cannot set) is accepted.
    """
    origin = request.headers.get("origin")
    if origin is None or origin.strip() == "null":
        referer = request.headers.get("referer")
        origin = referer if referer else None
    if origin is not None:
        return origin_of(origin) in settings.trusted_origins
    return request.headers.get("sec-fetch-site") == "same-origin"


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


def set_plain_cookie(
    response: Response, settings: Settings, name: str, value: str, max_age: int
) -> None:
    """Any other cookie the server sets (the admin's CSRF seed), with the session cookies'
    attributes: HttpOnly, ``SameSite=Strict``, Secure when configured, path ``/``."""
    header = cookie_header(
        name, value, max_age=max_age, path="/", secure=settings.auth_cookie_secure
    )
    response.headers.append("set-cookie", header)


def clear_session_cookies(response: Response, settings: Settings) -> None:
    """Expire both cookies (logout): empty values, ``Max-Age=0``, the same attributes."""
    secure = settings.auth_cookie_secure
    for name, path in ((ACCESS_COOKIE, "/"), (REFRESH_COOKIE, REFRESH_PATH)):
        response.headers.append(
            "set-cookie", cookie_header(name, "", max_age=0, path=path, secure=secure)
        )
