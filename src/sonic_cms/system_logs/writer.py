"""The background writer: records queue in memory and are inserted in batches by one thread.

Logging never waits on the database: ``submit`` is a ``put_nowait`` (a full queue drops the
record and counts it). The writer wakes every ``log_flush_interval_ms`` or when a batch is full,
applies log_config (enabled, minimum level; re-read every few seconds), and inserts one batch
per transaction. ``close`` drains everything before it returns, so a clean shutdown loses
nothing. A row whose user no longer exists is written without its user_id, not dropped.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import SQLAlchemyError

from sonic_cms.clock import Clock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import LOG_CATEGORIES, LOG_LEVELS, LogConfig, SystemLog
from sonic_cms.ids import new_id

internal = logging.getLogger("sonic_cms.system_logs.internal")

LEVEL_RANK = {level: rank for rank, level in enumerate(LOG_LEVELS)}
CONFIG_REFRESH_SECONDS = 5.0
_STOP = object()
COLUMNS = frozenset(c.name for c in SystemLog.__table__.columns)


class LogWriter:
    """Queue + writer thread for one process."""

    def __init__(self, settings: Settings, db: Database, clock: Clock) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock
        self.enabled = settings.log_to_database
        self._queue: queue.Queue[object] = queue.Queue(maxsize=settings.log_queue_max)
        self._thread: threading.Thread | None = None
        self._config: dict[str, tuple[bool, int]] = {}
        self._config_at = -CONFIG_REFRESH_SECONDS
        self.written = 0
        self.dropped = 0
        self.filtered = 0
        self._idle = threading.Event()
        self._idle.set()

    def start(self) -> None:
        """Start the writer thread (idempotent)."""
        if self._thread is None and self.enabled:
            self._thread = threading.Thread(target=self._run, name="system-logs", daemon=True)
            self._thread.start()

    def submit(self, record: dict[str, Any]) -> None:
        """Queue one record (keys are system_logs columns); never blocks."""
        if not self.enabled:
            return
        record.setdefault("created_at", self.clock.now_ms())
        try:
            self._idle.clear()
            self._queue.put_nowait(record)
        except queue.Full:
            self.dropped += 1

    def log(self, level: str, category: str, message: str, **fields: Any) -> None:
        """Queue a record built from arguments."""
        self.submit({"level": level, "category": category, "message": message, **fields})

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until everything queued so far is written."""
        deadline = time.monotonic() + timeout
        while not (self._queue.empty() and self._idle.is_set()):
            if time.monotonic() > deadline or self._thread is None:
                break
            time.sleep(0.005)

    def close(self) -> None:
        """Write every queued record, then stop the thread."""
        if self._thread is None:
            return
        self._queue.put(_STOP)
        self._thread.join()
        self._thread = None

    def refresh_config(self) -> None:
        """Re-read log_config on the next batch (after it was changed in this process)."""
        self._config_at = -CONFIG_REFRESH_SECONDS

    # -- the thread -----------------------------------------------------------------------
    def _run(self) -> None:
        interval = self.settings.log_flush_interval_ms / 1000
        size = self.settings.log_batch_size
        while True:
            try:
                item = self._queue.get(timeout=interval)
            except queue.Empty:
                self._idle.set()
                continue
            batch: list[dict[str, Any]] = []
            stop = False
            while True:  # take everything queued now, in batches
                if item is _STOP:
                    stop = True
                else:
                    batch.append(item)  # type: ignore[arg-type]
                if len(batch) >= size:
                    self._write(batch)
                    batch = []
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            self._write(batch)
            if stop:
                return
            if self._queue.empty():
                self._idle.set()

    def _write(self, batch: list[dict[str, Any]]) -> None:
        if not batch:
            return
        try:
            rows = [row for row in (self._prepare(r) for r in batch) if row is not None]
            if not rows:
                return
            try:
                with self.db.write() as conn:
                    conn.execute(insert(SystemLog), rows)
            except SQLAlchemyError:
                self._write_one_by_one(rows)
            self.written += len(rows)
        except Exception:  # noqa: BLE001 (the writer thread must survive)
            internal.exception("system log writer lost a batch of %d records", len(batch))

    def _write_one_by_one(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            try:
                with self.db.write() as conn:
                    conn.execute(insert(SystemLog), [row])
            except SQLAlchemyError:
                with self.db.write() as conn:
                    conn.execute(insert(SystemLog), [{**row, "user_id": None}])

    def _prepare(self, record: dict[str, Any]) -> dict[str, Any] | None:
        level = record.get("level", "info")
        category = record.get("category", "system")
        if level not in LEVEL_RANK or category not in LOG_CATEGORIES:
            level = level if level in LEVEL_RANK else "info"
            category = category if category in LOG_CATEGORIES else "system"
        enabled, minimum = self._category_config(category)
        if not enabled or LEVEL_RANK[level] < minimum:
            self.filtered += 1
            return None
        row = {k: v for k, v in record.items() if k in COLUMNS}
        row.update(level=level, category=category, id=row.get("id") or new_id())
        row["message"] = str(row.get("message", ""))[:10_000]
        for column in COLUMNS - set(row):
            row[column] = None
        return row

    def _category_config(self, category: str) -> tuple[bool, int]:
        if time.monotonic() - self._config_at >= CONFIG_REFRESH_SECONDS:
            try:
                with self.db.read() as conn:
                    rows = conn.execute(
                        select(LogConfig.category, LogConfig.enabled, LogConfig.level)
                    )
                    self._config = {c: (bool(e), LEVEL_RANK.get(lv, 1)) for c, e, lv in rows}
            except SQLAlchemyError:
                internal.warning("could not read log_config; keeping the last known one")
            self._config_at = time.monotonic()
        return self._config.get(category, (True, LEVEL_RANK["info"]))
