"""Time travel: the database as it was at any moment of the retention window, to the millisecond.

Two parts: snapshots (gzipped dumps in ``SONIC_BACKUP_DIR/snapshots``, taken by the server every
``time_travel_interval_seconds`` and by `sonic db time-travel snapshot`) and the change log the
capture triggers fill (`change_capture`). Restoring to T loads the newest snapshot taken at
or before T, then replays, in order, the logged changes the snapshot does not contain and that
happened at or before T, all in one transaction with capture paused.

Which changes a snapshot contains: on SQLite writers are serialized, so it is every entry up to
the highest id visible in the snapshot's read transaction; on PostgreSQL, where transactions
commit out of id order, it is the entries whose transaction is visible in the snapshot's
``pg_current_snapshot()``, recorded in the snapshot's header.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, text

from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.db.change_capture import (
    UNCAPTURED,
    captured_tables,
    ensure_capture,
    uncovered_tables,
)
from sonic_cms.operations.dump_format import DumpError, open_output
from sonic_cms.operations.export_sql import export_dump
from sonic_cms.operations.import_sql import read_header

REPLAY_PAGE = 1000
_SQLITE_NOW = "SELECT CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)"
_PG_NOW = "SELECT floor(extract(epoch from clock_timestamp()) * 1000)::bigint"


class TimeTravelError(DumpError):
    """Time travel cannot serve the request; the message says why and what is possible."""


@dataclass(frozen=True)
class Snapshot:
    """A snapshot file and where it stands in the change log."""

    path: Path
    taken_at_ms: int
    change_seq: int
    pg_snapshot: str | None

    @property
    def pg_xmin(self) -> int:
        """The lowest transaction id the PostgreSQL snapshot may not contain."""
        return int((self.pg_snapshot or "0").split(":")[0])


@dataclass(frozen=True)
class CoverageInfo:
    """What `sonic db time-travel info --timestamp T` prints."""

    timestamp_ms: int
    snapshot: Snapshot | None
    #: When ``snapshot`` is None: the earliest restorable moment, or when the first snapshot
    #: comes and how to take one now.
    advice: str
    changes_to_replay: int
    earliest_ms: int | None
    latest_change_ms: int | None
    uncovered_tables: list[str]


def snapshot_dir(settings: Settings) -> Path:
    """Where snapshots are kept."""
    return settings.backup_dir / "snapshots"


def db_now_ms(conn: Connection) -> int:
    """The database's clock, the one the capture triggers stamp entries with."""
    sql = _PG_NOW if conn.dialect.name == "postgresql" else _SQLITE_NOW
    return int(conn.execute(text(sql)).scalar_one())


def take_snapshot(ctx: Context) -> Snapshot:
    """Write a snapshot (one consistent read) and return it."""
    folder = snapshot_dir(ctx.settings)
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".snapshot-{os.getpid()}.partial.sql.gz"
    marks: dict[str, str] = {}

    def position(conn: Connection) -> dict[str, str]:
        marks["taken_at_ms"] = str(db_now_ms(conn))
        seq = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM change_log")).scalar_one()
        marks["change_seq"] = str(int(seq))
        if conn.dialect.name == "postgresql":
            marks["pg_snapshot"] = str(
                conn.execute(text("SELECT pg_current_snapshot()::text")).scalar_one()
            )
        return dict(marks)

    try:
        with open_output(partial) as out:
            export_dump(ctx.db, out, with_change_log=False, header_extra=position)
        final = folder / f"snapshot-{int(marks['taken_at_ms']):013d}.sql.gz"
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    return _snapshot_from(final)


def _snapshot_from(path: Path) -> Snapshot:
    extra = read_header(path).extra
    return Snapshot(
        path=path,
        taken_at_ms=int(extra["taken_at_ms"]),
        change_seq=int(extra["change_seq"]),
        pg_snapshot=extra.get("pg_snapshot"),
    )


