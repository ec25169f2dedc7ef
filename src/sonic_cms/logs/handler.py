"""A ``logging.Handler`` that turns stdlib records into system_logs rows.

Category: an explicit ``extra={"category": ...}``, else by logger name (``sonic_cms.api`` ->
api, ``sonic_cms.plugins`` -> plugin, ...), else ``error`` for records with an exception and
``system`` otherwise. Structured fields ride in ``extra`` under their column names.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from sonic_cms.logs.scrub import scrub_data, scrub_text
from sonic_cms.logs.writer import LogWriter

LEVELS = {
    logging.DEBUG: "debug",
    logging.INFO: "info",
    logging.WARNING: "warn",
    logging.ERROR: "error",
    logging.CRITICAL: "fatal",
}
CATEGORY_BY_LOGGER = (
    ("sonic_cms.api", "api"),
    ("sonic_cms.auth", "auth"),
    ("sonic_cms.plugins", "plugin"),
    ("sonic_cms.media", "media"),
    ("sonic_cms.workflow", "workflow"),
    ("sonic_cms.security", "security"),
)
FIELDS = (
    "user_id",
    "session_id",
    "request_id",
    "ip_address",
    "user_agent",
    "method",
    "url",
    "status_code",
    "duration",
    "tags",
)


def level_name(levelno: int) -> str:
    """The seed's level for a stdlib level number."""
    for number in sorted(LEVELS, reverse=True):
        if levelno >= number:
            return LEVELS[number]
    return "debug"


def category_for(record: logging.LogRecord) -> str:
    """The seed category a record belongs to."""
    explicit = getattr(record, "category", None)
    if isinstance(explicit, str):
        return explicit
    for prefix, category in CATEGORY_BY_LOGGER:
        if record.name == prefix or record.name.startswith(prefix + "."):
            return category
    return "error" if record.exc_info else "system"


class SystemLogHandler(logging.Handler):
    """Queues each record for the writer; formatting happens here, I/O in the writer."""

    def __init__(self, writer: LogWriter, level: int = logging.DEBUG) -> None:
        super().__init__(level)
        self.writer = writer

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("sonic_cms.system_logs"):
            return  # the writer's own troubles go to stderr only, never round in a loop
        try:
            self.writer.submit(self.to_row(record))
        except Exception:  # noqa: BLE001 (logging must never raise)
            self.handleError(record)

    def to_row(self, record: logging.LogRecord) -> dict[str, Any]:
        """The system_logs row for ``record``, secrets scrubbed."""
        row: dict[str, Any] = {
            "level": level_name(record.levelno),
            "category": category_for(record),
            "message": scrub_text(record.getMessage()),
            "source": record.name,
        }
        for name in FIELDS:
            if hasattr(record, name):
                row[name] = getattr(record, name)
        data = getattr(record, "data", None)
        if data is not None:
            row["data"] = scrub_data(data)
        if record.exc_info and record.exc_info[1] is not None:
            row["stack_trace"] = scrub_text("".join(traceback.format_exception(*record.exc_info)))
        return row
