"""System logs: the batched writer, the handler, request logging, log_config, retention,
the admin API and the CLI."""

from __future__ import annotations

import csv
import io
import logging
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select, update
from typer.testing import CliRunner

from sonic_cms.api.app import create_app
from sonic_cms.api.request_log import RequestLogMiddleware
from sonic_cms.cli.main import app as cli
from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import LogConfig, SystemLog
from sonic_cms.ids import new_id
from sonic_cms.logs.handler import SystemLogHandler
from sonic_cms.logs.retention import DAY_MS, prune
from sonic_cms.logs.sampling import RoutineSampler, is_routine
from sonic_cms.logs.scrub import scrub_data, scrub_query, scrub_text
from sonic_cms.logs.writer import LogWriter
from tests.utils.auth import bearer_headers, create_random_user


def rows(db: Database, **where: Any) -> list[dict[str, Any]]:
    query = select(SystemLog).order_by(SystemLog.created_at, SystemLog.id)
    for column, value in where.items():
        query = query.where(getattr(SystemLog, column) == value)
    with db.read() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def count(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(SystemLog)).scalar_one())


# -- writer and handler --------------------------------------------------------------------


def test_n_records_then_shutdown_gives_n_rows(db: Database, settings: Settings, clock: FrozenClock):
    slow = settings.model_copy(update={"log_flush_interval_ms": 5000, "log_batch_size": 37})
    writer = LogWriter(slow, db, clock)
    writer.start()
    for i in range(1000):
        writer.log("info", "system", f"record {i}")
    writer.close()  # long before the flush interval: close must drain everything
    assert count(db) == 1000
    assert writer.written == 1000 and writer.dropped == 0


def test_submit_never_blocks_a_full_queue_drops_and_counts(
    db: Database, settings: Settings, clock: FrozenClock
):
    tiny = settings.model_copy(update={"log_queue_max": 10})
    writer = LogWriter(tiny, db, clock)  # not started: nothing drains the queue
    for i in range(25):
        writer.log("info", "system", f"r{i}")
    assert writer.dropped == 15


def test_log_config_disabled_and_minimum_level_are_enforced(
    db: Database, settings: Settings, clock: FrozenClock
):
    with db.write() as conn:
        conn.execute(update(LogConfig).where(LogConfig.category == "media").values(enabled=False))
    writer = LogWriter(settings, db, clock)
    writer.start()
    writer.log("error", "media", "disabled category")
    writer.log("info", "plugin", "below warn")  # the seed's plugin minimum is warn
    writer.log("warn", "plugin", "at warn")
    writer.log("debug", "api", "below info")
    writer.close()
    assert [r["message"] for r in rows(db)] == ["at warn"]
    assert writer.filtered == 3


def test_a_missing_user_does_not_lose_the_record(
    db: Database, settings: Settings, clock: FrozenClock
):
    writer = LogWriter(settings, db, clock)
    writer.start()
    writer.log("info", "auth", "ghost", user_id="no-such-user")
    writer.log("info", "auth", "fine")
    writer.close()
    assert {r["message"]: r["user_id"] for r in rows(db)} == {"ghost": None, "fine": None}


def test_the_handler_maps_levels_categories_fields_and_stack_traces(
    db: Database, settings: Settings, clock: FrozenClock
):
    writer = LogWriter(settings, db, clock)
    writer.start()
    logger = logging.getLogger("sonic_cms.test_handler")
    logger.propagate = False
    handler = SystemLogHandler(writer)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        logger.warning("careful", extra={"category": "security", "tags": ["a"], "data": {"k": 1}})
        try:
            raise ValueError("broken Bearer abc.def.ghi")
        except ValueError:
            logger.exception("it failed")
        logging.getLogger("sonic_cms.plugins.x").error("plugin trouble")
    finally:
        logger.removeHandler(handler)
    writer.close()
    by_message = {r["message"]: r for r in rows(db)}
    assert by_message["careful"]["level"] == "warn"
    assert by_message["careful"]["category"] == "security"
    assert by_message["careful"]["tags"] == ["a"] and by_message["careful"]["data"] == {"k": 1}
    assert by_message["careful"]["source"] == "sonic_cms.test_handler"
    assert by_message["it failed"]["level"] == "error"
    assert by_message["it failed"]["category"] == "error"
    assert "ValueError" in by_message["it failed"]["stack_trace"]
    assert "abc.def.ghi" not in by_message["it failed"]["stack_trace"]


