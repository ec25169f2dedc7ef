"""Plugin system tables: plugins and what they register (hooks, routes, assets), and the log.

``plugin_assets`` and ``plugin_activity_log`` are only named in the seed's diagram; their columns
follow SonicJS's plugin-system migration, except that the activity log keeps no foreign key to
``plugins`` so the record of an uninstall survives the uninstall.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    REAL,
    Boolean,
    CheckConstraint,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from sonic_cms.db.schema.base import Base, bool_flag, created_now, pk, references
from sonic_cms.db.types import EpochMs, JSONText


class Plugin(Base):
    """An installed plugin and its lifecycle state."""

    __tablename__ = "plugins"

    id: Mapped[str] = pk()
    name: Mapped[str] = mapped_column(Text, unique=True)
    display_name: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    version: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text)
    icon: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(Text, server_default=text("'inactive'"))
    is_core: Mapped[bool | None] = mapped_column(Boolean, server_default=text("FALSE"))
    settings: Mapped[Any | None] = mapped_column(JSONText("JSON"))
    permissions: Mapped[Any | None] = mapped_column(JSONText("JSON"))
    dependencies: Mapped[Any | None] = mapped_column(JSONText("JSON"))
    download_count: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    rating: Mapped[float | None] = mapped_column(REAL, server_default=text("0"))
    installed_at: Mapped[int] = mapped_column(EpochMs)
    activated_at: Mapped[int | None] = mapped_column(EpochMs)
    last_updated: Mapped[int] = mapped_column(EpochMs)
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[int | None] = created_now()
    updated_at: Mapped[int | None] = created_now()

    __table_args__ = (
        CheckConstraint("status IN ('active', 'inactive', 'error')", name="status"),
        Index("idx_plugins_status", "status"),
        Index("idx_plugins_category", "category"),
    )


class PluginHook(Base):
    """A hook handler a plugin registered."""

    __tablename__ = "plugin_hooks"

    id: Mapped[str] = pk()
    plugin_id: Mapped[str] = references("plugins.id", cascade=True)
    hook_name: Mapped[str] = mapped_column(Text)
    handler_name: Mapped[str] = mapped_column(Text)
    priority: Mapped[int | None] = mapped_column(Integer, server_default=text("10"))
    is_active: Mapped[bool | None] = bool_flag()
    created_at: Mapped[int | None] = created_now()

    __table_args__ = (
        UniqueConstraint("plugin_id", "hook_name", "handler_name"),
        Index("idx_plugin_hooks_plugin", "plugin_id"),
    )


class PluginRoute(Base):
    """An HTTP route a plugin mounts under /api/plugins/{name}/."""

    __tablename__ = "plugin_routes"

    id: Mapped[str] = pk()
    plugin_id: Mapped[str] = references("plugins.id", cascade=True)
    path: Mapped[str] = mapped_column(Text)
    method: Mapped[str] = mapped_column(Text)
    handler_name: Mapped[str] = mapped_column(Text)
    middleware: Mapped[Any | None] = mapped_column(JSONText("JSON"))
    is_active: Mapped[bool | None] = bool_flag()
    created_at: Mapped[int | None] = created_now()

    __table_args__ = (
        UniqueConstraint("plugin_id", "path", "method"),
        Index("idx_plugin_routes_plugin", "plugin_id"),
    )


class PluginAsset(Base):
    """A static asset (css, js, image, font) a plugin ships for the admin UI."""

    __tablename__ = "plugin_assets"

    id: Mapped[str] = pk()
    plugin_id: Mapped[str] = references("plugins.id", cascade=True)
    asset_type: Mapped[str] = mapped_column(Text)
    asset_path: Mapped[str] = mapped_column(Text)
    load_order: Mapped[int | None] = mapped_column(Integer, server_default=text("100"))
    load_location: Mapped[str | None] = mapped_column(Text, server_default=text("'footer'"))
    is_active: Mapped[bool | None] = bool_flag()
    created_at: Mapped[int | None] = created_now()

    __table_args__ = (
        CheckConstraint("asset_type IN ('css', 'js', 'image', 'font')", name="asset_type"),
        CheckConstraint("load_location IN ('header', 'footer')", name="load_location"),
        UniqueConstraint("plugin_id", "asset_path"),
        Index("idx_plugin_assets_plugin", "plugin_id"),
    )


class PluginActivity(Base):
    """One lifecycle step of a plugin: install, activate, deactivate, uninstall, error."""

    __tablename__ = "plugin_activity_log"

    id: Mapped[str] = pk()
    plugin_id: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    user_id: Mapped[str | None] = references("users.id")
    details: Mapped[Any | None] = mapped_column(JSONText("JSON"))
    timestamp: Mapped[int | None] = created_now()

    __table_args__ = (
        Index("idx_plugin_activity_plugin", "plugin_id"),
        Index("idx_plugin_activity_timestamp", "timestamp"),
    )
