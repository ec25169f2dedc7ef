"""GET /metrics: off by default, behind a bearer token, and what each part of the app records.

In-process tests read the numbers through the endpoint itself (the text format, parsed with the
client library's parser); the last test runs a real `sonic serve --workers 2` and checks that
the workers' counts add up in one scrape.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError

from sonic_cms.api.app import create_app
from sonic_cms.api.response_cache import ResponseCacheMiddleware
from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.logs.writer import LogWriter
from sonic_cms.metrics.definitions import REGISTRY
from sonic_cms.workflow.executor import run_due
from tests.conftest import make_settings
from tests.utils import plugins as test_plugins
from tests.utils.auth import bearer_headers, create_random_user
from tests.utils.content_rows import make_collection, make_content, make_schedule
from tests.utils.live_server import live_server

TOKEN = "scrape-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def metrics_settings(db_url: str, **overrides: Any) -> Settings:
    return make_settings(db_url, metrics_enabled=True, metrics_token=TOKEN, **overrides)


@pytest.fixture
def settings(db_url: str) -> Settings:
    """Every app, database and context of this module has metrics on (the conftest fixtures
    ``db``, ``ctx`` and ``client`` build on this)."""
    return metrics_settings(db_url)


@pytest.fixture
def app_client(settings: Settings, db: Database, clock: FrozenClock) -> Iterator[TestClient]:
    extra = [test_plugins.SPY, test_plugins.BREAKER]
    with TestClient(create_app(settings, db=db, clock=clock, plugins=extra)) as client:
        yield client


def parse(text: str) -> Samples:
    """Every sample of a scrape, keyed by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client: TestClient) -> Samples:
    response = client.get("/metrics", headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return parse(response.text)


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def requests_of(samples: Samples, route: str, status: str = "200", method: str = "GET") -> float:
    return value(
        samples,
        "sonic_http_request_duration_seconds_count",
        route=route,
        method=method,
        status=status,
    )


# -- switched on, and guarded ---------------------------------------------------------------


@pytest.mark.parametrize("token", ["", "short-token"])
def test_metrics_refuse_to_start_without_a_real_token(db_url: str, token: str) -> None:
    with pytest.raises(ValidationError, match="SONIC_METRICS_TOKEN"):
        make_settings(db_url, metrics_enabled=True, metrics_token=token)


def test_the_token_never_shows_in_the_settings_repr(settings: Settings) -> None:
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings.model_dump())


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token-0123456789abcdef"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": TOKEN},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": "Bearer"},
    ],
)
def test_a_scrape_without_the_token_is_a_401(
    app_client: TestClient, headers: dict[str, str]
) -> None:
    response = app_client.get("/metrics", headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "metrics_token_required"
    assert TOKEN not in response.text
    assert "sonic_http_request_duration" not in response.text


def test_metrics_are_not_in_the_openapi_document(app_client: TestClient) -> None:
    assert "/metrics" not in app_client.get("/openapi.json").json()["paths"]


# -- requests ---------------------------------------------------------------------------------


def test_requests_are_counted_per_route_template_never_per_raw_path(app_client: TestClient) -> None:
    before = scrape(app_client)
    for item in ("no-such-item-1", "no-such-item-2"):
        assert app_client.get(f"/api/content/{item}").status_code == 404
    assert app_client.get("/no/such/page-7f3a").status_code == 404
    response = app_client.get("/metrics", headers=AUTH)
    after = parse(response.text)
    assert requests_of(after, "/api/content/{item_id}", "404") == (
        requests_of(before, "/api/content/{item_id}", "404") + 2
    )
    assert requests_of(after, "<unmatched>", "404") == requests_of(before, "<unmatched>", "404") + 1
    for raw in ("no-such-item-1", "page-7f3a"):
        assert raw not in response.text
    labels = {"route": "/api/content/{item_id}", "method": "GET", "status": "404"}
    seconds = "sonic_http_request_duration_seconds_sum"
    assert value(after, seconds, **labels) > value(before, seconds, **labels)  # and timed


def test_an_unknown_method_is_one_label_not_many(app_client: TestClient) -> None:
    before = scrape(app_client)
    app_client.request("BREW", "/api/collections")
    app_client.request("PROPFIND", "/api/collections")
    after = scrape(app_client)
    counted = sum(
        after.get(key, 0.0) - before.get(key, 0.0)
        for key in after
        if key[0] == "sonic_http_request_duration_seconds_count" and ("method", "other") in key[1]
    )
    assert counted == 2
    assert not any(("method", "BREW") in key[1] for key in after)


def test_fast_path_hits_count_under_the_route_that_answered_first(app_client: TestClient) -> None:
    """A hit never reaches the middleware stack: swap the stack for one that fails and the hits
    still answer, counted under the route template."""
    url = "/api/collections"
    first = app_client.get(url)
    assert first.status_code == 200 and first.headers["X-Cache-Status"] == "MISS"
    before = scrape(app_client)
    fast_path = app_client.app.middleware_stack  # type: ignore[attr-defined]
    while not isinstance(fast_path, ResponseCacheMiddleware):  # behind the health probes
        fast_path = fast_path.app
    stack = fast_path.app

    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the fast path let a cached hit through to the stack")

    fast_path.app = broken
    try:
        for _ in range(3):
            hit = app_client.get(url)
            assert hit.status_code == 200 and hit.headers["X-Cache-Status"] == "HIT"
    finally:
        fast_path.app = stack
    after = scrape(app_client)
    assert requests_of(after, url) == requests_of(before, url) + 3


# -- cache, database --------------------------------------------------------------------------


def test_cache_lookups_are_counted_per_tier_and_namespace(app_client: TestClient) -> None:
    url = "/api/collections"
    before = scrape(app_client)
    app_client.get(url)
    app_client.get(url, headers={"If-None-Match": "nothing"})
    namespace = app_client.app.state.ctx.cached_urls[url].key.namespace  # type: ignore[attr-defined]
    after = scrape(app_client)

    def delta(tier: str, result: str) -> float:
        labels = {"tier": tier, "namespace": namespace, "result": result}
        name = "sonic_cache_lookups_total"
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("memory", "miss") == 1  # the first read
    assert delta("database", "hit") == 1  # its load
    assert delta("memory", "hit") == 1  # the second read, on the fast path


def test_database_pool_and_query_time(app_client: TestClient, db: Database) -> None:
    before = scrape(app_client)
    assert app_client.get("/api/content/not-there").status_code == 404
    after = scrape(app_client)
    name = "sonic_db_query_duration_seconds_count"
    assert value(after, name) > value(before, name)
    assert value(after, "sonic_db_pool_size") == db.engine.pool.size()  # type: ignore[attr-defined]
    in_use = REGISTRY.get_sample_value("sonic_db_pool_connections_in_use")
    assert in_use is not None
    with db.engine.connect():
        assert REGISTRY.get_sample_value("sonic_db_pool_connections_in_use") == in_use + 1
    assert REGISTRY.get_sample_value("sonic_db_pool_connections_in_use") == in_use


# -- scheduler, log writer, plugins -------------------------------------------------------------


def test_scheduled_jobs_record_their_lag_and_outcome(
    db: Database, clock: FrozenClock, ctx: Context
) -> None:
    editor = create_random_user(db, clock, "editor")
    item = make_content(db, clock, make_collection(db, clock), editor.id)
    now = clock.now_ms()
    make_schedule(
        db, item, editor.id, {"bad": ("teleport", now - 60_000), "good": ("archive", now - 90_000)}
    )
    jobs = "sonic_scheduler_jobs_total"
    failed, completed = (
        {"action": "other", "outcome": "failed"},
        {"action": "archive", "outcome": "completed"},
    )
    before = [REGISTRY.get_sample_value(jobs, labels) or 0 for labels in (failed, completed)]
    lag = REGISTRY.get_sample_value("sonic_scheduler_lag_seconds_sum") or 0
    report = run_due(ctx)
    assert report.failed == ["bad"] and report.completed == ["good"]
    assert REGISTRY.get_sample_value(jobs, failed) == before[0] + 1
    assert REGISTRY.get_sample_value(jobs, completed) == before[1] + 1
    assert REGISTRY.get_sample_value("sonic_scheduler_lag_seconds_sum") == pytest.approx(lag + 150)


def test_log_writer_reports_its_queue_depth_and_drops(db_url: str, clock: FrozenClock) -> None:
    settings = metrics_settings(
        db_url, log_queue_max=10, log_batch_size=3, log_flush_interval_ms=600_000
    )
    db = Database(settings)
    writer = LogWriter(settings, db, clock)
    dropped = REGISTRY.get_sample_value("sonic_log_records_dropped_total") or 0
    try:
        writer.start()
        for n in range(3):  # the third fills a batch and wakes the writer
            writer.log("info", "system", f"record {n}")
        writer.flush()
        assert REGISTRY.get_sample_value("sonic_log_queue_depth") == 3
        writer.close()
        for n in range(11):  # nobody drains now: the eleventh finds the queue full
            writer.log("info", "system", f"late {n}")
        assert REGISTRY.get_sample_value("sonic_log_records_dropped_total") == dropped + 1
    finally:
        writer.close()
        db.dispose()


def test_plugin_hook_errors_are_counted_per_plugin_and_hook(
    app_client: TestClient, settings: Settings, db: Database, clock: FrozenClock
) -> None:
    admin = bearer_headers(db, settings, clock, "admin")
    for name in ("spy", "breaker"):
        assert app_client.post(f"/admin/api/plugins/{name}/install", headers=admin).is_success
        assert app_client.post(f"/admin/api/plugins/{name}/activate", headers=admin).is_success
    labels = {"plugin": "breaker", "hook": "content:create"}
    before = value(scrape(app_client), "sonic_plugin_hook_errors_total", **labels)
    response = app_client.post("/api/plugins/spy/things", json={"title": "t"}, headers=admin)
    assert response.status_code == 201
    assert value(scrape(app_client), "sonic_plugin_hook_errors_total", **labels) == before + 1


# -- several workers ----------------------------------------------------------------------------


def _per_worker(directory: Path, route: str, scratch: Path) -> dict[str, float]:
    """Each worker's own count of GET ``route`` answered 200, read from its histogram file."""
    counts = {}
    for file in directory.glob("histogram_*.db"):
        alone = scratch / file.stem
        alone.mkdir(parents=True, exist_ok=True)
        shutil.copy(file, alone / file.name)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(alone))  # type: ignore[no-untyped-call]
        labels = {"route": route, "method": "GET", "status": "200"}
        counts[file.stem] = (
            registry.get_sample_value("sonic_http_request_duration_seconds_count", labels) or 0
        )
    return counts


