"""Request authentication: the one place a request's credentials become an Actor.

- ``Authorization: Bearer`` carries an API token (``sonic_...``) or a signed access token; a
  request with that header never uses cookies.
- Otherwise the ``auth_token`` cookie (set by ``/auth/login``) is read. Cookies ride along on
  cross-site requests, so a cookie-authenticated unsafe method must come from our own origin
  (Origin or Referer matches, or ``Sec-Fetch-Site: same-origin``); anything else is 403.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request

from sonic_cms.api.context import AppContext
from sonic_cms.config import Settings
from sonic_cms.services import api_tokens
from sonic_cms.services.actors import ANONYMOUS, Actor
from sonic_cms.services.authentication import actor_for_bearer
from sonic_cms.services.errors import Forbidden, Unauthorized

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
        return await _bearer_actor(context, credential)
    cookie = request.cookies.get(ACCESS_COOKIE)
    if not cookie:
        return ANONYMOUS
    if request.method not in SAFE_METHODS and not same_origin(request, context.settings):
        raise Forbidden("Cross-site request refused (CSRF check failed)", code="csrf_failed")
    return await context.db.run_read(
        actor_for_bearer, context.db, context.settings, context.clock, cookie
    )


async def _bearer_actor(context: AppContext, credential: str) -> Actor:
    db, settings, clock = context.db, context.settings, context.clock
    if api_tokens.looks_like_api_token(credential):
        use = await db.run_read(api_tokens.resolve_token, db, settings, clock, credential)
        if use.touch and use.actor.token_id is not None:
            await db.run_write(api_tokens.touch_token, db, settings, clock, use.actor.token_id)
        return use.actor
    return await db.run_read(actor_for_bearer, db, settings, clock, credential)


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def trusted_origins(request: Request, settings: Settings) -> set[str]:
    """Our own origin (as the request and ``public_url`` name it) plus configured extras."""
    origins = {f"{request.url.scheme}://{request.url.netloc}".lower()}
    public = _origin_of(settings.public_url)
    if public:
        origins.add(public)
    extras = (o.strip() for o in settings.csrf_trusted_origins.split(","))
    origins.update(o.rstrip("/").lower() for o in extras if o)
    return origins


def same_origin(request: Request, settings: Settings) -> bool:
    """Whether an unsafe cookie-authenticated request provably comes from a trusted origin."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        referer = request.headers.get("referer")
        origin = _origin_of(referer) if referer else None
    if origin is not None:
        return origin.rstrip("/").lower() in trusted_origins(request, settings)
    return request.headers.get("sec-fetch-site") == "same-origin"
