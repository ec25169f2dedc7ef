"""The background writer: records queue in memory and are inserted in batches by one thread.

Logging never waits on the database: ``submit`` appends to a deque (beyond ``log_queue_max``
records the new one is dropped and counted). The writer wakes every ``log_flush_interval_ms``
or when a batch is full, applies log_config (enabled, minimum level; re-read every few
seconds), and inserts one batch per transaction. ``close`` drains everything before it
returns, so a clean shutdown loses nothing. A row whose user no longer exists is written
without its user_id, not dropped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import SQLAlchemyError

from sonic_cms.clock import Clock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import LOG_CATEGORIES, LOG_LEVELS, LogConfig, SystemLog
from sonic_cms.ids import new_id
from sonic_cms.metrics import definitions as metrics

internal = logging.getLogger("sonic_cms.system_logs.internal")

LEVEL_RANK = {level: rank for rank, level in enumerate(LOG_LEVELS)}
CONFIG_REFRESH_SECONDS = 5.0
COLUMNS = frozenset(c.name for c in SystemLog.__table__.columns)


class LogWriter:
    """Buffer + writer thread for one process.

    The buffer is a deque: appending takes no lock and wakes nobody, so a request pays a few
    hundred nanoseconds; the writer wakes on its interval (or early when a batch is full).
    """

    def __init__(self, settings: Settings, db: Database, clock: Clock) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock
        self.enabled = settings.log_to_database
        self._buffer: deque[dict[str, Any]] = deque()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._busy = threading.Lock()
        self._thread: threading.Thread | None = None
        self._config: dict[str, tuple[bool, int]] = {}
        self._config_at = -CONFIG_REFRESH_SECONDS
        self.written = 0
        self.dropped = 0
        self.filtered = 0
        self._metrics = settings.metrics_enabled

    def start(self) -> None:
        """Start the writer thread (idempotent)."""
        if self._thread is None and self.enabled:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="system-logs", daemon=True)
            self._thread.start()

    def submit(self, record: dict[str, Any]) -> None:
        """Queue one record (keys are system_logs columns); never blocks."""
        if not self.enabled:
            return
        if len(self._buffer) >= self.settings.log_queue_max:
            self.dropped += 1
            if self._metrics:
                metrics.LOG_DROPPED.inc()
            return
        record.setdefault("created_at", self.clock.now_ms())
        self._buffer.append(record)
        if len(self._buffer) >= self.settings.log_batch_size:
            self._wake.set()

    def log(self, level: str, category: str, message: str, **fields: Any) -> None:
        """Queue a record built from arguments."""
        self.submit({"level": level, "category": category, "message": message, **fields})

    def flush(self, timeout: float = 30.0) -> None:
        """Write everything queued so far (in the caller's thread when no writer runs)."""
        deadline = time.monotonic() + timeout
        if self._thread is None:
            self._drain()
            return
        while self._buffer and time.monotonic() < deadline:
            self._wake.set()
            time.sleep(0.005)
        with self._busy:  # wait for a batch in flight
            pass

    def close(self) -> None:
        """Write every queued record, then stop the thread."""
        if self._thread is None:
            return
        self._stop.set()
        self._wake.set()
        self._thread.join()
        self._thread = None
        self._drain()  # anything submitted while the thread was stopping

    def refresh_config(self) -> None:
        """Re-read log_config on the next batch (after it was changed in this process)."""
        self._config_at = -CONFIG_REFRESH_SECONDS

    # -- the thread -----------------------------------------------------------------------
    def _run(self) -> None:
        interval = self.settings.log_flush_interval_ms / 1000
        while not self._stop.is_set():
            self._wake.wait(interval)
            self._wake.clear()
            if self._metrics:  # what piled up since the last wake: the depth worth watching
                metrics.LOG_QUEUE_DEPTH.set(len(self._buffer))
            self._drain()
        self._drain()

    def _drain(self) -> None:
        size = self.settings.log_batch_size
        with self._busy:
            while self._buffer:
                batch: list[dict[str, Any]] = []
                while self._buffer and len(batch) < size:
                    batch.append(self._buffer.popleft())
                self._write(batch)

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