def test_two_workers_add_up_in_one_scrape(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`sonic serve --workers 2`: both workers answer, the scrape sums them, and the metric
    files live in a directory made for this start and removed when the server stops."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))  # where `sonic serve` makes its directory
    route = "/api/collections"
    with live_server(
        db_url, tmp_path, workers="2", metrics_enabled="true", metrics_token=TOKEN
    ) as server:
        (directory,) = temp.glob("sonic-metrics-*")
        sent = 0
        per_worker: dict[str, float] = {}
        deadline = time.monotonic() + 60  # the second worker may still be importing
        while time.monotonic() < deadline and sum(1 for n in per_worker.values() if n) < 2:
            for _ in range(10):  # a new connection each: the kernel picks the worker
                assert httpx.get(server.url + route, timeout=10).status_code == 200
            sent += 10
            per_worker = _per_worker(directory, route, tmp_path / "scratch")
        assert sorted(n > 0 for n in per_worker.values()) == [True, True], per_worker
        # a worker records a request's metrics after its answer is sent: wait for the last
        while sum(per_worker.values()) < sent and time.monotonic() < deadline + 10:
            time.sleep(0.05)
            per_worker = _per_worker(directory, route, tmp_path / "scratch")
        scrape_response = httpx.get(server.url + "/metrics", headers=AUTH, timeout=10)
        assert scrape_response.status_code == 200
        total = requests_of(parse(scrape_response.text), route)
        assert total == sent == sum(per_worker.values())
    assert not directory.exists()  # the server has exited: its directory went with it
