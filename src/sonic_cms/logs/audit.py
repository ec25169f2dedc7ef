"""System log entries written inside the caller's transaction.

An audited change (a workflow transition, a scheduled publish) and its log entry commit
together or not at all, as the seed's best practices ask; background logging is for records
whose loss would not matter.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert

from sonic_cms.db.schema import SystemLog
from sonic_cms.ids import new_id


def log_in_transaction(
    conn: Connection,
    now_ms: int,
    *,
    category: str,
    message: str,
    level: str = "info",
    user_id: str | None = None,
    data: dict[str, Any] | None = None,
    source: str = "sonic_cms",
) -> None:
    """Insert one system_logs row on ``conn`` (so it shares the caller's transaction)."""
    conn.execute(
        insert(SystemLog).values(
            id=new_id(),
            level=level,
            category=category,
            message=message,
            data=data,
            user_id=user_id,
            source=source,
            created_at=now_ms,
        )
    )
