"""The client library's multiprocess mode for ``sonic serve --workers N``.

uvicorn's workers are separate processes, so each keeps its own counters; the library writes
them to memory-mapped files in ``PROMETHEUS_MULTIPROC_DIR`` and a scrape sums the files. The
variable must be set before a worker imports the library (it picks its value store at import),
so ``sonic serve`` sets it before uvicorn spawns the workers, in a directory made fresh for this
server start (stale files from an earlier run would be summed in) and removed when it stops.

One process (``--workers 1``, ``--reload``, the tests' apps) needs none of this: its registry is
read directly.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import multiprocess

DIRECTORY_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def worker_directory(enabled: bool, workers: int) -> Iterator[str | None]:
    """A fresh directory for the workers' metric files while the block runs, exported as
    ``PROMETHEUS_MULTIPROC_DIR`` to the processes started in it; None (and nothing set) when
    metrics are off or there is one process. The directory and the variable are gone after."""
    if not enabled or workers < 2:
        yield None
        return
    directory = tempfile.mkdtemp(prefix="sonic-metrics-")
    previous = os.environ.get(DIRECTORY_VARIABLE)
    os.environ[DIRECTORY_VARIABLE] = directory
    try:
        yield directory
    finally:
        if previous is None:
            os.environ.pop(DIRECTORY_VARIABLE, None)
        else:
            os.environ[DIRECTORY_VARIABLE] = previous
        shutil.rmtree(directory, ignore_errors=True)


def forget_process(pid: int) -> None:
    """Drop a stopped worker's ``live*`` gauges (pool use, queue depth) from the sums; its
    counters stay, as counters must. A no-op outside multiprocess mode."""
    if os.environ.get(DIRECTORY_VARIABLE):
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


def forget_at_exit() -> None:
    """In a worker of a multiprocess server: drop this worker's ``live*`` gauges when it exits
    (a worker killed outright keeps them until the server restarts; docs/metrics.md)."""
    if os.environ.get(DIRECTORY_VARIABLE):
        atexit.register(forget_process, os.getpid())
