"""Logs on stdout: one JSON line per request and the app's own records as JSON lines.

A container platform or journald collects stdout; a log collector wants one JSON object a line.
This is separate from ``system_logs`` (the database sink with its sampling, docs/logging.md):
nothing here touches the database, so every request gets its line.

- :class:`RequestLines` writes the request line: request id, user id (when authentication
  ran), method, the route template (``/api/collections/{collection}/content``, not the path
  with its ids), status and duration in ms, from a thread of its own. It is called by the
  request logger that the middleware and the response cache's fast path share, so cached hits
  get their line too.
- :class:`JsonLineFormatter` turns every other record (the app's ``sonic_cms.*`` loggers and
  uvicorn's own) into the same shape; :func:`serve_log_config` is the ``logging`` configuration
  `sonic serve` hands to uvicorn, JSON or text by ``SONIC_LOG_FORMAT``, at ``SONIC_LOG_LEVEL``.

In JSON mode uvicorn's access log is off (the request line replaces it, no request is printed
twice); in text mode uvicorn's access line is the request line and :class:`RequestLines` is
not built.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import traceback
from collections import deque
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
#: stdout's file descriptor: writes of whole lines, at most 4096 bytes each, so the lines of
#: several workers sharing the descriptor never interleave (such a pipe write is atomic).
STDOUT_FD = 1


def _timestamp(seconds: float) -> str:
    """UTC, ISO 8601 with milliseconds: ``2026-05-01T03:00:00.123Z``."""
    whole = int(seconds)
    millis = int((seconds - whole) * 1000)
    return f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(whole))}.{millis:03d}Z"


class RequestLines:
    """Writes one JSON line per request to stdout, from a thread of its own.

    The event loop only builds the line and appends it to a bounded buffer. A ``write`` from
    the loop thread gave up the GIL and then waited for it behind the worker threads: a quarter
    of the loop's samples in a profile of PostgreSQL reads, and a slow log collector on the
    pipe would have stalled every request (bench/README.md, "Request lines off the event
    loop"). The writer sends what gathered in one ``write`` of at most ``PIPE_BUF`` bytes, so
    the lines of several workers sharing the descriptor still never interleave. Lines beyond
    ``max_pending`` are dropped and counted; :meth:`close` writes what is left.
    """

    #: A pipe write of up to this many bytes is atomic (POSIX's PIPE_BUF on Linux).
    BATCH_BYTES = 4096

    def __init__(
        self,
        level: int,
        fd: int = STDOUT_FD,
        *,
        max_pending: int = 10_000,
        gather_seconds: float = 0.02,
    ) -> None:
        self.level = level
        self.fd = fd
        self.max_pending = max_pending
        self.gather_seconds = gather_seconds
        self.failed_writes = 0
        self.dropped_lines = 0
        self._pending: deque[bytes] = deque()
        self._wake = threading.Event()
        self._closing = False
        self._lock = threading.Lock()  # one writer at a time: the thread, or close()
        self._thread: threading.Thread | None = None

    def emit(
        self,
        scope: MutableMapping[str, Any],
        status: int,
        duration_ms: float,
        route: str | None = None,
    ) -> None:
        """Queue the request's line, unless its level is below ``SONIC_LOG_LEVEL``; ``route``
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
        if len(self._pending) >= self.max_pending:  # a stuck stdout must never hold requests
            self.dropped_lines += 1
            return
        self._pending.append(orjson.dumps(line) + b"\n")
        if self._thread is None and not self._start():  # closed: no thread to write it
            self.flush()
        elif not self._wake.is_set():
            self._wake.set()

    def flush(self) -> None:
        """Write every queued line now, in the caller's thread."""
        with self._lock:
            self._write_pending()

    def close(self) -> None:
        """Write what is queued and stop the writer thread (the app's shutdown)."""
        self._closing = True
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=5)
        self.flush()

    def _start(self) -> bool:
        """Start the writer thread (on the first line); False once closed."""
        with self._lock:
            if self._closing:
                return False
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="request-lines", daemon=True)
                self._thread.start()
            return True

    def _run(self) -> None:
        while not self._closing:
            self._wake.wait()
            # let a few lines gather: one write for them, and the GIL taken once
            time.sleep(self.gather_seconds)
            self._wake.clear()
            self.flush()

    def _write_pending(self) -> None:
        pending = self._pending
        while pending:
            batch = [pending.popleft()]
            size = len(batch[0])
            while pending and size + len(pending[0]) <= self.BATCH_BYTES:
                size += len(pending[0])
                batch.append(pending.popleft())
            self._write(b"".join(batch))

    def _write(self, data: bytes) -> None:
        try:
            while data:
                data = data[os.write(self.fd, data) :]
        except OSError:  # a closed or full stdout must never fail the app
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
