"""Logs on stdout: one JSON line per request and the app's own records as JSON lines.

A container platform or journald collects stdout; a log collector wants one JSON object a line.
This is separate from ``system_logs`` (the database sink with its sampling, docs/logging.md):
nothing here touches the database, so every request gets its line.

- :class:`RequestLines` writes the request line: request id, user id (when authentication
  ran), method, the route template (``/api/collections/{collection}/content``, not the path
  with its ids), status and duration in ms. It is called by the request logger that the
  middleware and the response cache's fast path share, so cached hits get their line too.
- :class:`JsonLineFormatter` turns every other record (the app's ``sonic_cms.*`` loggers and
  uvicorn's own) into the same shape; :func:`serve_log_config` is the ``logging`` configuration
  `sonic serve` hands to uvicorn, JSON or text by ``SONIC_LOG_FORMAT``, at ``SONIC_LOG_LEVEL``.

In JSON mode uvicorn's access log is off (the request line replaces it, no request is printed
twice); in text mode uvicorn's access line is the request line and :class:`RequestLines` is
not built.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import select
import time
import traceback
from collections.abc import MutableMapping
from typing import Any

import orjson

from sonic_cms.config import Settings
from sonic_cms.logs.handler import FIELDS
from sonic_cms.logs.scrub import scrub_data, scrub_text
from sonic_cms.metrics.recorders import route_template

#: ``SONIC_LOG_LEVEL`` names as stdlib numbers.
LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}
#: The logger name request lines carry, so a collector can tell them from the app's records.
REQUEST_LOGGER = "sonic_cms.request"
#: stdout's file descriptor.
STDOUT_FD = 1
#: Most bytes of whole lines one ``write`` carries: a pipe write of up to ``PIPE_BUF`` bytes is
#: atomic, so the lines of several workers sharing the descriptor never interleave.
BATCH_BYTES: int = getattr(select, "PIPE_BUF", 512)  # POSIX: at least 512


def _timestamp(seconds: float) -> str:
    """UTC, ISO 8601 with milliseconds: ``2026-05-01T03:00:00.123Z``."""
    whole = int(seconds)
    millis = int((seconds - whole) * 1000)
    return f"{_second(whole)}.{millis:03d}Z"


@functools.lru_cache(maxsize=2)
def _second(whole: int) -> str:
    """The timestamp's whole second: formatted once per second, not per line."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))


class RequestLines:
    """Writes one JSON line per request to stdout (no database, no lock).

    On the event loop the lines of one turn of the loop go out together, in one ``write`` of
    at most :data:`BATCH_BYTES` at the end of the turn: under load a turn answers several
    requests, and a ``write`` per line cost a tenth of a cached read. A line emitted off the
    loop is written at once. One app is served by one loop at a time: lines held for a loop
    that ended before its turn did are written when the next line comes, ahead of it.
    """

    def __init__(self, level: int, fd: int = STDOUT_FD) -> None:
        self.level = level
        self.fd = fd
        #: Writes that failed (a batch of lines each, on the loop).
        self.failed_writes = 0
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._flush_due = False

    def emit(
        self,
        scope: MutableMapping[str, Any],
        status: int,
        duration_ms: float,
        route: str | None = None,
    ) -> None:
        """Write the request's line, unless its level is below ``SONIC_LOG_LEVEL``; ``route``
        when the caller answered the request itself (the template is routing's otherwise)."""
        level = "error" if status >= 500 else "warning" if status >= 400 else "info"
        if LEVELS[level] < self.level:
            return
        state = scope.get("state") or {}
        route = route or route_template(scope)
        method = scope.get("method", "")
        line = {
            "ts": _timestamp(time.time()),
            "level": level,
            "logger": REQUEST_LOGGER,
            "message": f"{method} {route or '-'} {status}",
            "request_id": state.get("request_id"),
            "user_id": state.get("user_id"),
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": round(duration_ms, 2),
        }
        self._queue(orjson.dumps(line) + b"\n")

    def _queue(self, data: bytes) -> None:
        """Hold ``data`` for the write at the end of this turn of the loop (at once off it)."""
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is not self._loop:  # off the loop, or a new loop: nothing held may wait
            self.flush()
            self._loop, self._flush_due = loop, False
        if loop is None:
            self._write(data)
            return
        if self._pending_bytes + len(data) > BATCH_BYTES:
            self.flush()
        self._pending.append(data)
        self._pending_bytes += len(data)
        if not self._flush_due:
            self._flush_due = True
            loop.call_soon(self._end_of_turn)

    def _end_of_turn(self) -> None:
        self._flush_due = False
        self.flush()

    def flush(self) -> None:
        """Write the held lines."""
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            self._pending_bytes = 0
            self._write(data)

    def _write(self, data: bytes) -> None:
        try:
            while data:  # a blocking pipe or file takes it whole; anything else, the rest
                data = data[os.write(self.fd, data) :]
        except OSError:  # a closed or full stdout must never fail a request
            self.failed_writes += 1


def request_lines(settings: Settings) -> RequestLines | None:
    """The request-line writer when stdout carries JSON lines, else None (text mode leaves the
    request line to uvicorn's access log)."""
    if settings.stdout_log_format != "json":
        return None
    return RequestLines(LEVELS[settings.log_level])


class JsonLineFormatter(logging.Formatter):
    """A log record as one JSON line: ``ts``, ``level``, ``logger``, ``message``, the
    system_logs fields the record carries (``request_id``, ``user_id``, ...), ``data`` and
    ``exception``, secrets masked as in system_logs."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": _timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": scrub_text(record.getMessage()),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        data = getattr(record, "data", None)
        if data is not None:
            line["data"] = scrub_data(data)
        if record.exc_info and record.exc_info[1] is not None:
            line["exception"] = scrub_text("".join(traceback.format_exception(*record.exc_info)))
        return orjson.dumps(line, default=str).decode()


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def serve_log_config(settings: Settings) -> dict[str, Any]:
    """``logging.config.dictConfig`` for `sonic serve` (uvicorn applies it in every worker):
    uvicorn's loggers and the app's ``sonic_cms`` loggers print to stdout at
    ``SONIC_LOG_LEVEL``, as JSON lines or as text.

    The ``sonic_cms`` logger itself stays at INFO or below whatever the stdout level: its
    records also feed system_logs, which ``log_config`` filters on its own.
    """
    level = LEVELS[settings.log_level]
    json_lines = settings.stdout_log_format == "json"
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JsonLineFormatter"} if json_lines else {"format": TEXT_FORMAT}
    )
    stdout = {
        "class": "logging.StreamHandler",
        "formatter": "stdout",
        "stream": "ext://sys.stdout",
        "level": level,
    }
    access: dict[str, Any] = {"handlers": [], "propagate": False}
    if not json_lines:  # text: uvicorn's access line is the request line
        access = {"handlers": ["access"], "level": level, "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "stdout": formatter,
            "access": {
                "()": "uvicorn.logging.AccessFormatter",
                "fmt": '%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s',
                "use_colors": False,
            },
        },
        "handlers": {
            "stdout": stdout,
            "access": {**stdout, "formatter": "access"},
        },
        "loggers": {
            "uvicorn": {"handlers": ["stdout"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": access,
            "sonic_cms": {
                "handlers": ["stdout"],
                "level": min(level, logging.INFO),
                "propagate": False,
            },
        },
    }
