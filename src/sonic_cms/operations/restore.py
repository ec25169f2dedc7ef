"""Restores: from a backup file, or to a moment (time travel), always with a safety backup first.

Every restore: reads the whole source first (a truncated or altered file is refused before
anything is touched); refuses while a server runs on the database (`server_lock`); writes
a safety backup of the current state; replaces the data in one transaction with change capture
paused; then takes a fresh time-travel snapshot, so the change log and snapshots describe the
restored database from that moment on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection

from sonic_cms.context import Context
from sonic_cms.db import migrate
from sonic_cms.operations.backup import create_backup
from sonic_cms.operations.dump_format import DumpError
from sonic_cms.operations.import_sql import ImportSummary, Progress, import_dump, verify_dump
from sonic_cms.operations.server_lock import exclusive_maintenance
from sonic_cms.operations.time_travel import (
    Snapshot,
    db_now_ms,
    replay,
    snapshot_for,
    take_snapshot,
)


@dataclass(frozen=True)
class RestoreResult:
    """What a restore did."""

    safety_backup: Path | None
    summary: ImportSummary
    snapshot_after: Snapshot
    replayed_changes: int = 0
    from_snapshot: Snapshot | None = None


def restore_backup(ctx: Context, path: Path, *, progress: Progress | None = None) -> RestoreResult:
    """Replace the database's data with the dump at ``path``.

    Raises:
        DumpError: the file is unusable; nothing was changed.
        DatabaseBusy: a server is running on the database; nothing was changed.
    """
    verify_dump(path)
    with exclusive_maintenance(ctx.settings):
        safety = _safety_backup(ctx)
        summary = import_dump(ctx.db, path, replace=True, pause_capture=True, progress=progress)
        after = take_snapshot(ctx)
    return RestoreResult(safety, summary, after)


def restore_to_moment(
    ctx: Context, timestamp_ms: int, *, progress: Progress | None = None
) -> RestoreResult:
    """Bring the database back to how it was at ``timestamp_ms`` (epoch ms, database clock)."""
    with ctx.db.read() as conn:
        now = db_now_ms(conn)
    if timestamp_ms > now:
        raise DumpError("the moment is in the future", "future_timestamp")
    snapshot = snapshot_for(ctx, timestamp_ms)
    verify_dump(snapshot.path)
    replayed: list[int] = []

    def apply_changes(conn: Connection) -> None:
        replayed.append(replay(conn, snapshot, timestamp_ms))

    with exclusive_maintenance(ctx.settings):
        safety = _safety_backup(ctx)
        summary = import_dump(
            ctx.db,
            snapshot.path,
            replace=True,
            pause_capture=True,
            progress=progress,
            after_load=apply_changes,
        )
        after = take_snapshot(ctx)
    return RestoreResult(safety, summary, after, replayed[0], snapshot)


def _safety_backup(ctx: Context) -> Path | None:
    """A backup of the current state, unless the database has no schema yet."""
    if migrate.current_revision(ctx.db) is None:
        return None
    return create_backup(ctx, prefix="safety").path
