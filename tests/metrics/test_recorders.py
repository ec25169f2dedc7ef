"""The recorders the hot paths call: bounded labels, one child per label set."""

from __future__ import annotations

from types import SimpleNamespace

from sonic_cms.cache.base import TierStats
from sonic_cms.metrics.definitions import REGISTRY
from sonic_cms.metrics.recorders import (
    UNMATCHED,
    RequestMetrics,
    cache_recorder,
    hook_failed,
    scheduled_job_ran,
)


def count(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def requests(route: str, method: str, status: str) -> float:
    return count(
        "sonic_http_request_duration_seconds_count", route=route, method=method, status=status
    )


def test_a_request_is_counted_under_its_route_template() -> None:
    route = SimpleNamespace(path="/unit/{thing_id}")
    metrics = RequestMetrics()
    before = requests("/unit/{thing_id}", "GET", "200")
    for _ in range(2):
        metrics.observe({"route": route, "method": "GET"}, 200, 0.002)
    assert requests("/unit/{thing_id}", "GET", "200") == before + 2
    assert len(metrics._children) == 1  # resolved once, reused after


def test_no_route_and_odd_methods_fold_into_one_label_each() -> None:
    metrics = RequestMetrics()
    before = requests(UNMATCHED, "other", "405")
    metrics.observe({"method": "BREW"}, 405, 0.001)
    metrics.observe({"route": None, "method": "X-ANYTHING"}, 405, 0.001)
    assert requests(UNMATCHED, "other", "405") == before + 2


def test_request_latency_lands_in_its_bucket() -> None:
    route = SimpleNamespace(path="/unit/latency")
    labels = {"route": "/unit/latency", "method": "GET", "status": "200"}
    name = "sonic_http_request_duration_seconds_bucket"
    fast_before = count(name, **labels, le="0.001")
    slow_before = count(name, **labels, le="+Inf")
    RequestMetrics().observe({"route": route, "method": "GET"}, 200, 0.0007)
    RequestMetrics().observe({"route": route, "method": "GET"}, 200, 3.0)
    assert count(name, **labels, le="0.001") == fast_before + 1
    assert count(name, **labels, le="+Inf") == slow_before + 2


def test_the_cache_observer_counts_hits_and_misses_only() -> None:
    stats = TierStats(observer=cache_recorder("memory"))
    name = "sonic_cache_lookups_total"
    hits = count(name, tier="memory", namespace="media", result="hit")
    misses = count(name, tier="memory", namespace="media", result="miss")
    stats.count("hits", "media")
    stats.count("misses", "media")
    stats.count("misses", "media")
    stats.count("sets", "media")
    stats.count("errors")
    assert count(name, tier="memory", namespace="media", result="hit") == hits + 1
    assert count(name, tier="memory", namespace="media", result="miss") == misses + 2
    assert stats.hits == 1 and stats.misses == 2 and stats.sets == 1  # its own stats unchanged


def test_scheduler_outcomes_keep_their_labels_bounded() -> None:
    name = "sonic_scheduler_jobs_total"
    other = count(name, action="other", outcome="failed")
    lag = count("sonic_scheduler_lag_seconds_sum")
    scheduled_job_ran("'; DROP TABLE content; --", False, 2.0)
    scheduled_job_ran("publish", True, -5.0)  # a clock step back is no negative lag
    assert count(name, action="other", outcome="failed") == other + 1
    assert count("sonic_scheduler_lag_seconds_sum") == lag + 2.0


def test_hook_errors_are_counted_per_plugin_and_hook() -> None:
    before = count("sonic_plugin_hook_errors_total", plugin="unit", hook="content:create")
    hook_failed("unit", "content:create")
    assert count("sonic_plugin_hook_errors_total", plugin="unit", hook="content:create") == (
        before + 1
    )