def list_snapshots(ctx: Context) -> list[Snapshot]:
    """Every snapshot, oldest first."""
    folder = snapshot_dir(ctx.settings)
    if not folder.is_dir():
        return []
    snapshots = []
    for path in sorted(folder.glob("snapshot-*.sql.gz")):
        try:
            snapshots.append(_snapshot_from(path))
        except (DumpError, KeyError, ValueError):
            continue
    return snapshots


def snapshot_for(ctx: Context, timestamp_ms: int) -> Snapshot:
    """The newest snapshot taken at or before the moment; raises when none covers it."""
    snapshots = list_snapshots(ctx)
    candidates = [s for s in snapshots if s.taken_at_ms <= timestamp_ms]
    if not candidates:
        advice = no_snapshot_advice(ctx.settings, snapshots)
        raise TimeTravelError(
            f"no snapshot at or before {_iso(timestamp_ms)}: {advice}", "no_snapshot"
        )
    return candidates[-1]


def no_snapshot_advice(settings: Settings, snapshots: list[Snapshot]) -> str:
    """What to tell an operator whose moment no snapshot covers: the earliest moment there is,
    or when the server takes its first snapshot, and the command that takes one now."""
    now = "take one now with `sonic db time-travel snapshot`"
    if snapshots:
        return f"the earliest restorable moment is {_iso(snapshots[0].taken_at_ms)}"
    interval = settings.time_travel_interval_seconds
    if interval <= 0:
        return f"automatic snapshots are off (SONIC_TIME_TRAVEL_INTERVAL_SECONDS=0); {now}"
    return (
        f"there is none yet: a running `sonic serve` takes its first {_duration(interval)} after "
        f"it starts, then one every {_duration(interval)} (SONIC_TIME_TRAVEL_INTERVAL_SECONDS); "
        f"{now}"
    )


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def _pending_filter(conn: Connection, snapshot: Snapshot) -> tuple[str, dict[str, Any]]:
    """SQL condition and parameters for the entries ``snapshot`` does not contain."""
    if conn.dialect.name == "postgresql":
        return (
            "(id > :seq OR (txid >= :xmin AND NOT "
            "pg_visible_in_snapshot(txid::text::xid8, CAST(:snap AS pg_snapshot))))",
            {"seq": snapshot.change_seq, "xmin": snapshot.pg_xmin, "snap": snapshot.pg_snapshot},
        )
    return "id > :seq", {"seq": snapshot.change_seq}


def pending_changes(
    conn: Connection, snapshot: Snapshot, until_ms: int
) -> Iterator[tuple[int, str, str, str, str | None]]:
    """Entries to replay on ``snapshot`` up to ``until_ms``, in order, a page at a time."""
    condition, params = _pending_filter(conn, snapshot)
    data = "row_data::text" if conn.dialect.name == "postgresql" else "row_data"
    last = 0
    while True:
        rows = conn.execute(
            text(
                f"SELECT id, table_name, op, row_id, {data} FROM change_log "
                f"WHERE {condition} AND changed_at <= :until AND id > :last "
                f"ORDER BY id LIMIT {REPLAY_PAGE}"
            ),
            {**params, "until": until_ms, "last": last},
        ).all()
        yield from (tuple(row) for row in rows)
        if len(rows) < REPLAY_PAGE:
            return
        last = int(rows[-1][0])


def replay(conn: Connection, snapshot: Snapshot, until_ms: int) -> int:
    """Apply the logged changes after ``snapshot`` up to ``until_ms``; returns how many."""
    columns = captured_tables(conn)
    count = 0
    for _, table, op, row_id, data in pending_changes(conn, snapshot, until_ms):
        if table in UNCAPTURED:
            continue  # logged before the table left the change log (system_logs, 0012)
        if table not in columns:
            raise TimeTravelError(f"change log names unknown table {table!r}", "unknown_table")
        _apply(conn, table, op, row_id, data, columns[table])
        count += 1
    return count


