"""``GET /metrics``: the Prometheus text format, behind a bearer token.

The token (``SONIC_METRICS_TOKEN``) is compared in constant time: both sides are hashed first,
so neither the comparison nor its length leaks how much of a guess was right. There is no open
mode, not even for loopback clients: behind a reverse proxy on the same host every scrape would
come from 127.0.0.1, so Settings refuses metrics without a token.

With several workers (``sonic serve --workers N``) each worker writes its numbers to files in
``PROMETHEUS_MULTIPROC_DIR`` and whichever worker answers the scrape sums them
(:mod:`sonic_cms.metrics.multiprocess`); one process serves its own registry.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request
from starlette.responses import Response

from sonic_cms.config import Settings
from sonic_cms.errors import Unauthorized
from sonic_cms.metrics.definitions import REGISTRY
from sonic_cms.metrics.multiprocess import DIRECTORY_VARIABLE

PATH = "/metrics"


def metrics_route(settings: Settings) -> Callable[[Request], Response]:
    """The handler of ``GET /metrics`` for an app on ``settings`` (the token's digest is
    computed once, here). A plain function: Starlette runs it in a thread, and summing the
    workers' files is file I/O that must not hold the event loop."""
    expected = _digest(f"Bearer {settings.metrics_token.get_secret_value()}")

    def metrics(request: Request) -> Response:
        """The metrics, or 401 without ``Authorization: Bearer <token>``.

        Raises:
            Unauthorized: the header is missing or names another token.
        """
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(_digest(given), expected):
            raise Unauthorized(
                "GET /metrics needs Authorization: Bearer <SONIC_METRICS_TOKEN>",
                code="metrics_token_required",
            )
        return Response(exposition(), media_type=CONTENT_TYPE_LATEST)

    return metrics


def exposition() -> bytes:
    """Every metric in the text format: summed over the workers' files in multiprocess mode,
    else this process's registry."""
    directory = os.environ.get(DIRECTORY_VARIABLE)
    if not directory:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8", "surrogateescape")).digest()
