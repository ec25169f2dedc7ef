"""Prometheus metrics: the metric definitions, the recorders the hot paths call, the
``GET /metrics`` endpoint and the multiprocess directory ``sonic serve`` keeps for its workers.

Off by default (``SONIC_METRICS_ENABLED``); docs/metrics.md lists every metric. The package sits
just above the configuration in the layers, so the database, the cache, the log writer, the
scheduler and the plugin runtime can all record into it without importing each other.
"""
