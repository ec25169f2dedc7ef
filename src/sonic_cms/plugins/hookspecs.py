"""Every standard hook, declared once and typed, the way datasette declares its hookspecs.

Services fire these objects, never a string, so a misspelt hook is a name error that mypy and
import catch. Plugins register handlers by the hook's ``name`` (what SonicJS plugins use);
docs/plugins.md's table is checked against these specs (tests/test_docs.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Phase = Literal["filter", "action"]


@dataclass(frozen=True)
class Hook:
    """One hook: its SonicJS name, the phases core fires, its payload, who fires it."""

    name: str
    phases: tuple[Phase, ...]
    #: The payload's shape, as docs/plugins.md shows it.
    payload: str
    #: Which code paths fire it.
    fired_by: str

    def __str__(self) -> str:
        return self.name


APP_INIT = Hook(
    "app:init",
    ("action",),
    '`{"version", "env"}`',
    "app lifespan, after migrations and plugin loading",
)

APP_READY = Hook(
    "app:ready",
    ("action",),
    '`{"version"}`',
    "app lifespan, when the server starts accepting requests",
)

APP_SHUTDOWN = Hook(
    "app:shutdown",
    ("action",),
    "`{}`",
    "app lifespan, when the server stops",
)

REQUEST_START = Hook(
    "request:start",
    ("filter", "action"),
    '`{"method", "path", "url", "ip_address", "user_agent", "request_id"}`',
    "request middleware, before routing (filter may cancel the request)",
)

REQUEST_END = Hook(
    "request:end",
    ("action",),
    "request payload + `status_code`",
    "request middleware, after the response was sent",
)

REQUEST_ERROR = Hook(
    "request:error",
    ("action",),
    "request payload + `status_code` (5xx)",
    "request middleware, when a request fails with a 5xx",
)

AUTH_LOGIN = Hook(
    "auth:login",
    ("filter", "action"),
    '`{"user_id", "email", "username", "role", "method", "ip_address", "user_agent"}`; action adds `session_id`',
    "login service, when the credentials (and 2FA code) are right, in the transaction that opens the session",
)

AUTH_LOGOUT = Hook(
    "auth:logout",
    ("filter", "action"),
    '`{"user_id", "session_id", "all_sessions"}`',
    "session service: logout, signing one session out, signing out everywhere",
)

AUTH_REGISTER = Hook(
    "auth:register",
    ("filter", "action"),
    'filter: `{"email", "username", "first_name", "last_name", "role"}`; action: the user (the `User` representation, `firstName`/`lastName`)',
    "user service, on every new account: self-registration, admin API and CLI, invitations",
)

CONTENT_CREATE = Hook(
    "content:create",
    ("filter", "action"),
    "filter: the write payload; action: the item",
    "content service and bulk import, creating an item",
)

CONTENT_UPDATE = Hook(
    "content:update",
    ("filter", "action"),
    "filter: the write payload with `previous`; action: the item",
    "content service: edits, rollbacks and restores",
)

CONTENT_DELETE = Hook(
    "content:delete",
    ("filter", "action"),
    "the item (both phases)",
    "content service, deleting an item",
)

CONTENT_PUBLISH = Hook(
    "content:publish",
    ("filter", "action"),
    'filter: `{"id", "collection_id", "from_status", "status", "workflow_state_id"}`; action: the item',
    "every status change into or out of published: create, edit, publish/unpublish, workflow transitions, the scheduler, bulk import",
)

CONTENT_SAVE = Hook(
    "content:save",
    ("filter", "action"),
    "as `content:create` / `content:update`",
    "content service and bulk import, on every create and update",
)

WORKFLOW_TRANSITION = Hook(
    "workflow:transition",
    ("action",),
    '`{"id", "content_id", "collection_id", "workflow_id", "from_state", "to_state", "user_id", "comment", "metadata", "created_at"}` (the workflow_history row)',
    "every workflow move: transitions, approvals, publish/unpublish, edits that move the status, the scheduler",
)

COMMENT_CREATE = Hook(
    "comment:create",
    ("filter", "action"),
    'filter: `{"content_id", "parent_id", "user_id", "body", "status"}` (may change `body` and `status`); action: the comment',
    "comment service, posting a comment or a reply",
)

COMMENT_APPROVE = Hook(
    "comment:approve",
    ("filter", "action"),
    "the comment as it will be / as it is, approved (both phases)",
    "comment service: a moderator's approval (one or bulk), a trusted author's comment born approved",
)

COMMENT_DELETE = Hook(
    "comment:delete",
    ("filter", "action"),
    "the comment before its deletion (both phases)",
    "comment service: deletion by its author in the edit window, or by a moderator (one or bulk)",
)

MEDIA_UPLOAD = Hook(
    "media:upload",
    ("filter", "action"),
    "filter: the `media` row to insert; action: the media item",
    "media service, storing an upload (single, multiple, import from a URL)",
)

MEDIA_DELETE = Hook(
    "media:delete",
    ("filter", "action"),
    "the media item (both phases)",
    "media service: soft delete, bulk delete and purge",
)

MEDIA_TRANSFORM = Hook(
    "media:transform",
    ("filter", "action"),
    '`{"media_id", "source_key", "key", "mime_type", "width", "height", "fit"}`; action adds `size`',
    "file serving, making a resized image variant",
)

PLUGIN_INSTALL = Hook(
    "plugin:install",
    ("filter", "action"),
    "plugins row values (filter may change them) / row",
    "plugin lifecycle service",
)

PLUGIN_UNINSTALL = Hook(
    "plugin:uninstall",
    ("filter", "action"),
    "plugins row",
    "plugin lifecycle service",
)

PLUGIN_ACTIVATE = Hook(
    "plugin:activate",
    ("filter", "action"),
    "plugins row",
    "plugin lifecycle service",
)

PLUGIN_DEACTIVATE = Hook(
    "plugin:deactivate",
    ("filter", "action"),
    "plugins row",
    "plugin lifecycle service",
)

DB_MIGRATE = Hook(
    "db:migrate",
    ("action",),
    '`{"applied": [revision ids]}`',
    "app lifespan and `sonic db migrate`, after applying revisions",
)

DB_SEED = Hook(
    "db:seed",
    ("filter", "action"),
    "the plugin's seed rows",
    "not fired by core (its default rows come with the migrations: see db:migrate); for plugins' own seeding commands",
)


#: Every spec, in the order docs/plugins.md lists them.
SPECS: tuple[Hook, ...] = (
    APP_INIT,
    APP_READY,
    APP_SHUTDOWN,
    REQUEST_START,
    REQUEST_END,
    REQUEST_ERROR,
    AUTH_LOGIN,
    AUTH_LOGOUT,
    AUTH_REGISTER,
    CONTENT_CREATE,
    CONTENT_UPDATE,
    CONTENT_DELETE,
    CONTENT_PUBLISH,
    CONTENT_SAVE,
    WORKFLOW_TRANSITION,
    COMMENT_CREATE,
    COMMENT_APPROVE,
    COMMENT_DELETE,
    MEDIA_UPLOAD,
    MEDIA_DELETE,
    MEDIA_TRANSFORM,
    PLUGIN_INSTALL,
    PLUGIN_UNINSTALL,
    PLUGIN_ACTIVATE,
    PLUGIN_DEACTIVATE,
    DB_MIGRATE,
    DB_SEED,
)
BY_NAME: dict[str, Hook] = {spec.name: spec for spec in SPECS}
