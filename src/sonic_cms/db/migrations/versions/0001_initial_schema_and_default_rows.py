"""initial schema and default rows

Every table, column, index and default row of the seed document, plus the composite, covering
and partial indexes of its "Indexing Strategy" and UNIQUE(collection_id, slug) on content.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 12:24:54.213217
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sonic_cms.db.migrations.default_rows import insert_default_rows_0001 as _insert_default_rows
from sonic_cms.db.types import IntBool, JSONText, epoch_ms_now

revision = "0001"
down_revision: str | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "collections",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("schema", JSONText(), nullable=False),
        sa.Column("is_active", IntBool(), server_default=sa.text("1"), nullable=False),
        sa.Column("managed", IntBool(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "created_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collections")),
        sa.UniqueConstraint("name", name=op.f("uq_collections_name")),
    )
    op.create_index("idx_collections_active", "collections", ["is_active"], unique=False)
    op.create_index("idx_collections_managed", "collections", ["managed"], unique=False)
    op.create_index(
        "idx_collections_managed_active", "collections", ["managed", "is_active"], unique=False
    )
    op.create_index("idx_collections_name", "collections", ["name"], unique=False)

    op.create_table(
        "log_config",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("(TRUE)"), nullable=False),
        sa.Column("level", sa.Text(), server_default=sa.text("'info'"), nullable=False),
        sa.Column("retention_days", sa.Integer(), server_default=sa.text("(30)"), nullable=False),
        sa.Column("max_size_mb", sa.Integer(), server_default=sa.text("(100)"), nullable=False),
        sa.Column(
            "created_at",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            server_default=epoch_ms_now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            server_default=epoch_ms_now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_config")),
        sa.UniqueConstraint("category", name=op.f("uq_log_config_category")),
    )
    op.create_table(
        "migrations",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column(
            "applied_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("checksum", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_migrations")),
    )
    op.create_table(
        "permissions",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permissions")),
        sa.UniqueConstraint("name", name=op.f("uq_permissions_name")),
    )
    op.create_table(
        "plugins",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("version", sa.Text(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("icon", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default=sa.text("'inactive'"), nullable=True),
        sa.Column("is_core", sa.Boolean(), server_default=sa.text("(FALSE)"), nullable=True),
        sa.Column("settings", JSONText("JSON"), nullable=True),
        sa.Column("permissions", JSONText("JSON"), nullable=True),
        sa.Column("dependencies", JSONText("JSON"), nullable=True),
        sa.Column("download_count", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("rating", sa.REAL(), server_default=sa.text("0"), nullable=True),
        sa.Column(
            "installed_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "activated_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "last_updated", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            server_default=epoch_ms_now(),
            nullable=True,
        ),
        sa.Column(
            "updated_at",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            server_default=epoch_ms_now(),
            nullable=True,
        ),
        sa.CheckConstraint(
            "status IN ('active', 'inactive', 'error')", name=op.f("ck_plugins_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plugins")),
        sa.UniqueConstraint("name", name=op.f("uq_plugins_name")),
    )
    op.create_index("idx_plugins_category", "plugins", ["category"], unique=False)
    op.create_index("idx_plugins_status", "plugins", ["status"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("first_name", sa.Text(), nullable=False),
        sa.Column("last_name", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("role", sa.Text(), server_default=sa.text("'viewer'"), nullable=False),
        sa.Column("avatar", sa.Text(), nullable=True),
        sa.Column("is_active", IntBool(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "last_login_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "created_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("bio", sa.Text(), nullable=True),
        sa.Column("avatar_url", sa.Text(), nullable=True),
        sa.Column("timezone", sa.Text(), server_default=sa.text("'UTC'"), nullable=True),
        sa.Column("language", sa.Text(), server_default=sa.text("'en'"), nullable=True),
        sa.Column("email_notifications", IntBool(), server_default=sa.text("1"), nullable=True),
        sa.Column("theme", sa.Text(), server_default=sa.text("'dark'"), nullable=True),
        sa.Column("two_factor_enabled", IntBool(), server_default=sa.text("0"), nullable=True),
        sa.Column("two_factor_secret", sa.Text(), nullable=True),
        sa.Column("password_reset_token", sa.Text(), nullable=True),
        sa.Column(
            "password_reset_expires",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("email_verified", IntBool(), server_default=sa.text("0"), nullable=True),
        sa.Column("email_verification_token", sa.Text(), nullable=True),
        sa.Column("invitation_token", sa.Text(), nullable=True),
        sa.Column("invited_by", sa.Text(), nullable=True),
        sa.Column(
            "invited_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "accepted_invitation_at",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["invited_by"], ["users.id"], name=op.f("fk_users_invited_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_index(
        "idx_active_users",
        "users",
        ["email"],
        unique=False,
        sqlite_where=sa.text("is_active = 1"),
        postgresql_where=sa.text("is_active = 1"),
    )
    op.create_index("idx_users_email", "users", ["email"], unique=False)
    op.create_index(
        "idx_users_email_verification_token", "users", ["email_verification_token"], unique=False
    )
    op.create_index("idx_users_invitation_token", "users", ["invitation_token"], unique=False)
    op.create_index(
        "idx_users_password_reset_token", "users", ["password_reset_token"], unique=False
    )
    op.create_index("idx_users_role", "users", ["role"], unique=False)
    op.create_index("idx_users_username", "users", ["username"], unique=False)

    op.create_table(
        "workflow_states",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("color", sa.Text(), server_default=sa.text("'#6B7280'"), nullable=True),
        sa.Column("is_initial", IntBool(), server_default=sa.text("0"), nullable=True),
        sa.Column("is_final", IntBool(), server_default=sa.text("0"), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_states")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("permissions", JSONText(), nullable=False),
        sa.Column(
            "expires_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "last_used_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "created_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token", name=op.f("uq_api_tokens_token")),
    )
    op.create_index("idx_api_tokens_token", "api_tokens", ["token"], unique=False)
    op.create_index("idx_api_tokens_user", "api_tokens", ["user_id"], unique=False)

    op.create_table(
        "media",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("original_name", sa.Text(), nullable=False),
        sa.Column("mime_type", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("folder", sa.Text(), server_default=sa.text("'uploads'"), nullable=False),
        sa.Column("r2_key", sa.Text(), nullable=False),
        sa.Column("public_url", sa.Text(), nullable=False),
        sa.Column("thumbnail_url", sa.Text(), nullable=True),
        sa.Column("alt", sa.Text(), nullable=True),
        sa.Column("caption", sa.Text(), nullable=True),
        sa.Column("tags", JSONText(), nullable=True),
        sa.Column("uploaded_by", sa.Text(), nullable=False),
        sa.Column(
            "uploaded_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "published_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "scheduled_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "archived_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "deleted_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"], ["users.id"], name=op.f("fk_media_uploaded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media")),
    )
    op.create_index("idx_media_deleted", "media", ["deleted_at"], unique=False)
    op.create_index("idx_media_folder", "media", ["folder"], unique=False)
    op.create_index("idx_media_folder_type", "media", ["folder", "mime_type"], unique=False)
    op.create_index("idx_media_type", "media", ["mime_type"], unique=False)
    op.create_index("idx_media_uploaded_at", "media", ["uploaded_at"], unique=False)
    op.create_index("idx_media_uploaded_by", "media", ["uploaded_by"], unique=False)

    op.create_table(
        "plugin_activity_log",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("plugin_id", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=True),
        sa.Column("details", JSONText("JSON"), nullable=True),
        sa.Column(
            "timestamp",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            server_default=epoch_ms_now(),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_plugin_activity_log_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plugin_activity_log")),
    )
    op.create_index(
        "idx_plugin_activity_plugin", "plugin_activity_log", ["plugin_id"], unique=False
    )
    op.create_index(
        "idx_plugin_activity_timestamp", "plugin_activity_log", ["timestamp"], unique=False
    )

    op.create_table(
        "plugin_assets",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("plugin_id", sa.Text(), nullable=False),
        sa.Column("asset_type", sa.Text(), nullable=False),
        sa.Column("asset_path", sa.Text(), nullable=False),
        sa.Column("load_order", sa.Integer(), server_default=sa.text("(100)"), nullable=True),
        sa.Column("load_location", sa.Text(), server_default=sa.text("'footer'"), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("(TRUE)"), nullable=True),
        sa.Column(
            "created_at",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            server_default=epoch_ms_now(),
            nullable=True,
        ),
        sa.CheckConstraint(
            "asset_type IN ('css', 'js', 'image', 'font')", name=op.f("ck_plugin_assets_asset_type")
        ),
        sa.CheckConstraint(
            "load_location IN ('header', 'footer')", name=op.f("ck_plugin_assets_load_location")
        ),
        sa.ForeignKeyConstraint(
            ["plugin_id"],
            ["plugins.id"],
            name=op.f("fk_plugin_assets_plugin_id_plugins"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plugin_assets")),
        sa.UniqueConstraint(
            "plugin_id", "asset_path", name=op.f("uq_plugin_assets_plugin_id_asset_path")
        ),
    )
    op.create_index("idx_plugin_assets_plugin", "plugin_assets", ["plugin_id"], unique=False)

    op.create_table(
        "plugin_hooks",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("plugin_id", sa.Text(), nullable=False),
        sa.Column("hook_name", sa.Text(), nullable=False),
        sa.Column("handler_name", sa.Text(), nullable=False),
        sa.Column("priority", sa.Integer(), server_default=sa.text("(10)"), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("(TRUE)"), nullable=True),
        sa.Column(
            "created_at",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            server_default=epoch_ms_now(),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["plugin_id"],
            ["plugins.id"],
            name=op.f("fk_plugin_hooks_plugin_id_plugins"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plugin_hooks")),
        sa.UniqueConstraint(
            "plugin_id",
            "hook_name",
            "handler_name",
            name=op.f("uq_plugin_hooks_plugin_id_hook_name_handler_name"),
        ),
    )
    op.create_index("idx_plugin_hooks_plugin", "plugin_hooks", ["plugin_id"], unique=False)

    op.create_table(
        "plugin_routes",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("plugin_id", sa.Text(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("handler_name", sa.Text(), nullable=False),
        sa.Column("middleware", JSONText("JSON"), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("(TRUE)"), nullable=True),
        sa.Column(
            "created_at",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            server_default=epoch_ms_now(),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["plugin_id"],
            ["plugins.id"],
            name=op.f("fk_plugin_routes_plugin_id_plugins"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plugin_routes")),
        sa.UniqueConstraint(
            "plugin_id", "path", "method", name=op.f("uq_plugin_routes_plugin_id_path_method")
        ),
    )
    op.create_index("idx_plugin_routes_plugin", "plugin_routes", ["plugin_id"], unique=False)

    op.create_table(
        "role_permissions",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("permission_id", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["permission_id"],
            ["permissions.id"],
            name=op.f("fk_role_permissions_permission_id_permissions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_permissions")),
        sa.UniqueConstraint(
            "role", "permission_id", name=op.f("uq_role_permissions_role_permission_id")
        ),
    )
    op.create_table(
        "system_logs",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("data", JSONText(), nullable=True),
        sa.Column("user_id", sa.Text(), nullable=True),
        sa.Column("session_id", sa.Text(), nullable=True),
        sa.Column("request_id", sa.Text(), nullable=True),
        sa.Column("ip_address", sa.Text(), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("method", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("duration", sa.Integer(), nullable=True),
        sa.Column("stack_trace", sa.Text(), nullable=True),
        sa.Column("tags", JSONText(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            server_default=epoch_ms_now(),
            nullable=False,
        ),
        sa.CheckConstraint(
            "category IN ('auth', 'api', 'workflow', 'plugin', 'media', 'system', 'security', 'error')",
            name=op.f("ck_system_logs_category"),
        ),
        sa.CheckConstraint(
            "level IN ('debug', 'info', 'warn', 'error', 'fatal')",
            name=op.f("ck_system_logs_level"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_system_logs_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_system_logs")),
    )
    op.create_index("idx_system_logs_category", "system_logs", ["category"], unique=False)
    op.create_index("idx_system_logs_created_at", "system_logs", ["created_at"], unique=False)
    op.create_index("idx_system_logs_level", "system_logs", ["level"], unique=False)
    op.create_index("idx_system_logs_source", "system_logs", ["source"], unique=False)
    op.create_index("idx_system_logs_status_code", "system_logs", ["status_code"], unique=False)
    op.create_index("idx_system_logs_user_id", "system_logs", ["user_id"], unique=False)

    op.create_table(
        "workflows",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("collection_id", sa.Text(), nullable=True),
        sa.Column("is_active", IntBool(), server_default=sa.text("1"), nullable=True),
        sa.Column("auto_publish", IntBool(), server_default=sa.text("0"), nullable=True),
        sa.Column("require_approval", IntBool(), server_default=sa.text("1"), nullable=True),
        sa.Column("approval_levels", sa.Integer(), server_default=sa.text("1"), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=True,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name=op.f("fk_workflows_collection_id_collections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflows")),
    )
    op.create_table(
        "content",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("collection_id", sa.Text(), nullable=False),
        sa.Column("slug", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("data", JSONText(), nullable=False),
        sa.Column("status", sa.Text(), server_default=sa.text("'draft'"), nullable=False),
        sa.Column(
            "published_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("author_id", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "scheduled_publish_at",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "scheduled_unpublish_at",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("review_status", sa.Text(), server_default=sa.text("'none'"), nullable=True),
        sa.Column("reviewer_id", sa.Text(), nullable=True),
        sa.Column(
            "reviewed_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("review_notes", sa.Text(), nullable=True),
        sa.Column("meta_title", sa.Text(), nullable=True),
        sa.Column("meta_description", sa.Text(), nullable=True),
        sa.Column("featured_image_id", sa.Text(), nullable=True),
        sa.Column("content_type", sa.Text(), server_default=sa.text("'standard'"), nullable=True),
        sa.Column("workflow_state_id", sa.Text(), server_default=sa.text("'draft'"), nullable=True),
        sa.Column(
            "embargo_until", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "expires_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("version_number", sa.Integer(), server_default=sa.text("1"), nullable=True),
        sa.Column("is_auto_saved", IntBool(), server_default=sa.text("0"), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_content_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["collection_id"], ["collections.id"], name=op.f("fk_content_collection_id_collections")
        ),
        sa.ForeignKeyConstraint(
            ["featured_image_id"], ["media.id"], name=op.f("fk_content_featured_image_id_media")
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name=op.f("fk_content_reviewer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content")),
        sa.UniqueConstraint("collection_id", "slug", name=op.f("uq_content_collection_id_slug")),
    )
    op.create_index("idx_content_author", "content", ["author_id"], unique=False)
    op.create_index("idx_content_collection", "content", ["collection_id"], unique=False)
    op.create_index(
        "idx_content_collection_status", "content", ["collection_id", "status"], unique=False
    )
    op.create_index("idx_content_content_type", "content", ["content_type"], unique=False)
    op.create_index("idx_content_published", "content", ["published_at"], unique=False)
    op.create_index(
        "idx_content_published_covering",
        "content",
        ["status", "published_at", "title", "slug"],
        unique=False,
    )
    op.create_index("idx_content_review_status", "content", ["review_status"], unique=False)
    op.create_index("idx_content_reviewer", "content", ["reviewer_id"], unique=False)
    op.create_index(
        "idx_content_scheduled_publish", "content", ["scheduled_publish_at"], unique=False
    )
    op.create_index(
        "idx_content_scheduled_unpublish", "content", ["scheduled_unpublish_at"], unique=False
    )
    op.create_index("idx_content_slug", "content", ["slug"], unique=False)
    op.create_index("idx_content_status", "content", ["status"], unique=False)
    op.create_index("idx_content_workflow_state", "content", ["workflow_state_id"], unique=False)

    op.create_table(
        "workflow_transitions",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("workflow_id", sa.Text(), nullable=False),
        sa.Column("from_state_id", sa.Text(), nullable=False),
        sa.Column("to_state_id", sa.Text(), nullable=False),
        sa.Column("required_permission", sa.Text(), nullable=True),
        sa.Column("auto_transition", IntBool(), server_default=sa.text("0"), nullable=True),
        sa.Column("transition_conditions", JSONText(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["from_state_id"],
            ["workflow_states.id"],
            name=op.f("fk_workflow_transitions_from_state_id_workflow_states"),
        ),
        sa.ForeignKeyConstraint(
            ["to_state_id"],
            ["workflow_states.id"],
            name=op.f("fk_workflow_transitions_to_state_id_workflow_states"),
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_workflow_transitions_workflow_id_workflows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_transitions")),
    )
    op.create_table(
        "content_versions",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("content_id", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", JSONText(), nullable=False),
        sa.Column("author_id", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_content_versions_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["content_id"], ["content.id"], name=op.f("fk_content_versions_content_id_content")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_versions")),
        sa.UniqueConstraint(
            "content_id", "version", name=op.f("uq_content_versions_content_id_version")
        ),
    )
    op.create_index(
        "idx_content_versions_content", "content_versions", ["content_id"], unique=False
    )
    op.create_index("idx_content_versions_version", "content_versions", ["version"], unique=False)

    op.create_table(
        "scheduled_content",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("content_id", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(), nullable=False),
        sa.Column("timezone", sa.Text(), server_default=sa.text("'UTC'"), nullable=True),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default=sa.text("'pending'"), nullable=True),
        sa.Column("executed_at", sa.DateTime(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["content_id"],
            ["content.id"],
            name=op.f("fk_scheduled_content_content_id_content"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_scheduled_content_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_content")),
    )
    op.create_index(
        "idx_scheduled_content_scheduled_at", "scheduled_content", ["scheduled_at"], unique=False
    )
    op.create_index("idx_scheduled_content_status", "scheduled_content", ["status"], unique=False)

    op.create_table(
        "workflow_history",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("content_id", sa.Text(), nullable=False),
        sa.Column("workflow_id", sa.Text(), nullable=False),
        sa.Column("from_state_id", sa.Text(), nullable=True),
        sa.Column("to_state_id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("metadata", JSONText(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["content_id"],
            ["content.id"],
            name=op.f("fk_workflow_history_content_id_content"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["from_state_id"],
            ["workflow_states.id"],
            name=op.f("fk_workflow_history_from_state_id_workflow_states"),
        ),
        sa.ForeignKeyConstraint(
            ["to_state_id"],
            ["workflow_states.id"],
            name=op.f("fk_workflow_history_to_state_id_workflow_states"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_workflow_history_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_workflow_history_workflow_id_workflows"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_history")),
    )
    op.create_index(
        "idx_workflow_history_content", "workflow_history", ["content_id"], unique=False
    )
    op.create_index("idx_workflow_history_user", "workflow_history", ["user_id"], unique=False)
    op.create_index(
        "idx_content_author_status",
        "content",
        ["author_id", "status", sa.text("published_at DESC")],
    )
    op.create_index(
        "idx_published_content",
        "content",
        [sa.text("published_at DESC")],
        sqlite_where=sa.text("status = 'published'"),
        postgresql_where=sa.text("status = 'published'"),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgres_text_operators()
    _insert_default_rows()


def _postgres_text_operators() -> None:
    """Let the seed's ``data LIKE ?`` run on PostgreSQL, where ``data`` is JSONB.

    LIKE on a JSON column matches its text form, as it does on SQLite's TEXT column.
    """
    op.execute(
        "CREATE FUNCTION sonic_jsonb_like(jsonb, text) RETURNS boolean "
        "LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT $1::text LIKE $2 $$"
    )
    op.execute(
        "CREATE FUNCTION sonic_jsonb_ilike(jsonb, text) RETURNS boolean "
        "LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT $1::text ILIKE $2 $$"
    )
    op.execute("CREATE OPERATOR ~~ (LEFTARG = jsonb, RIGHTARG = text, FUNCTION = sonic_jsonb_like)")
    op.execute(
        "CREATE OPERATOR ~~* (LEFTARG = jsonb, RIGHTARG = text, FUNCTION = sonic_jsonb_ilike)"
    )


def downgrade() -> None:
    """Drop every table of the initial schema."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP OPERATOR IF EXISTS ~~ (jsonb, text)")
        op.execute("DROP OPERATOR IF EXISTS ~~* (jsonb, text)")
        op.execute("DROP FUNCTION IF EXISTS sonic_jsonb_like(jsonb, text)")
        op.execute("DROP FUNCTION IF EXISTS sonic_jsonb_ilike(jsonb, text)")
    op.drop_table("workflow_history")
    op.drop_table("scheduled_content")
    op.drop_table("content_versions")
    op.drop_table("workflow_transitions")
    op.drop_table("content")
    op.drop_table("workflows")
    op.drop_table("system_logs")
    op.drop_table("role_permissions")
    op.drop_table("plugin_routes")
    op.drop_table("plugin_hooks")
    op.drop_table("plugin_assets")
    op.drop_table("plugin_activity_log")
    op.drop_table("media")
    op.drop_table("api_tokens")
    op.drop_table("workflow_states")
    op.drop_table("users")
    op.drop_table("plugins")
    op.drop_table("permissions")
    op.drop_table("migrations")
    op.drop_table("log_config")
    op.drop_table("collections")