def test_secrets_are_scrubbed():
    assert "s3cret" not in scrub_query("token=s3cret&page=2&password=s3cret&api_key=s3cret")
    assert "page=2" in scrub_query("token=s3cret&page=2")
    assert scrub_data({"user": {"password": "x", "name": "n"}, "Authorization": "Bearer t"}) == {
        "user": {"password": "[redacted]", "name": "n"},
        "Authorization": "[redacted]",
    }
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_nature-x"
    assert jwt not in scrub_text(f"got {jwt}")
    assert "tok123" not in scrub_text("Authorization: Bearer tok123")


# -- request logging -----------------------------------------------------------------------


def test_each_request_is_logged_in_the_api_category(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock
):
    headers = bearer_headers(db, settings, clock, "admin")
    response = client.get(
        "/admin/api/plugins?token=s3cret",
        headers={**headers, "User-Agent": "pytest-agent", "X-Request-ID": "req-123"},
    )
    assert response.status_code == 400  # unknown parameter, still logged
    client.app.state.ctx.logs.flush()  # type: ignore[attr-defined]
    logged = rows(db, request_id="req-123")
    assert len(logged) == 1
    record = logged[0]
    assert record["category"] == "api" and record["level"] == "warn"
    assert record["method"] == "GET" and record["status_code"] == 400
    assert record["url"].startswith("/admin/api/plugins?token=")
    assert "s3cret" not in record["url"]
    assert record["user_agent"] == "pytest-agent"
    assert record["ip_address"] == "testclient"
    assert record["user_id"] is None  # refused before authentication ran
    assert record["duration"] >= 0
    assert record["created_at"] == clock.now_ms()
    ok = client.get("/admin/api/plugins", headers={**headers, "X-Request-ID": "req-456"})
    assert ok.status_code == 200
    client.app.state.ctx.logs.flush()  # type: ignore[attr-defined]
    (signed_in,) = rows(db, request_id="req-456")
    assert signed_in["user_id"] is not None and signed_in["level"] == "info"
    everything = orjson.dumps(rows(db)).decode()
    assert headers["Authorization"].split()[1] not in everything


def test_admin_static_files_are_logged_only_when_they_fail(client: TestClient, db: Database):
    page = client.get("/admin/login", headers={"X-Request-ID": "page"})
    asset = page.text.split('href="/admin/static/', 1)[1].split('"', 1)[0]
    fetched = client.get(f"/admin/static/{asset}", headers={"X-Request-ID": "asset"})
    stale = client.get("/admin/static/0000000000000000/admin.css", headers={"X-Request-ID": "gone"})
    assert fetched.status_code == 200 and stale.status_code == 404
    client.app.state.ctx.logs.flush()  # type: ignore[attr-defined]
    assert len(rows(db, request_id="page")) == 1
    assert rows(db, request_id="asset") == []
    assert [r["status_code"] for r in rows(db, request_id="gone")] == [404]


class _Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_routine_sampler_logs_a_burst_then_its_rate_and_counts_what_it_skipped():
    ticks = _Ticks()
    sampler = RoutineSampler(2.0, monotonic=ticks)
    assert [sampler.admit() for _ in range(5)] == [0, 0, None, None, None]
    ticks.now += 0.5  # one token back
    assert sampler.admit() == 3  # three went unlogged before this one
    assert sampler.admit() is None
    ticks.now += 60  # refills to the burst (two), never beyond
    assert [sampler.admit() for _ in range(3)] == [1, 0, None]


