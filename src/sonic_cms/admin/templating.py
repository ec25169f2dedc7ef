"""Rendering admin pages: the package's Jinja2 templates, with the security headers applied.

Every page response goes through :func:`render`, so none can miss the CSP header or the CSRF
token its forms need.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.responses import HTMLResponse

from sonic_cms.admin.assets import AssetTable
from sonic_cms.admin.security import CSRF_COOKIE, csrf_seed, csrf_token, page_headers
from sonic_cms.admin.web import WebBindings
from sonic_cms.config import Settings


@dataclass(frozen=True)
class Admin:
    """The admin's collaborators, built once per app: templates, assets, the API's helpers."""

    templates: Environment
    assets: AssetTable
    web: WebBindings
    settings: Settings


def build_admin(settings: Settings, web: WebBindings) -> Admin:
    """Load the templates and hash the static files once, when the app is built."""
    templates = Environment(
        loader=PackageLoader("sonic_cms.admin", "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    assets = AssetTable()
    templates.globals["asset"] = assets.url
    templates.filters["moment"] = moment
    return Admin(templates, assets, web, settings)


def moment(epoch_ms: int | None) -> str:
    """An epoch-ms moment as people read it, in UTC (the page says so)."""
    if epoch_ms is None:
        return ""
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")


def admin_of(request: Request) -> Admin:
    """The app's :class:`Admin`."""
    admin: Admin = request.app.state.admin
    return admin


def render(
    request: Request,
    name: str,
    *,
    session_id: str | None = None,
    status: int = 200,
    **values: Any,
) -> HTMLResponse:
    """Render ``name`` with the CSRF token of ``session_id``; set the CSRF seed if new."""
    admin = admin_of(request)
    seed, fresh = csrf_seed(request)
    token = csrf_token(admin.settings, seed, session_id)
    html = admin.templates.get_template(name).render(csrf_token=token, **values)
    response = HTMLResponse(html, status_code=status)
    if fresh:  # the seed lives as long as a sign-in session may
        lifetime = admin.settings.refresh_token_ttl_seconds
        admin.web.set_plain_cookie(response, admin.settings, CSRF_COOKIE, seed, lifetime)
    page_headers(response)
    return response
