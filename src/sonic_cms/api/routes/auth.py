"""``/auth/*``: SonicJS's sign-in routes and shapes, plus server-side logout and 2FA.

Login answers ``{user, token}`` as SonicJS does (plus ``refresh_token``) and sets the HttpOnly,
SameSite=Strict ``auth_token`` cookie; the refresh token also rides in a cookie scoped to
``/auth``. Logout revokes the session on the server, so a copied token dies with it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from sonic_cms.api.auth import REFRESH_COOKIE, clear_session_cookies, set_session_cookies
from sonic_cms.api.bodies import (
    StrictBody,
    body_doc,
    invalid,
    no_nul_in_params,
    read_body,
    read_json_object,
)
from sonic_cms.api.deps import CtxDep, PublicCtxDep
from sonic_cms.api.models import common as docs
from sonic_cms.api.models import users as udocs
from sonic_cms.api.openapi import PUBLIC, DocumentedRoute, errors, ok
from sonic_cms.api.responses import JSONBytesResponse
from sonic_cms.auth import sessions, two_factor, user_admin
from sonic_cms.auth.login import login
from sonic_cms.auth.sessions import IssuedTokens
from sonic_cms.auth.users import public_user
from sonic_cms.config import Settings
from sonic_cms.errors import Unauthorized
from sonic_cms.pagination import complete_list

router = APIRouter(
    prefix="/auth",
    tags=["auth"],
    dependencies=[Depends(no_nul_in_params)],
    route_class=DocumentedRoute,
)


class LoginBody(StrictBody):
    """Email or username, password, and the TOTP code when 2FA is on."""

    email: str | None = Field(None, max_length=320)
    username: str | None = Field(None, max_length=320)
    password: str = Field(min_length=1)
    totp_code: str | None = Field(None, max_length=16, alias="code")


class RefreshBody(StrictBody):
    """The refresh token, when not sent as a cookie."""

    refresh_token: str | None = Field(None, max_length=4096)


class CodeBody(StrictBody):
    """A TOTP code."""

    code: str = Field(min_length=6, max_length=6, pattern=r"^[0-9]{6}$")


class ChangePasswordBody(StrictBody):
    """The current password and the new one."""

    current_password: str = Field(min_length=1)
    new_password: str = Field(min_length=1)


def client_ip(request: Request) -> str | None:
    """The client's address for throttling.

    The socket peer, unless the peer is one of ``SONIC_TRUSTED_PROXIES``: then the nearest
    X-Forwarded-For entry not added by a trusted proxy (the rest is client-controlled).
    """
    peer = request.client.host if request.client else None
    settings: Settings = request.app.state.ctx.settings
    trusted = settings.trusted_proxy_addresses
    if peer is None or peer not in trusted:
        return peer
    forwarded = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",")]
    for hop in reversed([h for h in forwarded if h]):
        if hop not in trusted:
            return hop[:64]
    return peer


def session_response(
    settings: Settings, tokens: IssuedTokens, body: dict[str, Any], status: int = 200
) -> JSONBytesResponse:
    """The tokens in the body and in HttpOnly, SameSite=Strict cookies."""
    response = JSONBytesResponse(
        {
            **body,
            "token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "expires_in": settings.access_token_ttl_seconds,
        },
        status_code=status,
    )
    set_session_cookies(response, settings, tokens)
    return response


@router.post(
    "/login",
    openapi_extra=body_doc(LoginBody),
    responses={**ok(udocs.SignedIn), **errors(401, 403)},
)
async def login_route(request: Request, ctx: PublicCtxDep) -> JSONBytesResponse:
    """Sign in with email or username and password (and a TOTP code when 2FA is on)."""
    body = await read_body(request, LoginBody)
    identifier = body.email or body.username
    if not identifier:
        raise invalid([{"path": "email", "message": "email or username is required"}])
    ip, user_agent = client_ip(request), request.headers.get("user-agent")
    result = await ctx.run_write(
        lambda: login(
            ctx,
            identifier=identifier,
            password=body.password,
            totp_code=body.totp_code,
            ip=ip,
            user_agent=user_agent,
        )
    )
    user = public_user(result.user.model_dump())
    return session_response(ctx.settings, result.tokens, {"user": user})


@router.post(
    "/refresh",
    openapi_extra=body_doc(RefreshBody),
    responses={**ok(udocs.Refreshed), **errors(401)},
)
async def refresh_route(request: Request, ctx: PublicCtxDep) -> JSONBytesResponse:
    """A new access token (and rotated refresh token) for a live session."""
    body = await read_body(request, RefreshBody, optional=True)
    token = body.refresh_token or request.cookies.get(REFRESH_COOKIE)
    if not token:
        raise Unauthorized("Refresh token required", code="invalid_token")
    tokens = await ctx.run_write(lambda: sessions.refresh(ctx, token))
    return session_response(ctx.settings, tokens, {})


@router.post(
    "/logout", openapi_extra={**PUBLIC, **body_doc(RefreshBody)}, responses=ok(docs.Message)
)
async def logout_route(request: Request, ctx: PublicCtxDep) -> JSONBytesResponse:
    """Revoke the session server-side (access and refresh token alike) and clear the cookies."""
    session_id = None
    try:
        actor = await request.app.state.authenticate(request)
        session_id = actor.session_id
    except Unauthorized:
        pass  # an expired access token may still log out through its refresh token
    body = await read_body(request, RefreshBody, optional=True)
    refresh_token = body.refresh_token or request.cookies.get(REFRESH_COOKIE)
    await ctx.run_write(
        lambda: sessions.revoke_session(ctx, session_id=session_id, refresh_token=refresh_token)
    )
    response = JSONBytesResponse({"message": "Logged out successfully"})
    clear_session_cookies(response, ctx.settings)
    return response


def _signed_in_user_id(actor: Any) -> str:
    if not actor.is_authenticated or actor.user_id is None:
        raise Unauthorized("Authentication required")
    return str(actor.user_id)


@router.get("/me", responses=ok(udocs.Me))
async def me_route(ctx: CtxDep) -> dict[str, Any]:
    """The signed-in user, without any secret field."""
    user_id = _signed_in_user_id(ctx.actor)
    user = await ctx.run_read(lambda: user_admin.get_user(ctx, user_id))
    return {"user": user}


@router.patch("/me", responses=ok(udocs.Me))
@router.put("/me", operation_id="replace_me_route_auth_me_put", responses=ok(udocs.Me))
async def update_me_route(request: Request, ctx: CtxDep) -> dict[str, Any]:
    """Edit one's own profile; role, status and token fields are refused with 403."""
    changes = await read_json_object(request)
    user = await ctx.run_write(lambda: user_admin.update_profile(ctx, changes))
    return {"user": user}


