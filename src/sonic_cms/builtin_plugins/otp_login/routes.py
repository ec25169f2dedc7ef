"""``/auth/otp/*``: SonicJS's one-time-code routes and bodies.

``request`` and ``resend`` answer ``{message, expiresIn}`` (seconds) whether or not the address
is an account, and mail the code after the answer is decided; ``verify`` answers like
``POST /auth/login`` (``{user, token, refresh_token, expires_in}`` and the cookies) with
SonicJS's ``success`` and ``message`` beside it.
"""

from __future__ import annotations

import functools

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from pydantic import BaseModel, Field

from sonic_cms.api.bodies import StrictBody, body_doc, no_nul_in_params, read_body
from sonic_cms.api.deps import PublicCtxDep
from sonic_cms.api.openapi import DocumentedRoute, errors, ok
from sonic_cms.api.responses import JSONBytesResponse
from sonic_cms.builtin_plugins.otp_login import service
from sonic_cms.builtin_plugins.otp_login.service import OtpSettings
from sonic_cms.builtin_plugins.passwordless import (
    EMAIL_PATTERN,
    EmailBody,
    SignedInBySecret,
    caller,
    mail_secret,
    normalise,
    plugin_settings,
    signed_in,
)
from sonic_cms.context import Context

NAME = "otp-login"
ANSWER = "If an account exists for this email, you will receive a verification code shortly."


class VerifyBody(StrictBody):
    """The address, the mailed code, and the TOTP code when the account has 2FA."""

    email: str = Field(min_length=3, max_length=320, pattern=EMAIL_PATTERN)
    code: str = Field(min_length=4, max_length=8, pattern=r"^[0-9]+$")
    totp_code: str | None = Field(None, max_length=16)


class CodeRequested(BaseModel):
    """The same answer for every address."""

    message: str
    expiresIn: int = Field(description="Seconds a code works")  # noqa: N815 - SonicJS's name


@functools.cache
def router() -> APIRouter:
    """The plugin's routes, mounted under /auth/otp while the plugin is active (built once
    per process: every app includes the same routes, which read the app's state per request)."""
    api = APIRouter(
        tags=["plugins: otp-login"],
        route_class=DocumentedRoute,
        dependencies=[Depends(no_nul_in_params)],
    )
    requested = {**ok(CodeRequested), **errors(429)}

    @api.post("/request", openapi_extra=body_doc(EmailBody), responses=requested)
    async def request_code(
        request: Request, ctx: PublicCtxDep, tasks: BackgroundTasks
    ) -> JSONBytesResponse:
        """Mail a sign-in code if the address is an active account; the same answer always."""
        return await _send_code(request, ctx, tasks)

    @api.post("/resend", openapi_extra=body_doc(EmailBody), responses=requested)
    async def resend_code(
        request: Request, ctx: PublicCtxDep, tasks: BackgroundTasks
    ) -> JSONBytesResponse:
        """Mail a new code (the earlier one stops working); counted like ``/request``."""
        return await _send_code(request, ctx, tasks)

    @api.post(
        "/verify",
        openapi_extra=body_doc(VerifyBody),
        responses={**ok(SignedInBySecret), **errors(401, 429)},
    )
    async def verify_code(request: Request, ctx: PublicCtxDep) -> JSONBytesResponse:
        """Sign in with the mailed code (and the TOTP code when the account has 2FA)."""
        body = await read_body(request, VerifyBody)
        options = plugin_settings(request, NAME, OtpSettings)
        who = caller(request)
        result = await ctx.run_write(
            lambda: service.verify_code(
                ctx, options, normalise(body.email), body.code, body.totp_code, who
            )
        )
        return signed_in(ctx, result)

    return api


async def _send_code(request: Request, ctx: Context, tasks: BackgroundTasks) -> JSONBytesResponse:
    options = plugin_settings(request, NAME, OtpSettings)
    await mail_secret(request, ctx, tasks, functools.partial(service.request_code, ctx, options))
    answer = {"message": ANSWER, "expiresIn": options.code_expiry_minutes * 60}
    return JSONBytesResponse(answer, background=tasks)
