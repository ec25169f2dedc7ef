"""``/admin/profile``: every signed-in user's own page; and ``/admin/confirm-email``, where the
link of an email change is confirmed.

Name (``user_admin.update_profile``), email change with verification
(:mod:`sonic_cms.auth.email_change`: the link goes to the new address, the old one is told),
password (``user_admin.change_password``, current password required), TOTP enrolment with a QR
code (``two_factor.enroll``/``confirm``/``disable``; the QR is drawn as inline SVG by segno on
the server: no script, nothing leaves the server but the page), and one's own sessions
(``sessions.list_sessions``, ``revoke_own_session``, ``revoke_user_sessions``). Every form
answers htmx with the profile again and a toast; a plain post gets a 303 back here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import segno
from fastapi import APIRouter, BackgroundTasks, Request
from starlette.responses import RedirectResponse, Response

from sonic_cms.actors import Actor
from sonic_cms.admin.pages.administration.users import toast_answer
from sonic_cms.admin.pages.editorial.item_panel import attempt, checked_form
from sonic_cms.admin.pages.frame import PageActor, context_for, frame_values, page
from sonic_cms.admin.pages.session import LOGIN_PATH, services_for
from sonic_cms.admin.security import check_csrf, page_headers
from sonic_cms.admin.templating import admin_of, render
from sonic_cms.auth import email_change, sessions, two_factor, user_admin
from sonic_cms.auth.mail import MailMessage, deliver
from sonic_cms.context import Context
from sonic_cms.errors import ServiceError

router = APIRouter(include_in_schema=False)
PATH = "/admin/profile"
CONFIRM_PATH = email_change.CONFIRM_PATH
#: The QR code's module size in CSS pixels (a 33-module code: about 150 px with its border).
QR_SCALE = 4


def qr_svg(uri: str) -> str:
    """The provisioning URI as an inline SVG QR code (segno), dark on white."""
    code = segno.make(uri, error="m")
    svg: str = code.svg_inline(
        scale=QR_SCALE, border=3, dark="#101828", light="#ffffff", title="QR code to scan"
    )
    return svg


def secret_of(uri: str) -> str:
    """The secret inside an ``otpauth://`` URI, in groups of four for typing by hand."""
    secret = (parse_qs(urlsplit(uri).query).get("secret") or [""])[0]
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def profile_values(ctx: Context) -> dict[str, Any]:
    """The user (through ``get_user``, oneself) and their live sessions; call inside
    ``ctx.run_read``."""
    user_id = str(ctx.actor.user_id)
    return {
        "me": user_admin.get_user(ctx, user_id),
        "sessions": sessions.list_sessions(ctx),
        "enrolment": None,
    }


@router.get(PATH)
async def profile_page(request: Request, actor: PageActor) -> Response:
    """The signed-in user's profile."""
    ctx = context_for(request, actor)
    values = await ctx.run_read(lambda: profile_values(ctx) | frame_values(ctx, current=PATH))
    return page(request, actor, "profile.html", crumbs=[("Profile", None)], **values)


async def _answer(
    request: Request,
    actor: Actor,
    ctx: Context,
    toast: tuple[str, bool],
    *,
    mail: MailMessage | None = None,
    **extra: Any,
) -> Response:
    """The profile again with a toast (``extra`` adds the enrolment); a plain post: back to
    the profile."""
    return await toast_answer(
        request,
        actor,
        "_profile_swap.html",
        PATH,
        lambda: profile_values(ctx) | extra,
        toast,
        mail,
    )


async def _act(
    request: Request,
    actor: Actor,
    call: Callable[[Context, dict[str, str], str | None], Any],
    done: str,
) -> Response:
    """Check the CSRF token, run one service write with the form, answer with a toast."""
    form = await checked_form(request, actor)
    ctx = context_for(request, actor)
    ip = admin_of(request).web.client_ip(request)
    toast = await attempt(ctx, lambda: call(ctx, form, ip), done)
    return await _answer(request, actor, ctx, toast)


@router.post(PATH + "/name")
async def save_name(request: Request, actor: PageActor) -> Response:
    """First and last name (``user_admin.update_profile``)."""

    def run(ctx: Context, form: dict[str, str], _: str | None) -> None:
        changes = {"first_name": form.get("first_name", ""), "last_name": form.get("last_name", "")}
        user_admin.update_profile(ctx, changes)

    return await _act(request, actor, run, "Your name was saved.")


@router.post(PATH + "/email")
async def change_email(request: Request, actor: PageActor) -> Response:
    """Ask for an email change: the link goes to the new address (current password
    required); nothing changes until it is opened."""
    form = await checked_form(request, actor)
    ctx = context_for(request, actor)
    ip = admin_of(request).web.client_ip(request)
    new_email = form.get("email", "").strip()
    mails: list[MailMessage] = []

    def run() -> None:
        mails.append(
            email_change.request_change(
                ctx, new_email=new_email, password=form.get("password", ""), ip=ip
            )
        )

    done = f"A confirmation link was sent to {new_email}. Your address changes when you open it."
    toast = await attempt(ctx, run, done)
    return await _answer(request, actor, ctx, toast, mail=mails[0] if mails else None)


