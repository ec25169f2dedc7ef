"""What the admin borrows from the HTTP API, handed in by the app factory.

The admin sits below ``sonic_cms.api`` in the layer contract (the app factory mounts it), so it
may not import the API's request helpers. :func:`sonic_cms.api.app.create_app` passes the one
authentication, the session cookie writers, the refresh cookie's reader and the client-address
rule here instead, so the admin signs in, reads cookies and throttles exactly as the API does,
with no second copy.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Request
from starlette.responses import Response

from sonic_cms.actors import Actor
from sonic_cms.auth.sessions import IssuedTokens
from sonic_cms.config import Settings


@dataclass(frozen=True)
class WebBindings:
    """The API's request helpers the admin pages use."""

    authenticate: Callable[[Request], Awaitable[Actor]]
    set_session_cookies: Callable[[Response, Settings, IssuedTokens], None]
    clear_session_cookies: Callable[[Response, Settings], None]
    set_plain_cookie: Callable[[Response, Settings, str, str, int], None]
    client_ip: Callable[[Request], str | None]
    #: The refresh token from its cookie (sent only to ``/auth`` paths), or None.
    refresh_token: Callable[[Request], str | None]