def test_routine_sampler_at_zero_logs_no_routine_request():
    sampler = RoutineSampler(0.0)
    assert [sampler.admit() for _ in range(3)] == [None, None, None]
    assert sampler.unlogged == 3


@pytest.mark.parametrize(
    ("method", "status", "duration", "routine"),
    [
        ("GET", 200, 5.0, True),
        ("HEAD", 304, 5.0, True),
        ("GET", 404, 5.0, False),  # errors always
        ("GET", 200, 1000.0, False),  # slow always
        ("POST", 201, 5.0, False),  # writes always
        ("DELETE", 204, 5.0, False),
    ],
)
def test_what_counts_as_routine(method: str, status: int, duration: float, routine: bool):
    assert is_routine(method, status, duration, slow_ms=1000) is routine


def test_busy_routine_reads_are_sampled_but_writes_and_errors_always_logged(
    db: Database, settings: Settings, clock: FrozenClock
):
    """Past the per-second allowance, routine GETs go unlogged and the next routine record
    says how many; a write and a 404 in between are logged regardless."""
    sampled = settings.model_copy(update={"log_routine_requests_per_second": 0.001})
    app = create_app(sampled, db=db, clock=clock)
    with TestClient(app) as test_client:
        sent = [test_client.get("/health", headers={"X-Request-ID": f"read-{i}"}) for i in range(5)]
        missing = test_client.get("/api/content/nope", headers={"X-Request-ID": "missing"})
        write = test_client.post("/auth/logout", headers={"X-Request-ID": "write"})
        app.state.ctx.logs.flush()
    assert [r.status_code for r in sent] == [200] * 5 and missing.status_code == 404
    logged = {r["request_id"]: r for r in rows(db, category="api")}
    assert "read-0" in logged  # the one-record burst
    assert not any(f"read-{i}" in logged for i in range(1, 5))
    assert logged["missing"]["level"] == "warn"
    assert logged["write"]["method"] == "POST" and write.status_code < 500
    assert app.state.ctx.logs.written >= 3


def test_a_sampled_record_carries_how_many_went_unlogged(
    db: Database, settings: Settings, clock: FrozenClock
):
    ticks = _Ticks()
    app = create_app(settings, db=db, clock=clock)
    with TestClient(app) as test_client:
        middleware = _request_log_middleware(app)
        middleware.logger.sampler = RoutineSampler(1.0, monotonic=ticks)
        for i in range(4):
            test_client.get("/health", headers={"X-Request-ID": f"r{i}"})
        ticks.now += 1.0
        test_client.get("/health", headers={"X-Request-ID": "after"})
        app.state.ctx.logs.flush()
    logged = {r["request_id"]: r for r in rows(db, category="api")}
    assert sorted(logged) == ["after", "r0"]
    assert logged["r0"]["data"] is None
    assert logged["after"]["data"] == {"unlogged_since_previous": 3}


def _request_log_middleware(app: Any) -> RequestLogMiddleware:
    """The app's RequestLogMiddleware instance (built with its stack on first request)."""
    layer = app.middleware_stack
    while not isinstance(layer, RequestLogMiddleware):
        layer = layer.app
    return layer


# -- retention -----------------------------------------------------------------------------


def insert_log(db: Database, category: str, created_at: int, size: int = 10) -> None:
    with db.write() as conn:
        conn.execute(
            insert(SystemLog).values(
                id=new_id(),
                level="info",
                category=category,
                message="m" * size,
                created_at=created_at,
            )
        )


def test_prune_deletes_by_age_per_category(ctx: Context):
    db, now = ctx.db, ctx.clock.now_ms()
    insert_log(db, "api", now - 31 * DAY_MS)  # api keeps 30 days
    insert_log(db, "api", now - 29 * DAY_MS)
    insert_log(db, "auth", now - 31 * DAY_MS)  # auth keeps 90 days
    result = prune(ctx)
    assert result.by_age["api"] == 1 and result.by_age["auth"] == 0
    assert sorted(r["category"] for r in rows(db)) == ["api", "auth"]