def _apply(
    conn: Connection, table: str, op: str, row_id: str, data: str | None, columns: list[str]
) -> None:
    if op == "D" or data is None:
        conn.execute(text(f'DELETE FROM "{table}" WHERE id = :id'), {"id": row_id})
        return
    if conn.dialect.name == "postgresql":
        _apply_postgresql(conn, table, op, row_id, data, columns)
        return
    row = {k: v for k, v in orjson.loads(data).items() if k in columns}
    names = list(row)
    params = {f"p{i}": row[name] for i, name in enumerate(names)}
    if op == "I":
        cols = ", ".join(f'"{n}"' for n in names)
        marks = ", ".join(f":p{i}" for i in range(len(names)))
        conn.execute(text(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})'), params)
        return
    sets = ", ".join(f'"{n}" = :p{i}' for i, n in enumerate(names))
    conn.execute(
        text(f'UPDATE "{table}" SET {sets} WHERE id = :row_id'), {**params, "row_id": row_id}
    )


def _apply_postgresql(
    conn: Connection, table: str, op: str, row_id: str, data: str, columns: list[str]
) -> None:
    record = f'jsonb_populate_record(NULL::"{table}", CAST(:data AS jsonb))'
    if op == "I":
        conn.execute(text(f'INSERT INTO "{table}" SELECT * FROM {record}'), {"data": data})
        return
    names = ", ".join(f'"{c}"' for c in columns)
    conn.execute(
        text(f'UPDATE "{table}" SET ({names}) = (SELECT {names} FROM {record}) WHERE id = :id'),
        {"data": data, "id": row_id},
    )


def coverage(ctx: Context, timestamp_ms: int) -> CoverageInfo:
    """Which snapshot and how many changes restoring to ``timestamp_ms`` would use."""
    snapshots = list_snapshots(ctx)
    chosen = [s for s in snapshots if s.taken_at_ms <= timestamp_ms]
    snapshot = chosen[-1] if chosen else None
    with ctx.db.read() as conn:
        changes = sum(1 for _ in pending_changes(conn, snapshot, timestamp_ms)) if snapshot else 0
        latest = conn.execute(text("SELECT MAX(changed_at) FROM change_log")).scalar_one()
        uncovered = uncovered_tables(conn)
    return CoverageInfo(
        timestamp_ms=timestamp_ms,
        snapshot=snapshot,
        advice="" if snapshot else no_snapshot_advice(ctx.settings, snapshots),
        changes_to_replay=changes,
        earliest_ms=snapshots[0].taken_at_ms if snapshots else None,
        latest_change_ms=None if latest is None else int(latest),
        uncovered_tables=uncovered,
    )


def prune(ctx: Context, now_ms: int) -> tuple[list[Path], int]:
    """Drop snapshots older than the retention (keeping the newest) and the change-log entries
    no kept snapshot needs; returns the files removed and the entries deleted.

    ``now_ms`` is the database's clock (a snapshot's ``taken_at_ms``), not ``ctx.clock``: the
    change log is stamped by the database.
    """
    cutoff = now_ms - ctx.settings.time_travel_retention_days * 86_400_000
    snapshots = list_snapshots(ctx)
    doomed = [s for s in snapshots[:-1] if s.taken_at_ms < cutoff]
    kept = [s for s in snapshots if s not in doomed]
    for snapshot in doomed:
        snapshot.path.unlink(missing_ok=True)
    if not kept:
        return [s.path for s in doomed], 0
    oldest = kept[0]
    with ctx.db.write() as conn:
        condition, params = _pending_filter(conn, oldest)
        deleted = conn.execute(
            text(f"DELETE FROM change_log WHERE NOT {condition} AND changed_at < :cutoff"),
            {**params, "cutoff": min(cutoff, oldest.taken_at_ms)},
        ).rowcount
    return [s.path for s in doomed], int(deleted or 0)


def refresh_capture(ctx: Context) -> list[str]:
    """Install capture triggers on tables that lack them (a table added by a later revision)."""
    with ctx.db.write() as conn:
        return ensure_capture(conn)


def _iso(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def iso(ms: int) -> str:
    """Epoch milliseconds as an ISO 8601 UTC time with milliseconds."""
    return _iso(ms)
