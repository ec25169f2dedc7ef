"""Registration, password reset, invitations and email verification, at SonicJS's paths.

Mail goes out as a background task after the answer is decided: a reset request answers the
same, as fast, whether or not the address exists. Field errors are SonicJS's 400
``{"error": "Validation failed", "details": [...]}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from pydantic import EmailStr, Field, model_validator
from starlette.responses import RedirectResponse, Response

from sonic_cms.api.bodies import (
    StrictBody,
    StrictModel,
    body_doc,
    invalid,
    no_nul_in_params,
    read_body,
)
from sonic_cms.api.deps import CtxDep, PublicCtxDep
from sonic_cms.api.models import common as docs
from sonic_cms.api.models import users as udocs
from sonic_cms.api.openapi import DocumentedRoute, errors, ok
from sonic_cms.api.responses import JSONBytesResponse
from sonic_cms.api.routes.auth import client_ip, session_response
from sonic_cms.auth import (
    email_change,
    email_verification,
    invitations,
    password_reset,
    registration,
)
from sonic_cms.auth.mail import deliver
from sonic_cms.db.records import ROLE_PATTERN
from sonic_cms.errors import ValidationFailed

router = APIRouter(
    tags=["account"], dependencies=[Depends(no_nul_in_params)], route_class=DocumentedRoute
)
T = TypeVar("T")
TokenQuery = Annotated[str, Query(min_length=1, max_length=200)]
RESET_ANSWER = "If an account exists for this email, a reset link has been sent"


class RegisterBody(StrictBody):
    """SonicJS's register body (camelCase names accepted as well as snake_case)."""

    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1024)
    username: str = Field(min_length=3, max_length=64)
    first_name: str = Field("", max_length=100, alias="firstName")
    last_name: str = Field("", max_length=100, alias="lastName")

    @model_validator(mode="after")
    def _names_given(self) -> RegisterBody:
        """A new account has a first and a last name: absent, empty or blank is a 422 (raised,
        not a pydantic error, so the auth routes' 400 for field types does not apply)."""
        blank = [
            {"path": name, "message": "is required: not empty or blank"}
            for name, value in (("firstName", self.first_name), ("lastName", self.last_name))
            if not value.strip()
        ]
        if blank:
            raise ValidationFailed("Validation failed", details=blank)
        return self


class EmailBody(StrictBody):
    """An email address."""

    email: str = Field(min_length=3, max_length=320)


class ResetBody(StrictBody):
    """A reset token and the new password."""

    token: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1024)


class AcceptBody(StrictBody):
    """An invitation token, the password to set, and optional names."""

    token: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1024)
    first_name: str | None = Field(None, max_length=100, alias="firstName")
    last_name: str | None = Field(None, max_length=100, alias="lastName")


class ChangeEmailBody(StrictBody):
    """The new address and the current password."""

    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class EmailChangeTokenBody(StrictBody):
    """The token of a mailed email-change link."""

    token: str = Field(min_length=1, max_length=email_change.MAX_TOKEN)


class InviteBody(StrictModel):
    """Who to invite, as what."""

    email: EmailStr
    role: str = Field("viewer", pattern=ROLE_PATTERN)
    first_name: str = Field("", max_length=100, alias="firstName")
    last_name: str = Field("", max_length=100, alias="lastName")


def as_400(call: Callable[[], T]) -> T:
    """Run ``call``; a field-validation failure becomes SonicJS's 400 shape."""
    try:
        return call()
    except ValidationFailed as exc:
        raise invalid(exc.details) from exc


@router.post(
    "/auth/register",
    status_code=201,
    openapi_extra=body_doc(RegisterBody),
    responses={**ok(udocs.SignedIn, 201), **errors(403)},
)
async def register_route(
    request: Request, ctx: PublicCtxDep, tasks: BackgroundTasks
) -> JSONBytesResponse:
    """Create a viewer account when registration is enabled (403 otherwise; 409 duplicate)."""
    body = await read_body(request, RegisterBody)

    def run() -> Any:
        return as_400(
            lambda: registration.register(
                ctx,
                email=body.email,
                password=body.password,
                username=body.username,
                first_name=body.first_name,
                last_name=body.last_name,
            )
        )

    user, tokens, mail = await ctx.run_write(run)
    tasks.add_task(deliver, ctx.settings, mail)
    response = session_response(ctx.settings, tokens, {"user": user}, status=201)
    response.background = tasks
    return response


@router.post(
    "/auth/request-password-reset", openapi_extra=body_doc(EmailBody), responses=ok(docs.Message)
)
async def request_reset_route(
    request: Request, ctx: PublicCtxDep, tasks: BackgroundTasks
) -> dict[str, str]:
    """Send a reset link if the account exists; the answer is the same either way."""
    body = await read_body(request, EmailBody)
    ip = client_ip(request)
    mail = await ctx.run_write(lambda: password_reset.request_reset(ctx, body.email, ip))
    tasks.add_task(deliver, ctx.settings, mail)
    return {"message": RESET_ANSWER}


