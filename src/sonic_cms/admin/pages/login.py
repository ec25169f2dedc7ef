"""Sign-in and sign-out pages: ``/admin/login`` (also served at SonicJS's ``GET /auth/login``),
the TOTP second step, and ``POST /admin/logout``.

Signing in goes through :func:`sonic_cms.auth.login.login`, the API's own service, so the
throttle, the 2FA check, the ``auth:login`` hooks and the session are the same as for
``POST /auth/login``; the session lands in the same cookies.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from sonic_cms.admin.pages.session import LOGIN_PATH, page_actor, services_for
from sonic_cms.admin.security import check_csrf, page_headers
from sonic_cms.admin.templating import admin_of, render
from sonic_cms.auth.login import login
from sonic_cms.auth.sessions import revoke_session
from sonic_cms.errors import ServiceError

router = APIRouter(include_in_schema=False)
HOME = "/admin"
SIGNED_OUT_NOTICE = "You have been signed out."


def _redirect(url: str) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    page_headers(response)
    return response


@router.get(LOGIN_PATH)
@router.get("/auth/login")
async def login_page(request: Request) -> Response:
    """The sign-in form; a visitor already signed in goes straight to the dashboard."""
    if await page_actor(request) is not None:
        return _redirect(HOME)
    notice = SIGNED_OUT_NOTICE if request.query_params.get("signed_out") else None
    return render(request, "login.html", step="password", notice=notice, email="")


@router.post(LOGIN_PATH)
async def login_submit(request: Request) -> Response:
    """Check the form through the API's sign-in service; on success set the session cookies
    and land on ``/admin``, else show the form again with the reason."""
    admin = admin_of(request)
    await check_csrf(request, admin.settings, None)
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    email, password = fields.get("email", "").strip(), fields.get("password", "")
    code = fields.get("code", "").strip() or None
    ctx = services_for(request, None)
    ip, agent = admin.web.client_ip(request), request.headers.get("user-agent")
    try:
        result = await ctx.run_write(
            lambda: login(
                ctx, identifier=email, password=password, totp_code=code, ip=ip, user_agent=agent
            )
        )
    except ServiceError as failure:
        return _form_again(request, failure, email, password)
    response = _redirect(HOME)
    admin.web.set_session_cookies(response, admin.settings, result.tokens)
    return response


def _form_again(request: Request, failure: ServiceError, email: str, password: str) -> Response:
    """The form after a refused attempt: the TOTP step when only the code is missing or wrong
    (the first factor rides along in the form, never stored), else the password step."""
    second_step = failure.code in {"two_factor_required", "invalid_two_factor_code"}
    values: dict[str, Any] = {"email": email, "notice": None}
    if second_step:
        values |= {"step": "totp", "password": password}
        if failure.code == "invalid_two_factor_code":
            values["error"] = failure.message
    else:
        values |= {"step": "password", "error": failure.message}
    status = 200 if failure.code == "two_factor_required" else failure.status
    return render(request, "login.html", status=status, **values)


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
