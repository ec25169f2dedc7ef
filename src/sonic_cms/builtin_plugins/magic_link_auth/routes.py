"""``/auth/magic-link/*``: SonicJS's magic-link routes.

``POST /request`` answers ``{message}`` whether or not the address is an account and mails the
link after the answer is decided. ``GET /verify?token=`` is the mailed link (SonicJS's method
and parameter); it signs in and answers like ``POST /auth/login`` (``{user, token,
refresh_token, expires_in}`` and the cookies) where SonicJS redirects to its admin dashboard,
which sonic-cms does not have. ``POST /verify`` with ``{token, totp_code}`` does the same from a
page a front end shows: the way for accounts with 2FA, and safe from mail scanners that open
every link they see.
"""

from __future__ import annotations

import functools
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from pydantic import Field

from sonic_cms.api.bodies import StrictBody, body_doc, no_nul_in_params, read_body
from sonic_cms.api.deps import PublicCtxDep
from sonic_cms.api.models import common as docs
from sonic_cms.api.openapi import DocumentedRoute, errors, ok
from sonic_cms.api.params import only_params
from sonic_cms.api.responses import JSONBytesResponse
from sonic_cms.builtin_plugins.magic_link_auth import service
from sonic_cms.builtin_plugins.magic_link_auth.service import MAX_TOKEN, MagicLinkSettings
from sonic_cms.builtin_plugins.passwordless import (
    EmailBody,
    SignedInBySecret,
    caller,
    mail_secret,
    plugin_settings,
    signed_in,
)
from sonic_cms.context import Context

NAME = "magic-link-auth"
ANSWER = "If an account exists for this email, you will receive a magic link shortly."
TokenQuery = Annotated[str, Query(min_length=1, max_length=MAX_TOKEN)]


class VerifyBody(StrictBody):
    """The link's token, and the TOTP code when the account has 2FA."""

    token: str = Field(min_length=1, max_length=MAX_TOKEN)
    totp_code: str | None = Field(None, max_length=16)


@functools.cache
def router() -> APIRouter:
    """The plugin's routes, mounted under /auth/magic-link while the plugin is active (built
    once per process: every app includes the same routes)."""
    api = APIRouter(
        tags=["plugins: magic-link-auth"],
        route_class=DocumentedRoute,
        dependencies=[Depends(no_nul_in_params)],
    )
    signed = {**ok(SignedInBySecret), **errors(401, 429)}

    @api.post(
        "/request",
        openapi_extra=body_doc(EmailBody),
        responses={**ok(docs.Message), **errors(429)},
    )
    async def request_link(
        request: Request, ctx: PublicCtxDep, tasks: BackgroundTasks
    ) -> JSONBytesResponse:
        """Mail a sign-in link if the address is an active account; the same answer always."""
        options = plugin_settings(request, NAME, MagicLinkSettings)
        await mail_secret(
            request,
            ctx,
            tasks,
            lambda address, who: service.request_link(ctx, options, address, who),
        )
        return JSONBytesResponse({"message": ANSWER}, background=tasks)

    @api.get("/verify", dependencies=[Depends(only_params("token"))], responses=signed)
    async def verify_link(request: Request, ctx: PublicCtxDep, token: TokenQuery) -> object:
        """The mailed link: sign in (a 2FA account answers 401 ``two_factor_required`` and
        keeps its link for ``POST /verify``)."""
        return await _sign_in(request, ctx, token, None)

    @api.post("/verify", openapi_extra=body_doc(VerifyBody), responses=signed)
    async def verify_link_post(request: Request, ctx: PublicCtxDep) -> object:
        """Sign in with the link's token (and the TOTP code when the account has 2FA)."""
        body = await read_body(request, VerifyBody)
        return await _sign_in(request, ctx, body.token, body.totp_code)

    return api


async def _sign_in(
    request: Request, ctx: Context, token: str, totp_code: str | None
) -> JSONBytesResponse:
    who = caller(request)
    result = await ctx.run_write(lambda: service.verify_link(ctx, token, totp_code, who))
    return signed_in(ctx, result)