@router.get("/auth/reset-password", responses=ok(udocs.ValidEnvelope))
async def check_reset_route(token: TokenQuery, ctx: PublicCtxDep) -> dict[str, Any]:
    """Whether a reset link is still usable (the reset page asks before showing the form)."""
    await ctx.run_read(lambda: password_reset.check_token(ctx, token))
    return {"data": {"valid": True}}


@router.post("/auth/reset-password", openapi_extra=body_doc(ResetBody), responses=ok(docs.Message))
async def reset_route(request: Request, ctx: PublicCtxDep) -> dict[str, str]:
    """Set a new password with a reset token; every session of the user is revoked."""
    body = await read_body(request, ResetBody)
    await ctx.run_write(
        lambda: as_400(lambda: password_reset.reset_password(ctx, body.token, body.password))
    )
    return {"message": "Password has been reset; please sign in"}


@router.post("/admin/api/users/invite", status_code=201, responses=ok(udocs.UserEnvelope, 201))
async def invite_route(body: InviteBody, ctx: CtxDep, tasks: BackgroundTasks) -> JSONBytesResponse:
    """Invite an email with a role (``users.create``; the role within the inviter's rights)."""
    user, mail = await ctx.run_write(
        lambda: invitations.invite(
            ctx,
            email=str(body.email),
            role=body.role,
            first_name=body.first_name,
            last_name=body.last_name,
        )
    )
    tasks.add_task(deliver, ctx.settings, mail)
    return JSONBytesResponse({"data": user}, status_code=201, background=tasks)


@router.get("/auth/accept-invitation", responses=ok(udocs.InvitationEnvelope))
async def invitation_route(request: Request, token: TokenQuery, ctx: PublicCtxDep) -> Response:
    """Who the invitation is for (400 when it is unknown, used or expired). A browser opening
    the mailed link (asking for HTML) is sent to the admin's acceptance page instead."""
    if "text/html" in request.headers.get("accept", ""):
        return RedirectResponse(f"/admin/accept-invitation?token={quote(token)}", 303)
    details = await ctx.run_read(lambda: invitations.invitation_details(ctx, token))
    return JSONBytesResponse({"data": details})


@router.post(
    "/auth/accept-invitation", openapi_extra=body_doc(AcceptBody), responses=ok(udocs.SignedIn)
)
async def accept_route(request: Request, ctx: PublicCtxDep) -> JSONBytesResponse:
    """Set the password once; the account becomes active and signed in."""
    body = await read_body(request, AcceptBody)
    user, tokens = await ctx.run_write(
        lambda: as_400(
            lambda: invitations.accept(
                ctx,
                token=body.token,
                password=body.password,
                first_name=body.first_name,
                last_name=body.last_name,
            )
        )
    )
    return session_response(ctx.settings, tokens, {"user": user})


@router.get("/auth/verify-email", responses=ok(udocs.EmailVerifiedEnvelope))
async def verify_email_route(token: TokenQuery, ctx: PublicCtxDep) -> dict[str, Any]:
    """Confirm an email address with the mailed token."""
    await ctx.run_write(lambda: email_verification.verify(ctx, token))
    return {"data": {"email_verified": True}}


@router.post("/auth/resend-verification", responses=ok(docs.Message))
async def resend_verification_route(ctx: CtxDep, tasks: BackgroundTasks) -> dict[str, str]:
    """Mail a fresh verification link to the signed-in user."""
    mail = await ctx.run_write(lambda: email_verification.resend(ctx))
    tasks.add_task(deliver, ctx.settings, mail)
    return {"message": "Verification email sent"}


@router.post(
    "/auth/change-email", openapi_extra=body_doc(ChangeEmailBody), responses=ok(docs.Message)
)
async def change_email_route(
    request: Request, ctx: CtxDep, tasks: BackgroundTasks
) -> dict[str, str]:
    """Ask to move one's account to a new address (current password required): a link goes
    to the NEW address; nothing changes until it is confirmed (409 when the address is taken)."""
    body = await read_body(request, ChangeEmailBody)
    ip = client_ip(request)
    mail = await ctx.run_write(
        lambda: email_change.request_change(
            ctx, new_email=body.email, password=body.password, ip=ip
        )
    )
    tasks.add_task(deliver, ctx.settings, mail)
    return {"message": "A confirmation link was sent to the new address"}


@router.post(
    "/auth/confirm-email-change",
    openapi_extra=body_doc(EmailChangeTokenBody),
    responses=ok(udocs.UserEnvelope),
)
async def confirm_email_change_route(
    request: Request, ctx: PublicCtxDep, tasks: BackgroundTasks
) -> JSONBytesResponse:
    """Confirm an email change with the mailed link's token (single use; 400 when unknown,
    used or expired); the old address is told."""
    body = await read_body(request, EmailChangeTokenBody)
    user, notice = await ctx.run_write(lambda: email_change.confirm_change(ctx, body.token))
    tasks.add_task(deliver, ctx.settings, notice)
    return JSONBytesResponse({"data": user}, background=tasks)
