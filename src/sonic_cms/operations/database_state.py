"""What ``/admin/database`` shows of the database itself: engine, where, migration state."""

from __future__ import annotations

from typing import Any

from sonic_cms.context import Context
from sonic_cms.db import migrate
from sonic_cms.operations import databases
from sonic_cms.operations.backup_store import PERMISSION


def migration_state(ctx: Context) -> dict[str, Any]:
    """The engine and database (no secrets), the applied revision, the newest shipped one and
    every revision with whether and when it was applied (``settings.update``)."""
    ctx.actor.require(PERMISSION)
    states = migrate.revision_states(ctx.db)
    return {
        "engine": ctx.db.dialect,
        "location": databases.location(ctx.settings.database_url),
        "current": migrate.current_revision(ctx.db),
        "head": migrate.head_revision(),
        "revisions": states,
        "pending": [state for state in states if not state.applied],
    }