@router.post(PATH + "/password")
async def change_password(request: Request, actor: PageActor) -> Response:
    """A new password (current one required); every other session is signed out."""
    form = await checked_form(request, actor)
    ctx = context_for(request, actor)
    if form.get("new_password", "") != form.get("new_password_again", ""):
        return await _answer(request, actor, ctx, ("The two new passwords differ.", False))
    ip = admin_of(request).web.client_ip(request)
    toast = await attempt(
        ctx,
        lambda: user_admin.change_password(
            ctx, current=form.get("current_password", ""), new=form.get("new_password", ""), ip=ip
        ),
        "Your password was changed; your other sessions were signed out.",
    )
    return await _answer(request, actor, ctx, toast)


@router.post(PATH + "/2fa/enroll")
async def enroll(request: Request, actor: PageActor) -> Response:
    """Start TOTP enrolment: the QR code (and the secret for typing) is shown this once."""
    await checked_form(request, actor)
    ctx = context_for(request, actor)
    uris: list[str] = []
    toast = await attempt(
        ctx, lambda: uris.append(two_factor.enroll(ctx)), "Scan the code, then enter a code."
    )
    enrolment = {"svg": qr_svg(uris[0]), "secret": secret_of(uris[0])} if uris else None
    return await _answer(request, actor, ctx, toast, enrolment=enrolment)


@router.post(PATH + "/2fa/confirm")
async def confirm_two_factor(request: Request, actor: PageActor) -> Response:
    """Turn 2FA on with a first valid code."""

    def run(ctx: Context, form: dict[str, str], ip: str | None) -> None:
        two_factor.confirm(ctx, form.get("code", "").strip(), ip)

    return await _act(request, actor, run, "Two-factor authentication is on.")


@router.post(PATH + "/2fa/disable")
async def disable_two_factor(request: Request, actor: PageActor) -> Response:
    """Turn 2FA off with a current code."""

    def run(ctx: Context, form: dict[str, str], ip: str | None) -> None:
        two_factor.disable(ctx, form.get("code", "").strip(), ip)

    return await _act(request, actor, run, "Two-factor authentication is off.")


@router.post(PATH + "/sessions/{session_id}/revoke")
async def revoke_session(request: Request, actor: PageActor, session_id: str) -> Response:
    """Sign one of one's other sessions out (404 for anybody else's)."""

    def run(ctx: Context, _form: dict[str, str], _ip: str | None) -> None:
        sessions.revoke_own_session(ctx, session_id)

    return await _act(request, actor, run, "That session was signed out.")


@router.post(PATH + "/sign-out-everywhere")
async def sign_out_everywhere(request: Request, actor: PageActor) -> Response:
    """Revoke every session of the user, this one included; on to the sign-in page."""
    await checked_form(request, actor)
    ctx = context_for(request, actor)
    user_id = str(actor.user_id)
    await ctx.run_write(lambda: sessions.revoke_user_sessions(ctx, user_id))
    admin = admin_of(request)
    target = f"{LOGIN_PATH}?signed_out=1"
    if request.headers.get("hx-request"):
        response: Response = Response(status_code=204, headers={"hx-redirect": target})
        page_headers(response)
    else:
        response = page_headers(RedirectResponse(target, status_code=303))
    admin.web.clear_session_cookies(response, admin.settings)
    return response


# --- confirming an email change (the mailed link; no session needed) -------------------------


def _token_of(raw: object) -> str:
    return raw.strip()[: email_change.MAX_TOKEN + 1] if isinstance(raw, str) else ""


@router.get(CONFIRM_PATH)
async def confirm_email_page(request: Request) -> Response:
    """What the link would do, with a button (a mail scanner fetching the link changes
    nothing); a dead link says so (400)."""
    token = _token_of(request.query_params.get("token"))
    ctx = services_for(request, None)
    try:
        pending = await ctx.run_read(lambda: email_change.pending_change(ctx, token))
    except ServiceError as failure:
        return render(request, "confirm_email.html", status=failure.status, error=failure.message)
    return render(request, "confirm_email.html", pending=pending, token=token)


@router.post(CONFIRM_PATH)
async def confirm_email_submit(request: Request) -> Response:
    """Change the address (``email_change.confirm_change``); the old address is told."""
    admin = admin_of(request)
    await check_csrf(request, admin.settings, None)
    form = await request.form()
    token = _token_of(form.get("token"))
    ctx = services_for(request, None)
    try:
        user, notice = await ctx.run_write(lambda: email_change.confirm_change(ctx, token))
    except ServiceError as failure:
        return render(request, "confirm_email.html", status=failure.status, error=failure.message)
    response = render(request, "confirm_email.html", done=user["email"])
    tasks = BackgroundTasks()
    tasks.add_task(deliver, ctx.settings, notice)
    response.background = tasks
    return response
