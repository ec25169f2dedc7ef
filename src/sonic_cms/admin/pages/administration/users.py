"""``/admin/users``: the user list (search, role and status filters, paging), invitations,
role changes, deactivation, deletion, revoking sessions and resetting 2FA; and
``/admin/accept-invitation``, where an invitee chooses their password.

Every action is the service behind the matching ``/admin/api/users`` route
(``auth.user_admin``, ``auth.invitations``, ``auth.sessions``, ``auth.two_factor``), so the
rules are theirs: the last active admin cannot be demoted, deactivated or deleted (409, shown
as a toast), nobody changes their own role (403), a role beyond one's own permissions is
refused (403). The page only offers what those rules allow; a crafted request gets the
service's answer. Actions answer htmx with the list again and a toast; a plain form post is
sent back to the list with a 303.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import APIRouter, BackgroundTasks, Request
from starlette.responses import RedirectResponse, Response

from sonic_cms.actors import Actor
from sonic_cms.admin.pages.editorial.item_panel import attempt, checked_form, problem_text
from sonic_cms.admin.pages.frame import PageActor, context_for, frame_values, page
from sonic_cms.admin.pages.session import HOME, services_for
from sonic_cms.admin.security import check_csrf, page_headers
from sonic_cms.admin.templating import admin_of, render
from sonic_cms.auth import invitations, sessions, two_factor, user_admin
from sonic_cms.auth.mail import MailMessage, deliver
from sonic_cms.context import Context
from sonic_cms.db.records import ROLES
from sonic_cms.errors import NotFound, ServiceError

router = APIRouter(include_in_schema=False)
PATH = "/admin/users"
ACCEPT_PATH = "/admin/accept-invitation"
PAGE_SIZE = 25
MAX_SEARCH = 200
STATUSES = (("active", "Active"), ("inactive", "Inactive"))


@dataclass(frozen=True)
class UserQuery:
    """What the list shows, all of it in the URL."""

    search: str = ""
    role: str = ""
    status: str = ""
    page: int = 1

    def params(self, **changes: Any) -> str:
        """The query string of this view with ``changes`` (defaults left out)."""
        view = replace(self, **changes)
        pairs = {
            "q": view.search,
            "role": view.role,
            "status": view.status,
            "page": str(view.page) if view.page > 1 else "",
        }
        return urlencode({k: v for k, v in pairs.items() if v})

    def url(self, **changes: Any) -> str:
        """The list's URL for this view with ``changes``."""
        query = self.params(**changes)
        return f"{PATH}?{query}" if query else PATH

    @property
    def filtered(self) -> bool:
        """Whether a filter narrows the list."""
        return bool(self.search or self.role or self.status)


def _first(params: dict[str, list[str]], name: str) -> str:
    values = params.get(name) or [""]
    return values[0]


def parse_query(request: Request) -> UserQuery:
    """The view the URL asks for (an htmx post: the page it was sent from); unknown values
    fall back to the defaults."""
    if request.method == "GET":
        params = {k: request.query_params.getlist(k) for k in request.query_params}
    else:
        params = parse_qs(urlsplit(request.headers.get("hx-current-url", "")).query)
    role, status = _first(params, "role"), _first(params, "status")
    raw_page = _first(params, "page")
    return UserQuery(
        search=_first(params, "q").strip()[:MAX_SEARCH],
        role=role if role in ROLES else "",
        status=status if status in dict(STATUSES) else "",
        page=int(raw_page) if raw_page.isdigit() and 0 < len(raw_page) < 7 else 1,
    )


def assignable_roles(ctx: Context) -> list[str]:
    """The roles this actor may hand out: the rule of :func:`user_admin.check_role_assignable`."""
    allowed = []
    for role in ROLES:
        try:
            user_admin.check_role_assignable(ctx, role)
        except ServiceError:
            continue
        allowed.append(role)
    return allowed


