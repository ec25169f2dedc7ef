"""The server's health as operators read it: database reachable, migrations at head."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from sonic_cms import __version__
from sonic_cms.context import Context
from sonic_cms.db import migrate


def health_report(ctx: Context) -> dict[str, Any]:
    """The health document: engine, database reachability and migration state."""
    db = ctx.db
    with db.read() as conn:
        conn.execute(text("SELECT 1"))
    current = migrate.current_revision(db)
    head = migrate.head_revision()
    pending = [script.revision for script in migrate.pending_revisions(db)]
    return {
        "status": "ok" if not pending else "degraded",
        "version": __version__,
        "database": {"engine": db.dialect, "reachable": True},
        "migrations": {"current": current, "head": head, "pending": pending},
    }
