"""The seed document's data model; ``Base.metadata`` holds every table."""

from sonic_cms.db.schema.access import ApiToken, Permission, RolePermission
from sonic_cms.db.schema.auth import AuthSession, AuthThrottle, AuthTotpStep
from sonic_cms.db.schema.autosaves import ContentAutosave
from sonic_cms.db.schema.base import Base
from sonic_cms.db.schema.change_log import ChangeLogEntry, ChangeLogPause
from sonic_cms.db.schema.comments import COMMENT_STATUSES, Comment, ContentCommentCount
from sonic_cms.db.schema.core import Collection, Content, ContentVersion, Media, User
from sonic_cms.db.schema.logs import LOG_CATEGORIES, LOG_LEVELS, LogConfig, SystemLog
from sonic_cms.db.schema.plugins import (
    Plugin,
    PluginActivity,
    PluginAsset,
    PluginHook,
    PluginRoute,
)
from sonic_cms.db.schema.settings import Setting
from sonic_cms.db.schema.tracking import MigrationRecord
from sonic_cms.db.schema.webhooks import WebhookAttempt, WebhookEndpoint, WebhookEvent
from sonic_cms.db.schema.workflow import (
    ScheduledContent,
    Workflow,
    WorkflowHistory,
    WorkflowState,
    WorkflowTransition,
)

metadata = Base.metadata

__all__ = [
    "COMMENT_STATUSES",
    "LOG_CATEGORIES",
    "LOG_LEVELS",
    "ApiToken",
    "AuthSession",
    "AuthThrottle",
    "AuthTotpStep",
    "Base",
    "ChangeLogEntry",
    "ChangeLogPause",
    "Collection",
    "Comment",
    "Content",
    "ContentAutosave",
    "ContentCommentCount",
    "ContentVersion",
    "LogConfig",
    "Media",
    "MigrationRecord",
    "Permission",
    "Plugin",
    "PluginActivity",
    "PluginAsset",
    "PluginHook",
    "PluginRoute",
    "RolePermission",
    "ScheduledContent",
    "Setting",
    "SystemLog",
    "User",
    "WebhookAttempt",
    "WebhookEndpoint",
    "WebhookEvent",
    "Workflow",
    "WorkflowHistory",
    "WorkflowState",
    "WorkflowTransition",
    "metadata",
]