def test_prune_trims_each_category_to_its_size_oldest_first(ctx: Context):
    db, now = ctx.db, ctx.clock.now_ms()
    with db.write() as conn:
        conn.execute(update(LogConfig).where(LogConfig.category == "api").values(max_size_mb=1))
    for age in (5, 4, 3, 2):
        insert_log(db, "api", now - age * 1000, size=400_000)
    insert_log(db, "system", now - 10_000, size=400_000)
    result = prune(ctx)
    assert result.by_size["api"] == 2 and result.by_size["system"] == 0
    kept = rows(db, category="api")
    assert [r["created_at"] for r in kept] == [now - 3000, now - 2000]


# -- admin API -----------------------------------------------------------------------------


@pytest.fixture
def seeded(db: Database, clock: FrozenClock) -> dict[str, Any]:
    user = create_random_user(db, clock, "editor")
    now = clock.now_ms()
    records = [
        ("info", "api", "GET /a 200", 200, None, "http", now - 3000),
        ("warn", "api", "GET /b 404", 404, user.id, "http", now - 2000),
        ("error", "plugin", "plugin failed badly", None, None, "sonic_cms.plugins", now - 1000),
        ("info", "auth", "login ok 100%_done", None, user.id, "auth", now),
    ]
    with db.write() as conn:
        for level, category, message, status, user_id, source, created in records:
            conn.execute(
                insert(SystemLog).values(
                    id=new_id(),
                    level=level,
                    category=category,
                    message=message,
                    status_code=status,
                    user_id=user_id,
                    source=source,
                    created_at=created,
                )
            )
    return {"user": user.id, "email": user.email, "now": now}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["login ok 100%_done", "plugin failed badly", "GET /b 404", "GET /a 200"]),
        ("level=warn,error", ["plugin failed badly", "GET /b 404"]),
        ("category=api", ["GET /b 404", "GET /a 200"]),
        ("category=api,auth&level=info", ["login ok 100%_done", "GET /a 200"]),
        ("search=FAILED", ["plugin failed badly"]),
        ("search=100%25_", ["login ok 100%_done"]),
        ("search=0%25", ["login ok 100%_done"]),
        ("source=sonic_cms.plugins", ["plugin failed badly"]),
        ("status=404", ["GET /b 404"]),
        ("status=200,404", ["GET /b 404", "GET /a 200"]),
        ("limit=2&page=2", ["GET /b 404", "GET /a 200"]),
    ],
)
def test_query_filters(
    client: TestClient,
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    seeded: dict[str, Any],
    query: str,
    expected: list[str],
):
    admin = bearer_headers(db, settings, clock, "admin")
    client.app.state.ctx.logs.enabled = False  # type: ignore[attr-defined]  # keep our own requests out
    response = client.get(f"/admin/api/logs?{query}", headers=admin)
    assert response.status_code == 200, response.text
    assert [r["message"] for r in response.json()["data"]] == expected


