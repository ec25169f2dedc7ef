"""Demo login: pre-fills demo credentials on the login form, in development only.

Demo credentials on a real login form are an open door, so the plugin runs only with
``SONIC_ENV=development`` (an allow-list: ``test``, ``staging``, ``production`` or a typo are all
refused). Activation elsewhere is 409 ``plugin_not_allowed_in_env``; a row left active by a
database copied from development is ignored (routes 404, a warning at start-up).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from sonic_cms.api.openapi import DocumentedRoute, ok
from sonic_cms.plugins.spec import PluginSpec


class DemoLoginSettings(BaseModel):
    """The credentials the login form is pre-filled with."""

    email: str = Field("admin@example.com", min_length=3, max_length=254)
    password: str = Field("sonicjs!", min_length=1, max_length=128)


class DemoCredentials(BaseModel):
    """``{"data": {"email", "password"}}``: what the login form pre-fills."""

    data: DemoLoginSettings


def router() -> APIRouter:
    """GET /api/plugins/demo-login/credentials: what the login form pre-fills."""
    api = APIRouter(tags=["plugins: demo-login"], route_class=DocumentedRoute)

    @api.get("/credentials", responses=ok(DemoCredentials))
    async def credentials(request: Request) -> dict[str, object]:
        values = request.app.state.ctx.plugins.plugin_settings("demo-login")
        defaults = DemoLoginSettings().model_dump()
        return {"data": {**defaults, **values}}

    return api


plugin = PluginSpec(
    name="demo-login",
    display_name="Demo Login",
    version="1.0.0",
    author="sonic-cms",
    category="development",
    description="Pre-fills the login form with demo credentials (development only)",
    settings_model=DemoLoginSettings,
    router=router,
    environments=("development",),
)
