"""Every metric sonic-cms exports, defined once per process (docs/metrics.md describes each).

The metric objects are module-level because the client library keys its multiprocess files by
metric name and process: one definition per process is what it expects, however many apps a
test builds. They live in their own registry (:data:`REGISTRY`), not the library's global one,
so nothing else a process imports ends up on ``/metrics``. Defining them records nothing: every
recorder is installed only when ``SONIC_METRICS_ENABLED`` is on.

Gauges say how several workers add up (``multiprocess_mode``): ``livesum`` sums the processes
still alive, which is what "connections in use" or "records queued" mean for a server.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

#: Request latency buckets, in seconds: a cached hit answers in well under a millisecond, so the
#: library's default buckets (from 5 ms) would put every cached read in the first one.
REQUEST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
#: Query time buckets, in seconds: most SQLite reads take tens of microseconds.
QUERY_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5)
#: Scheduler lag buckets, in seconds: the executor wakes every ``scheduler_interval_seconds``.
LAG_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)

#: Requests answered and their latency, in one instrument: its ``_count`` series is the request
#: count, so a request pays one observation, not an observation and a separate counter.
HTTP_DURATION = Histogram(
    "sonic_http_request_duration_seconds",
    "HTTP requests answered (cached hits included) by route template, method and status, and "
    "the time from reaching the app to the response sent, in seconds",
    ("route", "method", "status"),
    buckets=REQUEST_BUCKETS,
    registry=REGISTRY,
)
CACHE_LOOKUPS = Counter(
    "sonic_cache_lookups",
    "Cache lookups by tier and namespace; the database tier counts loads (always a hit)",
    ("tier", "namespace", "result"),
    registry=REGISTRY,
)
DB_POOL_IN_USE = Gauge(
    "sonic_db_pool_connections_in_use",
    "Database connections checked out of the pool now (summed over live workers)",
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
DB_POOL_SIZE = Gauge(
    "sonic_db_pool_size",
    "Connections the pool keeps (SONIC_DB_POOL_SIZE; summed over live workers)",
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
DB_QUERY_DURATION = Histogram(
    "sonic_db_query_duration_seconds",
    "Time one SQL statement took in the driver, in seconds",
    buckets=QUERY_BUCKETS,
    registry=REGISTRY,
)
SCHEDULER_LAG = Histogram(
    "sonic_scheduler_lag_seconds",
    "How late a scheduled job ran after its due time, in seconds",
    buckets=LAG_BUCKETS,
    registry=REGISTRY,
)
SCHEDULER_JOBS = Counter(
    "sonic_scheduler_jobs",
    "Scheduled jobs the server's executor ran, by action and outcome",
    ("action", "outcome"),
    registry=REGISTRY,
)
LOG_QUEUE_DEPTH = Gauge(
    "sonic_log_queue_depth",
    "Log records waiting for the system_logs writer at its last wake (summed over workers)",
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
LOG_DROPPED = Counter(
    "sonic_log_records_dropped",
    "Log records dropped because the writer's queue was full (SONIC_LOG_QUEUE_MAX)",
    registry=REGISTRY,
)
PLUGIN_HOOK_ERRORS = Counter(
    "sonic_plugin_hook_errors",
    "Plugin hook handlers that raised (the plugin is then marked failed), by plugin and hook",
    ("plugin", "hook"),
    registry=REGISTRY,
)
#: Webhook delivery buckets, in seconds: a receiver answers in milliseconds or times out
#: (SONIC_WEBHOOKS_TIMEOUT_SECONDS, at most 120).
WEBHOOK_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
WEBHOOK_ATTEMPTS = Counter(
    "sonic_webhook_attempts",
    "Webhook delivery attempts by event type and outcome (success, http_error, network_error, "
    "timeout, refused)",
    ("event", "outcome"),
    registry=REGISTRY,
)
WEBHOOK_DURATION = Histogram(
    "sonic_webhook_delivery_duration_seconds",
    "Time one webhook delivery attempt took, connect to last byte of the answer, in seconds",
    buckets=WEBHOOK_BUCKETS,
    registry=REGISTRY,
)
WEBHOOK_BACKLOG = Gauge(
    "sonic_webhook_outbox_backlog",
    "Webhook deliveries waiting (pending, due or not) at the delivery worker's last pass",
    registry=REGISTRY,
    multiprocess_mode="livemax",
)