def test_query_by_user_and_dates(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock, seeded: dict[str, Any]
):
    admin = bearer_headers(db, settings, clock, "admin")
    client.app.state.ctx.logs.enabled = False  # type: ignore[attr-defined]
    by_user = client.get(f"/admin/api/logs?user={seeded['user']}", headers=admin).json()
    assert [r["message"] for r in by_user["data"]] == ["login ok 100%_done", "GET /b 404"]
    shouted = quote(seeded["email"].upper())  # people type addresses in any case
    by_email = client.get(f"/admin/api/logs?user={shouted}", headers=admin).json()
    assert [r["message"] for r in by_email["data"]] == ["login ok 100%_done", "GET /b 404"]
    nobody = client.get("/admin/api/logs?user=nobody%40example.com", headers=admin).json()
    assert nobody["data"] == []
    now = seeded["now"]
    window = client.get(
        f"/admin/api/logs?start_date={now - 2500}&end_date={now - 500}", headers=admin
    ).json()
    assert [r["message"] for r in window["data"]] == ["plugin failed badly", "GET /b 404"]
    iso = client.get("/admin/api/logs?start_date=2026-01-01T00:00:00Z", headers=admin).json()
    assert [r["message"] for r in iso["data"]] == ["login ok 100%_done"]
    assert window["meta"]["pagination"] == {
        "page": 1,
        "limit": 50,
        "total": 2,
        "pages": 1,
        "hasNext": False,
        "hasPrev": False,
    }


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("level=loud", 400, "invalid_filter"),
        ("category=nope", 400, "invalid_filter"),
        ("status=abc", 400, "invalid_filter"),
        ("status=999", 400, "invalid_filter"),
        ("start_date=yesterday", 400, "invalid_filter"),
        ("start_date=2000&end_date=1000", 400, "invalid_filter"),
        ("limit=100000", 400, "invalid_limit"),
        ("page=0", 400, "bad_request"),
        ("sort=asc", 400, "unknown_parameter"),
    ],
)
def test_bad_queries(
    client: TestClient,
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    query: str,
    status: int,
    code: str,
):
    admin = bearer_headers(db, settings, clock, "admin")
    response = client.get(f"/admin/api/logs?{query}", headers=admin)
    assert response.status_code == status
    assert response.json()["code"] == code


def test_logs_need_permissions(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock
):
    editor = bearer_headers(db, settings, clock, "editor")
    assert client.get("/admin/api/logs").status_code == 401
    assert client.get("/admin/api/logs", headers=editor).status_code == 403
    assert client.post("/admin/api/logs/cleanup", headers=editor).status_code == 403
    assert (
        client.put("/admin/api/logs/config/api", json={"level": "warn"}, headers=editor).status_code
        == 403
    )


def test_export_csv_and_json(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock, seeded: dict[str, Any]
):
    admin = bearer_headers(db, settings, clock, "admin")
    client.app.state.ctx.logs.enabled = False  # type: ignore[attr-defined]
    as_json = client.get("/admin/api/logs/export?format=json&category=api", headers=admin)
    assert as_json.headers["content-type"] == "application/json"
    assert [r["message"] for r in as_json.json()] == ["GET /b 404", "GET /a 200"]
    as_csv = client.get("/admin/api/logs/export?format=csv&level=error", headers=admin)
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in as_csv.headers["content-disposition"]
    parsed = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [r["message"] for r in parsed] == ["plugin failed badly"]
    assert client.get("/admin/api/logs/export?format=xml", headers=admin).status_code == 400


def test_read_and_change_log_config(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock
):
    admin = bearer_headers(db, settings, clock, "admin")
    config = client.get("/admin/api/logs/config", headers=admin).json()["data"]
    assert {c["category"]: c["retention_days"] for c in config}["security"] == 180
    changed = client.put(
        "/admin/api/logs/config/api", json={"level": "warn", "retention_days": 7}, headers=admin
    )
    assert changed.status_code == 200
    assert (
        changed.json()["data"]["level"] == "warn" and changed.json()["data"]["retention_days"] == 7
    )


@pytest.mark.parametrize(
    ("category", "body", "status"),
    [
        ("api", {"level": "loud"}, 422),
        ("api", {"retention_days": 0}, 422),
        ("api", {"retention_days": "7"}, 422),
        ("api", {"enabled": "yes"}, 422),
        ("api", {"colour": "red"}, 422),
        ("api", {"max_size_mb": True}, 422),
        ("nope", {"level": "warn"}, 404),
    ],
)
def test_bad_config_changes_write_nothing(
    client: TestClient,
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    category: str,
    body: dict[str, Any],
    status: int,
):
    admin = bearer_headers(db, settings, clock, "admin")
    with db.read() as conn:
        before = conn.execute(select(LogConfig).order_by(LogConfig.category)).all()
    response = client.put(f"/admin/api/logs/config/{category}", json=body, headers=admin)
    assert response.status_code == status
    with db.read() as conn:
        assert conn.execute(select(LogConfig).order_by(LogConfig.category)).all() == before


