"""What the hot paths call: small recorders that resolve each label set once.

``metric.labels(...)`` takes a lock and builds a key on every call; a request pays for it once per
distinct (route, method, status) here and then only increments the child it kept. Label values
are bounded: route *templates* (``/api/content/{id}``, never the raw path), the standard
methods, and the namespaces and tiers the cache knows.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import Counter, Histogram
from starlette.types import Scope

from sonic_cms.metrics import definitions

#: The route label of a request no route matched (a 404 for an unknown path): raw paths would
#: let any client add series without bound.
UNMATCHED = "<unmatched>"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_OTHER = "other"
_ACTIONS = frozenset({"publish", "unpublish", "archive"})


def route_template(scope: Scope) -> str | None:
    """The template of the route that answered (``/api/content/{item_id}``), from
    ``scope["route"]``, which the router sets and the cached-read fast path sets for a hit;
    None when no route matched. The stdout request line and the metrics name routes by it."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) else None


class RequestMetrics:
    """Counts and times requests, per route template, method and status; one per app, called by
    the request logger for the middleware and the cached-read fast path alike."""

    def __init__(self) -> None:
        self._children: dict[tuple[str | None, str, int], Histogram] = {}

    def observe(self, scope: Scope, status: int, seconds: float) -> None:
        """Record one answered request (``scope["route"]``, set by the router or the fast
        path, is the route that answered it)."""
        key = (route_template(scope), scope["method"], status)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = _request_child(*key)
        child.observe(seconds)


def _request_child(template: str | None, method: str, status: int) -> Histogram:
    labels = (template or UNMATCHED, method if method in _METHODS else _OTHER, str(status))
    return definitions.HTTP_DURATION.labels(*labels)


def cache_recorder(tier: str) -> Callable[[str, str | None], None]:
    """A :class:`~sonic_cms.cache.base.TierStats` observer counting ``tier``'s hits and misses
    per namespace (other counts, such as sets, are left to the cache's own stats)."""
    children: dict[tuple[str, str], Counter] = {}

    def record(what: str, namespace: str | None) -> None:
        if namespace is None or what not in ("hits", "misses"):
            return
        key = (what, namespace)
        child = children.get(key)
        if child is None:
            result = "hit" if what == "hits" else "miss"
            child = children[key] = definitions.CACHE_LOOKUPS.labels(tier, namespace, result)
        child.inc()

    return record


def scheduled_job_ran(action: str, succeeded: bool, lag_seconds: float) -> None:
    """Record one job the executor ran (``action`` is publish, unpublish or archive)."""
    outcome = "completed" if succeeded else "failed"
    known = action if action in _ACTIONS else _OTHER  # a stored row may hold anything
    definitions.SCHEDULER_JOBS.labels(known, outcome).inc()
    definitions.SCHEDULER_LAG.observe(max(0.0, lag_seconds))


def hook_failed(plugin: str, hook: str) -> None:
    """Record a plugin handler that raised."""
    definitions.PLUGIN_HOOK_ERRORS.labels(plugin, hook).inc()


#: The outcomes a webhook attempt is recorded with (sonic_cms.webhooks.delivery).
_WEBHOOK_OUTCOMES = frozenset({"success", "http_error", "network_error", "timeout", "refused"})


def webhook_attempted(event: str, outcome: str, seconds: float) -> None:
    """Record one webhook delivery attempt and how long it took."""
    known = outcome if outcome in _WEBHOOK_OUTCOMES else _OTHER
    definitions.WEBHOOK_ATTEMPTS.labels(event, known).inc()
    definitions.WEBHOOK_DURATION.observe(max(0.0, seconds))


def webhook_backlog(pending: int) -> None:
    """Record how many webhook deliveries wait in the outbox."""
    definitions.WEBHOOK_BACKLOG.set(pending)
