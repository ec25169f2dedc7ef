"""What a plugin is: the manifest object a package exposes through ``sonic_cms.plugins``.

A plugin package declares, in its pyproject.toml::

    [project.entry-points."sonic_cms.plugins"]
    my-plugin = "my_package:plugin"

where ``plugin`` is a :class:`PluginSpec` (or a function returning one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from sonic_cms.plugins.hooks import HandlerFn, HookHandler
from sonic_cms.plugins.hookspecs import Phase

if TYPE_CHECKING:
    from fastapi import APIRouter

    from sonic_cms.config import Settings


@dataclass(frozen=True)
class HookSpec:
    """A handler the plugin registers while active."""

    hook: str
    fn: HandlerFn
    phase: Phase = "action"
    priority: int = 10
    required: bool = False
    name: str = ""

    def bind(self, plugin: str) -> HookHandler:
        """The bus handler for this spec."""
        return HookHandler(
            plugin=plugin,
            hook=self.hook,
            fn=self.fn,
            phase=self.phase,
            priority=self.priority,
            required=self.required,
            name=self.name or getattr(self.fn, "__name__", "handler"),
        )


@dataclass(frozen=True)
class AssetSpec:
    """A static asset for the admin UI (recorded in plugin_assets)."""

    asset_type: Literal["css", "js", "image", "font"]
    asset_path: str
    load_order: int = 100
    load_location: Literal["header", "footer"] = "footer"


@dataclass(frozen=True)
class ActivationContext:
    """What ``on_activate`` may look at to refuse activation."""

    settings: Settings
    plugin_settings: dict[str, Any]


@dataclass(frozen=True)
class PluginSpec:
    """A plugin's manifest.

    Attributes:
        name: ``^[a-z0-9-]+$``, not reserved; the URL prefix /api/plugins/{name}/.
        version: semver (``1.2.3``, ``1.0.0-beta.1``).
        settings_model: Pydantic model validating the plugin's settings (defaults at install).
        permissions: (name, description) pairs the plugin adds; granted to admin on install.
        dependencies: names of plugins that must be installed and active first.
        migrations: a folder of Alembic revisions, the plugin's own named migration set.
        tables: the tables those revisions create (never a core table name).
        router: a function returning a FastAPI router mounted under ``route_prefix``.
        route_prefix: where the router is mounted; empty (the default) means
            ``/api/plugins/{name}``. Built-in plugins that rebuild a SonicJS plugin use
            SonicJS's own paths (``/auth/otp``); core routes always win a clash, being
            mounted first.
        on_activate: may raise a ServiceError to refuse activation.
        environments: the ``SONIC_ENV`` values the plugin may run in (an allow-list; empty:
            any). Elsewhere it cannot be activated, and a row left active (a database copied
            from development) is treated as inactive: no hooks, routes answer 404.
    """

    name: str
    display_name: str
    version: str
    author: str
    category: str
    description: str = ""
    icon: str | None = None
    settings_model: type[BaseModel] | None = None
    permissions: tuple[tuple[str, str], ...] = ()
    dependencies: tuple[str, ...] = ()
    migrations: Path | None = None
    tables: tuple[str, ...] = ()
    hooks: tuple[HookSpec, ...] = ()
    router: Callable[[], APIRouter] | None = None
    route_prefix: str = ""
    assets: tuple[AssetSpec, ...] = ()
    is_core: bool = False
    on_activate: Callable[[ActivationContext], None] | None = None
    environments: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def allowed_in(self, env: str) -> bool:
        """Whether the plugin may be active under ``SONIC_ENV=env``."""
        return not self.environments or env in self.environments

    def mount_path(self) -> str:
        """The URL prefix the plugin's routes live under."""
        return self.route_prefix or f"/api/plugins/{self.name}"

    def default_settings(self) -> dict[str, Any]:
        """The settings model's defaults, as stored at install."""
        if self.settings_model is None:
            return {}
        return self.settings_model().model_dump(mode="json")