def test_cleanup_over_http(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock
):
    admin = bearer_headers(db, settings, clock, "admin")
    insert_log(db, "api", clock.now_ms() - 40 * DAY_MS)
    done = client.post("/admin/api/logs/cleanup", headers=admin).json()["data"]
    assert done["by_age"]["api"] == 1 and done["deleted"] >= 1


def test_the_server_prunes_periodically(db: Database, settings: Settings, clock: FrozenClock):
    import time

    insert_log(db, "api", clock.now_ms() - 40 * DAY_MS)
    quick = settings.model_copy(update={"log_prune_interval_seconds": 1})
    with TestClient(create_app(quick, db=db, clock=clock)):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(
            r["created_at"] < clock.now_ms() - 30 * DAY_MS for r in rows(db)
        ):
            time.sleep(0.1)
    assert all(r["created_at"] >= clock.now_ms() - 30 * DAY_MS for r in rows(db))


# -- CLI -----------------------------------------------------------------------------------


def test_cli_query_export_prune(
    db_url: str, db: Database, clock: FrozenClock, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("SONIC_CONFIG_FILE", "/nonexistent.toml")
    monkeypatch.setenv("SONIC_ENV", "development")
    import time

    now = time.time_ns() // 1_000_000
    insert_log(db, "api", now - 1000)
    insert_log(db, "plugin", now - 500)
    insert_log(db, "api", now - 400 * DAY_MS)
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(cli, [*args, "--database-url", db_url])

    listed = run("logs", "query", "--category", "plugin", "--json")
    assert listed.exit_code == 0, listed.output
    assert [orjson.loads(line)["category"] for line in listed.output.splitlines()] == ["plugin"]
    assert run("logs", "query", "--level", "loud").exit_code == 2
    out = tmp_path / "logs.csv"
    exported = run("logs", "export", "--format", "csv", "--output", str(out))
    assert exported.exit_code == 0 and out.read_text().count("\n") == 4
    tail = run("logs", "tail", "--no-follow", "-n", "2")
    assert tail.exit_code == 0 and len(tail.output.splitlines()) == 2
    pruned = run("logs", "prune")
    assert pruned.exit_code == 0 and "deleted 1 records" in pruned.output
    assert count(db) == 2


def test_requests_never_wait_for_the_log_writer(client: TestClient, db: Database, engine_name: str):
    """The log table is locked by another transaction: requests still answer at once, and the
    records are written once the lock goes away."""
    import time

    writer = client.app.state.ctx.logs  # type: ignore[attr-defined]
    client.get("/health")  # builds the middleware stack
    _request_log_middleware(client.app).logger.sampler = RoutineSampler(1e6)  # log every one
    with db.write() as conn:
        if engine_name == "postgres":
            conn.exec_driver_sql("LOCK TABLE system_logs IN ACCESS EXCLUSIVE MODE")
        # (on SQLite the open write transaction holds the database's only write lock)
        slowest = 0.0
        for i in range(20):
            started = time.perf_counter()
            response = client.get("/openapi.json", headers={"X-Request-ID": f"locked-{i}"})
            slowest = max(slowest, time.perf_counter() - started)
            assert response.status_code == 200
        time.sleep(0.8)  # past the flush interval: the writer has a batch in flight, stuck
        assert writer._busy.locked()
        # nothing waited for the lock (which the writer waits on for up to busy_timeout, 30 s)
        assert slowest < 5, slowest
    writer.flush()
    with db.read() as conn:
        written = conn.execute(
            select(func.count()).select_from(SystemLog).where(SystemLog.request_id.like("locked-%"))
        ).scalar_one()
    assert written == 20
