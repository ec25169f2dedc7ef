"""``/admin/forgot-password``: the sign-in page's "Forgot password?", in front of the API's
reset flow (:func:`sonic_cms.auth.password_reset.request_reset`, the service behind
``POST /auth/request-password-reset``: the same throttle, token and mail)."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request
from starlette.responses import Response

from sonic_cms.admin.pages.session import services_for
from sonic_cms.admin.security import check_csrf
from sonic_cms.admin.templating import admin_of, render
from sonic_cms.auth import password_reset
from sonic_cms.auth.mail import deliver
from sonic_cms.errors import ServiceError

router = APIRouter(include_in_schema=False)
PATH = "/admin/forgot-password"
#: The same answer whether or not the account exists, as the API gives.
SENT = "If an account uses this email, a link to choose a new password is on its way."


@router.get(PATH)
async def forgot_page(request: Request) -> Response:
    """The form asking for the account's email."""
    return render(request, "forgot.html", email="")


@router.post(PATH)
async def forgot_submit(request: Request, tasks: BackgroundTasks) -> Response:
    """Ask the reset service for a link; the mail goes out after the answer."""
    admin = admin_of(request)
    await check_csrf(request, admin.settings, None)
    form = await request.form()
    raw = form.get("email")
    email = raw.strip() if isinstance(raw, str) else ""
    if "@" not in email:
        return render(request, "forgot.html", status=422, email=email, error="Enter an email.")
    ctx = services_for(request, None)
    ip = admin.web.client_ip(request)
    try:
        mail = await ctx.run_write(lambda: password_reset.request_reset(ctx, email, ip))
    except ServiceError as failure:
        return render(
            request, "forgot.html", status=failure.status, email=email, error=failure.message
        )
    tasks.add_task(deliver, ctx.settings, mail)
    response = render(request, "forgot.html", email="", notice=SENT)
    response.background = tasks
    return response
