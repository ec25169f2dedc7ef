"""The admin web UI at ``/admin``: server-rendered Jinja2 pages with htmx, on the same app.

Pages call the same domain services as the API, with the same permission checks; every asset
ships inside the package (see :mod:`.assets`); :mod:`.security` holds the CSP and the CSRF
token. :func:`install_admin` is called by the app factory, which hands in the API's request
helpers (:class:`.web.WebBindings`).
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.responses import Response

from sonic_cms.admin.assets import PREFIX
from sonic_cms.admin.pages import dashboard, login, password, profile
from sonic_cms.admin.pages.administration import (
    api_tokens,
    cache,
    collections,
    database,
    logs,
    plugins,
    roles,
    schema_editor,
    site_settings,
    users,
    webhooks,
)
from sonic_cms.admin.pages.editorial import (
    comments,
    content_list,
    editor,
    field_lookups,
    item_panel,
    media,
    translations,
    workflow_queue,
)
from sonic_cms.admin.pages.frame import SignInRequired, to_sign_in
from sonic_cms.admin.templating import build_admin
from sonic_cms.admin.web import WebBindings
from sonic_cms.config import Settings


def install_admin(app: FastAPI, settings: Settings, web: WebBindings) -> None:
    """Mount the admin's pages and its static files on ``app``."""
    admin = build_admin(settings, web)
    app.state.admin = admin

    async def static_file(digest: str, name: str) -> Response:
        return admin.assets.response(digest, name)

    app.add_api_route(
        PREFIX + "/{digest}/{name:path}", static_file, methods=["GET"], include_in_schema=False
    )
    app.add_exception_handler(SignInRequired, to_sign_in)
    pages = (
        login,
        password,
        dashboard,
        content_list,
        editor,
        field_lookups,
        item_panel,
        translations,
        workflow_queue,
        comments,
        media,
        collections,
        schema_editor,
        users,
        roles,
        profile,
        api_tokens,
        plugins,
        logs,
        cache,
        site_settings,
        database,
        webhooks,
    )
    for module in pages:
        app.include_router(module.router)
