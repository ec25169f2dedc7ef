"""Sign-in and sign-out pages: ``/admin/login`` (also served at SonicJS's ``GET /auth/login``),
the TOTP second step, ``GET /auth/refresh-session`` and ``POST /admin/logout``.

Signing in goes through :mod:`sonic_cms.auth.second_step`, the two-request form of the API's
own sign-in service, so the throttle, the 2FA check, the ``auth:login`` hooks and the session
are the same as for ``POST /auth/login``; the session lands in the same cookies. Between the
two steps the page holds a signed, five-minute "password verified" token, never the password.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from sonic_cms.admin.pages.session import (
    HOME,
    LOGIN_PATH,
    REFRESH_PATH,
    login_address,
    page_actor,
    safe_next,
    services_for,
)
from sonic_cms.admin.security import CSRF_COOKIE, check_csrf, page_headers
from sonic_cms.admin.templating import admin_of, render
from sonic_cms.auth.login import LoginResult
from sonic_cms.auth.second_step import SecondFactorPending, begin_login, finish_login
from sonic_cms.auth.sessions import refresh, revoke_session
from sonic_cms.errors import ServiceError

router = APIRouter(include_in_schema=False)
SIGNED_OUT_NOTICE = "You have been signed out."


def _redirect(url: str) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    page_headers(response)
    return response


@router.get(LOGIN_PATH)
@router.get("/auth/login")
async def login_page(request: Request) -> Response:
    """The sign-in form; a visitor already signed in goes straight on (to ``next``, or the
    dashboard)."""
    wanted = safe_next(request.query_params.get("next"))
    if await page_actor(request) is not None:
        return _redirect(wanted or HOME)
    notice = SIGNED_OUT_NOTICE if request.query_params.get("signed_out") else None
    return render(request, "login.html", step="password", notice=notice, email="", next=wanted)


@router.post(LOGIN_PATH)
async def login_submit(request: Request) -> Response:
    """One step of signing in, through the auth services the API uses (same throttle, 2FA,
    ``auth:login`` hooks and session): the password step, or, for an account with 2FA, the
    code step carrying the signed token of the password step (never the password itself).
    Success sets the session cookies and lands on ``next`` (a local admin page) or
    ``/admin``."""
    admin = admin_of(request)
    await check_csrf(request, admin.settings, None)
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    wanted = safe_next(fields.get("next"))
    try:
        result = await _attempt(request, fields)
    except ServiceError as failure:
        email, pending = fields.get("email", "").strip(), fields.get("pending", "")
        return _form_again(request, failure, email, pending, wanted)
    if isinstance(result, SecondFactorPending):
        return _code_step(request, result.token, wanted)
    response = _redirect(wanted or HOME)
    admin.web.set_session_cookies(response, admin.settings, result.tokens)
    return response


async def _attempt(request: Request, fields: dict[str, str]) -> LoginResult | SecondFactorPending:
    """The step the form is at: the code step when it carries a pending token, else the
    password step. Both are bound to this browser's CSRF seed (present: the CSRF check
    passed)."""
    admin = admin_of(request)
    ctx = services_for(request, None)
    binding = request.cookies.get(CSRF_COOKIE, "")
    ip, agent = admin.web.client_ip(request), request.headers.get("user-agent")
    pending, code = fields.get("pending", ""), fields.get("code", "").strip() or None
    if pending:
        return await ctx.run_write(
            lambda: finish_login(
                ctx, token=pending, totp_code=code, binding=binding, ip=ip, user_agent=agent
            )
        )
    email, password = fields.get("email", "").strip(), fields.get("password", "")
    return await ctx.run_write(
        lambda: begin_login(
            ctx, identifier=email, password=password, binding=binding, ip=ip, user_agent=agent
        )
    )


def _code_step(
    request: Request, token: str, wanted: str | None, *, status: int = 200, error: str = ""
) -> Response:
    """The TOTP step: the pending token and ``next`` ride in the form, nothing else."""
    values: dict[str, Any] = {"pending": token, "next": wanted, "notice": None, "error": error}
    return render(request, "login.html", status=status, step="totp", **values)


def _form_again(
    request: Request, failure: ServiceError, email: str, pending: str, wanted: str | None
) -> Response:
    """The form after a refused attempt: the code step again for a wrong or missing code
    (the same token: it stays valid until used or expired), else the password step."""
    if pending and failure.code in {"two_factor_required", "invalid_two_factor_code"}:
        return _code_step(request, pending, wanted, status=failure.status, error=failure.message)
    values: dict[str, Any] = {"email": email, "notice": None, "next": wanted}
    return render(
        request,
        "login.html",
        status=failure.status,
        step="password",
        error=failure.message,
        **values,
    )


@router.get(REFRESH_PATH)
async def refresh_session(request: Request) -> Response:
    """Renew an expired access token from the refresh cookie (which the browser sends only to
    ``/auth`` paths) through the API's refresh service, then go back to ``next``; without a
    live refresh token, on to the sign-in page, which returns to ``next`` afterwards.

    A GET that rotates the refresh token: the cookies are ``SameSite=Strict``, so a link or
    redirect from another site arrives without them and can only reach the sign-in page.
    """
    admin = admin_of(request)
    wanted = safe_next(request.query_params.get("next")) or HOME
    token = admin.web.refresh_token(request)
    if token:
        ctx = services_for(request, None)
        try:
            tokens = await ctx.run_write(lambda: refresh(ctx, token))
        except ServiceError:
            tokens = None
        if tokens is not None:
            response = _redirect(wanted)
            admin.web.set_session_cookies(response, admin.settings, tokens)
            return response
    response = _redirect(login_address(wanted))
    if token:  # a dead refresh token: forget it
        admin.web.clear_session_cookies(response, admin.settings)
    return response


@router.post("/admin/logout")
async def logout(request: Request) -> Response:
    """Revoke the session on the server, clear the cookies, back to the sign-in page."""
    admin = admin_of(request)
    actor = await page_actor(request)
    if actor is None:
        return _redirect(LOGIN_PATH)
    await check_csrf(request, admin.settings, actor.session_id)
    ctx = services_for(request, actor)
    await ctx.run_write(lambda: revoke_session(ctx, session_id=actor.session_id))
    response = _redirect(f"{LOGIN_PATH}?signed_out=1")
    admin.web.clear_session_cookies(response, admin.settings)
    return response