def list_values(ctx: Context, query: UserQuery) -> dict[str, Any]:
    """One page of users and what the actor may do; call inside ``ctx.run_read``."""
    actor = ctx.actor
    active = {"active": True, "inactive": False}.get(query.status)
    users, total = user_admin.list_users(
        ctx,
        page=query.page,
        limit=PAGE_SIZE,
        role=query.role or None,
        active=active,
        search=query.search or None,
    )
    pages = max(1, -(-total // PAGE_SIZE))
    return {
        "q": query,
        "users": users,
        "total": total,
        "pages": pages,
        "previous": query.url(page=query.page - 1) if query.page > 1 else None,
        "following": query.url(page=query.page + 1) if query.page < pages else None,
        "roles": ROLES,
        "statuses": STATUSES,
        "assignable": assignable_roles(ctx),
        "me": actor.user_id,
        "can_update": actor.can("users.update"),
        "can_delete": actor.can("users.delete"),
        "can_invite": actor.can("users.create"),
        "invite_days": max(1, ctx.settings.invitation_ttl_seconds // 86400),
    }


@router.get(PATH)
async def users_page(request: Request, actor: PageActor) -> Response:
    """The user list (403 from the service without ``users.read``)."""
    ctx = context_for(request, actor)
    query = parse_query(request)
    values = await ctx.run_read(lambda: list_values(ctx, query) | frame_values(ctx, current=PATH))
    return page(request, actor, "users.html", crumbs=[("Users", None)], **values)


async def toast_answer(
    request: Request,
    actor: Actor,
    template: str,
    back: str,
    values: Callable[[], Any],
    toast: tuple[str, bool],
    mail: MailMessage | None = None,
) -> Response:
    """htmx: ``template`` (a region and a toast) with ``values`` read again; a plain post: 303
    to ``back``. A mail (an invitation, an email change link) goes out after the answer."""
    if request.headers.get("hx-request"):
        message, ok = toast
        fresh = await context_for(request, actor).run_read(values)
        response: Response = render(
            request, template, session_id=actor.session_id, toast=message, toast_ok=ok, **fresh
        )
    else:
        response = page_headers(RedirectResponse(back, status_code=303))
    if mail is not None:
        tasks = BackgroundTasks()
        tasks.add_task(deliver, admin_of(request).settings, mail)
        response.background = tasks
    return response


async def _answer(
    request: Request,
    actor: Actor,
    toast: tuple[str, bool],
    mail: MailMessage | None = None,
    **extra: Any,
) -> Response:
    """The list again (the page the post came from) with a toast; ``extra`` keeps the invite
    form open (and filled after a refusal)."""
    query = parse_query(request)
    ctx = context_for(request, actor)
    return await toast_answer(
        request,
        actor,
        "_users_swap.html",
        query.url(),
        lambda: list_values(ctx, query) | extra,
        toast,
        mail,
    )


def _who(form: dict[str, str]) -> str:
    return form.get("who", "").strip()[:400] or "the user"


@router.post(PATH + "/invite")
async def invite(request: Request, actor: PageActor) -> Response:
    """Invite an email with a role (``auth.invitations.invite``); the link is mailed."""
    form = await checked_form(request, actor)
    ctx = context_for(request, actor)
    email = form.get("email", "").strip()
    mails: list[MailMessage] = []

    def run() -> None:
        _, mail = invitations.invite(
            ctx,
            email=email,
            role=form.get("role", ""),
            first_name=form.get("first_name", "").strip(),
            last_name=form.get("last_name", "").strip(),
        )
        mails.append(mail)

    toast = await attempt(ctx, run, f"Invitation sent to {email}.")
    kept = (
        None
        if mails
        else {k: form.get(k, "") for k in ("email", "first_name", "last_name", "role")}
    )
    return await _answer(
        request, actor, toast, mails[0] if mails else None, invite_open=True, invite=kept
    )


#: What each per-user button does: the service call (context, user id, form) and its toast
#: (``{who}``: the user's name and address, ``{role}``: the chosen role).
ACTIONS: dict[str, tuple[Callable[[Context, str, dict[str, str]], Any], str]] = {
    "role": (
        lambda ctx, uid, form: user_admin.set_role(ctx, uid, form.get("role", "")),
        "{who} is now {role}.",
    ),
    "deactivate": (
        lambda ctx, uid, _: user_admin.deactivate_user(ctx, uid),
        "{who} was deactivated.",
    ),
    "activate": (
        lambda ctx, uid, _: user_admin.update_user(ctx, uid, {"is_active": True}),
        "{who} was reactivated.",
    ),
    "delete": (lambda ctx, uid, _: user_admin.delete_user(ctx, uid), "{who} was deleted."),
    "revoke-sessions": (
        lambda ctx, uid, _: sessions.revoke_user_sessions(ctx, uid),
        "{who} was signed out everywhere.",
    ),
    "reset-2fa": (
        lambda ctx, uid, _: two_factor.admin_reset(ctx, uid),
        "Two-factor authentication of {who} was reset.",
    ),
}


@router.post(PATH + "/{user_id}/{action}")
async def user_action(request: Request, actor: PageActor, user_id: str, action: str) -> Response:
    """One of :data:`ACTIONS` on one user: change role (``user_admin.set_role``),
    deactivate, reactivate, delete, sign out everywhere, reset 2FA."""
    if action not in ACTIONS:
        raise NotFound("No such action", code="not_found")
    form = await checked_form(request, actor)
    ctx = context_for(request, actor)
    call, done = ACTIONS[action]
    message = done.format(who=_who(form), role=form.get("role", ""))
    toast = await attempt(ctx, lambda: call(ctx, user_id, form), message)
    return await _answer(request, actor, toast)


# --- accepting an invitation (signed out) ---------------------------------------------------


def _token_of(raw: object) -> str:
    return raw.strip()[:300] if isinstance(raw, str) else ""


@router.get(ACCEPT_PATH)
async def accept_page(request: Request) -> Response:
    """The invitee's form (who is invited, as what); a dead link says so (400)."""
    token = _token_of(request.query_params.get("token"))
    ctx = services_for(request, None)
    try:
        invited = await ctx.run_read(lambda: invitations.invitation_details(ctx, token))
    except ServiceError as failure:
        return render(
            request, "accept_invitation.html", status=failure.status, error=failure.message
        )
    return render(request, "accept_invitation.html", invited=invited, token=token)


@router.post(ACCEPT_PATH)
async def accept_submit(request: Request) -> Response:
    """Set the password through ``invitations.accept``; the invitee lands signed in on the
    dashboard."""
    admin = admin_of(request)
    await check_csrf(request, admin.settings, None)
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    token = _token_of(fields.get("token"))
    password = fields.get("password", "")
    ctx = services_for(request, None)
    if password != fields.get("password_again", ""):
        failure_text, status = "The two passwords differ.", 422
    else:
        try:
            _, tokens = await ctx.run_write(
                lambda: invitations.accept(
                    ctx,
                    token=token,
                    password=password,
                    first_name=fields.get("first_name", "").strip() or None,
                    last_name=fields.get("last_name", "").strip() or None,
                )
            )
        except ServiceError as failure:
            failure_text, status = problem_text(failure), failure.status
        else:
            response = page_headers(RedirectResponse(HOME, status_code=303))
            admin.web.set_session_cookies(response, admin.settings, tokens)
            return response
    try:
        invited = await ctx.run_read(lambda: invitations.invitation_details(ctx, token))
    except ServiceError:
        invited = None
    return render(
        request,
        "accept_invitation.html",
        status=status,
        invited=invited,
        token=token,
        error=failure_text,
    )
