"""Request authentication: the one place a request's credentials become an Actor.

- ``Authorization: Bearer`` carries an API token (``sonic_...``) or a signed access token; a
  request with that header never uses cookies.
- Otherwise the ``auth_token`` cookie (set by ``/auth/login``) is read. Cookies ride along on
  cross-site requests, so a cookie-authenticated unsafe method must come from a configured
  origin (``SONIC_PUBLIC_URL``, ``SONIC_CSRF_TRUSTED_ORIGINS``; see ``same_origin``); else 403.
"""

from __future__ import annotations

from fastapi import Request

from sonic_cms.actors import ANONYMOUS, Actor
from sonic_cms.api.context import AppContext
from sonic_cms.auth import api_tokens
from sonic_cms.auth.authentication import actor_for_bearer
from sonic_cms.config import Settings, origin_of
from sonic_cms.context import Context
from sonic_cms.errors import Forbidden, Unauthorized

ACCESS_COOKIE = "auth_token"
REFRESH_COOKIE = "refresh_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def authenticate(request: Request) -> Actor:
    """The request's Actor: anonymous without credentials, 401 with bad ones."""
    context: AppContext = request.app.state.ctx
    ctx = context.services  # acting for nobody: this is where the caller becomes known
    header = request.headers.get("authorization")
    if header:
        scheme, _, credential = header.partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            raise Unauthorized("Malformed Authorization header", code="invalid_token")
        return await _bearer_actor(ctx, credential)
    cookie = request.cookies.get(ACCESS_COOKIE)
    if not cookie:
        return ANONYMOUS
    if request.method not in SAFE_METHODS and not same_origin(request, ctx.settings):
        raise Forbidden("Cross-site request refused (CSRF check failed)", code="csrf_failed")
    return await ctx.run_read(lambda: actor_for_bearer(ctx, cookie))


async def _bearer_actor(ctx: Context, credential: str) -> Actor:
    if api_tokens.looks_like_api_token(credential):
        use = await ctx.run_read(lambda: api_tokens.resolve_token(ctx, credential))
        token_id = use.actor.token_id
        if use.touch and token_id is not None:
            await ctx.run_write(lambda: api_tokens.touch_token(ctx, token_id))
        return use.actor
    return await ctx.run_read(lambda: actor_for_bearer(ctx, credential))


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
