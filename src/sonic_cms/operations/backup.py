"""`sonic db backup`: a timestamped, gzipped, verified dump in SONIC_BACKUP_DIR, old ones pruned.

The seed's backup script (wrangler d1 export, gzip, ``find -mtime +30 -delete``) done so it is
consistent while the server writes: on SQLite the online backup API first copies the database
page by page into a private file, and the dump is made from that copy; on PostgreSQL the dump is
read in one REPEATABLE READ snapshot. Each new backup is read back in full (every row parsed,
counts and checksums compared) before it gets its final name, so a backup that exists is whole.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sonic_cms.context import Context
from sonic_cms.db.engine import Database, sqlite_path
from sonic_cms.operations.dump_format import DumpError, open_output
from sonic_cms.operations.export_sql import ExportSummary, Progress, export_dump
from sonic_cms.operations.import_sql import verify_dump

BACKUP_GLOB = "*.sql.gz"


@dataclass(frozen=True)
class BackupResult:
    """A backup written and verified."""

    path: Path
    tables: int
    rows: int
    size_bytes: int


def backup_name(ctx: Context, *, prefix: str = "backup") -> str:
    """``backup-<env>-YYYYmmdd_HHMMSS.sql.gz``, as the seed's script names them."""
    moment = dt.datetime.fromtimestamp(ctx.clock.now_ms() / 1000, dt.UTC)
    return f"{prefix}-{ctx.settings.env}-{moment:%Y%m%d_%H%M%S}.sql.gz"


def create_backup(
    ctx: Context,
    *,
    directory: Path | None = None,
    prefix: str = "backup",
    progress: Progress | None = None,
) -> BackupResult:
    """Write, verify and name a backup of the database; returns where it is."""
    folder = directory or ctx.settings.backup_dir
    folder.mkdir(parents=True, exist_ok=True)
    final = _unique(folder / backup_name(ctx, prefix=prefix))
    partial = final.with_name(f".partial-{final.name}")
    try:
        summary = _dump_consistently(ctx.db, partial, progress)
        counts = verify_dump(partial)
        if counts != {name: c.rows for name, c in summary.tables.items()}:
            raise DumpError("the backup read back differs from what was written", "bad_backup")
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(final, len(summary.tables), summary.rows, final.stat().st_size)


def _unique(path: Path) -> Path:
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(path.name.replace(".sql.gz", f"-{number}.sql.gz"))
    return candidate


def _dump_consistently(db: Database, target: Path, progress: Progress | None) -> ExportSummary:
    source = sqlite_path(db.settings.database_url) if db.is_sqlite else None
    if source is None:
        with open_output(target) as out:
            return export_dump(db, out, with_change_log=False, progress=progress)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".backup-") as scratch:
        copy = Path(scratch) / "copy.db"
        online_copy(source, copy)
        copy_db = Database(db.settings.model_copy(update={"database_url": f"sqlite:///{copy}"}))
        try:
            with open_output(target) as out:
                return export_dump(copy_db, out, with_change_log=False, progress=progress)
        finally:
            copy_db.dispose()


def online_copy(source: Path, target: Path) -> None:
    """Copy a live SQLite database with the online backup API (consistent under writes)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=4096)
    finally:
        dst.close()
        src.close()


def prune_backups(ctx: Context, *, directory: Path | None = None) -> list[Path]:
    """Delete backups older than ``backup_retention_days`` (the seed's ``find -mtime +30``)."""
    folder = directory or ctx.settings.backup_dir
    if not folder.is_dir():
        return []
    cutoff = ctx.clock.now_ms() / 1000 - ctx.settings.backup_retention_days * 86400
    removed = []
    for path in sorted(folder.glob(BACKUP_GLOB)):
        if path.stat().st_mtime < cutoff:
            path.unlink()
            removed.append(path)
    return removed


def list_backups(ctx: Context) -> list[Path]:
    """Backups in the backup folder, newest first."""
    folder = ctx.settings.backup_dir
    if not folder.is_dir():
        return []
    return sorted(folder.glob(BACKUP_GLOB), key=lambda p: p.stat().st_mtime, reverse=True)