@router.post(
    "/change-password", openapi_extra=body_doc(ChangePasswordBody), responses=ok(docs.Message)
)
async def change_password_route(request: Request, ctx: CtxDep) -> dict[str, str]:
    """Change one's password; every other session is signed out."""
    body = await read_body(request, ChangePasswordBody)
    ip = client_ip(request)
    await ctx.run_write(
        lambda: user_admin.change_password(
            ctx, current=body.current_password, new=body.new_password, ip=ip
        )
    )
    return {"message": "Password changed"}


@router.post("/2fa/enroll", responses=ok(udocs.ProvisioningEnvelope))
async def enroll_route(ctx: CtxDep) -> dict[str, Any]:
    """Start TOTP enrolment; the provisioning URI is the only time the secret is shown."""
    uri = await ctx.run_write(lambda: two_factor.enroll(ctx))
    return {"data": {"provisioning_uri": uri}}


@router.post(
    "/2fa/confirm", openapi_extra=body_doc(CodeBody), responses=ok(udocs.TwoFactorEnvelope)
)
async def confirm_route(request: Request, ctx: CtxDep) -> dict[str, Any]:
    """Turn 2FA on with a first valid code."""
    body = await read_body(request, CodeBody)
    ip = client_ip(request)
    await ctx.run_write(lambda: two_factor.confirm(ctx, body.code, ip))
    return {"data": {"two_factor_enabled": True}}


@router.post(
    "/2fa/disable", openapi_extra=body_doc(CodeBody), responses=ok(udocs.TwoFactorEnvelope)
)
async def disable_route(request: Request, ctx: CtxDep) -> dict[str, Any]:
    """Turn 2FA off with a current code."""
    body = await read_body(request, CodeBody)
    ip = client_ip(request)
    await ctx.run_write(lambda: two_factor.disable(ctx, body.code, ip))
    return {"data": {"two_factor_enabled": False}}


@router.get("/sessions", responses=ok(udocs.SessionList))
async def sessions_route(ctx: CtxDep) -> dict[str, Any]:
    """One's live sign-in sessions (device, address, times), the current one marked."""
    rows = await ctx.run_read(lambda: sessions.list_sessions(ctx))
    return complete_list(rows, ctx.clock.now_ms())


@router.delete("/sessions/{session_id}", responses=ok(udocs.RevokedEnvelope))
async def revoke_session_route(session_id: str, ctx: CtxDep) -> dict[str, Any]:
    """Sign one of one's sessions out (a lost phone, a shared computer)."""
    await ctx.run_write(lambda: sessions.revoke_own_session(ctx, session_id))
    return {"data": {"id": session_id, "revoked": True}}


@router.post("/logout-all", responses=ok(docs.Message))
async def logout_all_route(ctx: CtxDep) -> JSONBytesResponse:
    """Sign out everywhere, this session included, and clear the cookies."""
    user_id = _signed_in_user_id(ctx.actor)
    await ctx.run_write(lambda: sessions.revoke_user_sessions(ctx, user_id))
    response = JSONBytesResponse({"message": "Logged out of every session"})
    clear_session_cookies(response, ctx.settings)
    return response
