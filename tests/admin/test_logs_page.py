"""The logs page (/admin/logs) over the app (TestClient), on both engines: filters (level,
category, dates, user, status, text) through logs.queries.LogQuery, paging, a record's page,
the live tail's endpoint over records_after, CSV and JSON export with the filters, the
per-category configuration and "clean up now", refusals and nasty input."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select, update

from sonic_cms.api.app import create_app
from sonic_cms.clock import FrozenClock
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import LogConfig, SystemLog, User
from sonic_cms.ids import new_id
from tests.admin.test_item_panel import person, signed_in
from tests.conftest import make_settings

PATH = "/admin/logs"
MINUTE = 60_000


@pytest.fixture
def client(db_url: str, db: Database, clock: FrozenClock) -> Iterator[TestClient]:
    # the app's own request records stay out of the table the tests count
    settings = make_settings(db_url, auth_cookie_secure=False, log_to_database=False)
    app = create_app(settings, db=db, clock=clock)
    with TestClient(app, headers={"Origin": "http://testserver"}) as test_client:
        yield test_client


def add(db: Database, created_at: int, **fields: Any) -> str:
    row = {"id": new_id(), "level": "info", "category": "api", "message": "m"} | fields
    with db.write() as conn:
        conn.execute(insert(SystemLog).values(created_at=created_at, **row))
    return str(row["id"])


def shown(html: str) -> list[str]:
    return re.findall(r'data-log="([^"]+)"', html)


@pytest.fixture
def users(db: Database, clock: FrozenClock) -> tuple[str, str]:
    return person(db, clock, "author").id, person(db, clock, "author").id


@pytest.fixture
def records(db: Database, clock: FrozenClock, users: tuple[str, str]) -> dict[str, str]:
    now = clock.now_ms()
    return {
        "old_error": add(
            db,
            now - 90 * MINUTE,
            level="error",
            category="error",
            message="Disk full",
            status_code=500,
            url="/api/content",
        ),
        "auth_warn": add(
            db,
            now - 60 * MINUTE,
            level="warn",
            category="auth",
            message="Bad password",
            user_id=users[0],
            status_code=401,
        ),
        "api_info": add(
            db,
            now - 30 * MINUTE,
            level="info",
            category="api",
            message="GET /api/content 200",
            status_code=200,
            user_id=users[1],
            url="/api/content",
        ),
        "new_error": add(
            db,
            now - 10 * MINUTE,
            level="error",
            category="api",
            message="Boom 100%_done",
            status_code=500,
        ),
    }


def test_filters_narrow_the_list(
    client: TestClient,
    db: Database,
    clock: FrozenClock,
    records: dict[str, str],
    users: tuple[str, str],
):
    signed_in(client, person(db, clock, "admin"))
    r = records
    everything = client.get(PATH)
    assert everything.status_code == 200
    assert shown(everything.text) == [r["new_error"], r["api_info"], r["auth_warn"], r["old_error"]]
    cases = {
        "level=error": [r["new_error"], r["old_error"]],
        "category=auth": [r["auth_warn"]],
        "level=error&category=api": [r["new_error"]],
        "status=500": [r["new_error"], r["old_error"]],
        "status=401,+200": [r["api_info"], r["auth_warn"]],
        f"user={users[1]}": [r["api_info"]],
        "q=password": [r["auth_warn"]],
        "q=%2Fapi%2Fcontent": [r["api_info"], r["old_error"]],  # message or URL
        "q=100%25_": [r["new_error"]],  # % and _ are literal
        "q=1_0": [],  # _ would match any character in LIKE
        "from=2025-12-31T22:45&to=2025-12-31T23:45": [r["api_info"], r["auth_warn"]],
    }
    for query, expected in cases.items():
        answer = client.get(f"{PATH}?{query}")
        assert answer.status_code == 200, query
        assert shown(answer.text) == expected, query
    assert "No record matches these filters" in client.get(f"{PATH}?q=nothing-like-it").text


def test_a_record_names_its_user_and_links_to_their_records(
    client: TestClient, db: Database, clock: FrozenClock, users: tuple[str, str]
):
    with db.write() as conn:
        conn.execute(
            update(User).where(User.id == users[0]).values(first_name="Zoë", last_name="Quist")
        )
    add(db, clock.now_ms(), message="signed in", user_id=users[0])
    signed_in(client, person(db, clock, "admin"))
    html = client.get(PATH).text
    assert ">Zoë Quist</a>" in html and f'href="/admin/logs?user={users[0]}"' in html


def test_bad_filters_are_shown_next_to_their_inputs(
    client: TestClient, db: Database, clock: FrozenClock, records: dict[str, str]
):
    signed_in(client, person(db, clock, "admin"))
    cases = {
        "status=abc": ("status", "HTTP status codes"),
        "status=99": ("status", "HTTP status codes"),
        "from=yesterday": ("from", "date and time"),
        "from=2026-01-01T10:00&to=2026-01-01T09:00": ("from", "after end_date"),
        "level=panic": ("level", "unknown level"),
        "category=%3Cscript%3E": ("category", "unknown category"),
    }
    for query, (field, words) in cases.items():
        answer = client.get(f"{PATH}?{query}")
        assert answer.status_code == 400, query
        error = re.search(rf'id="lf-{field}-error">([^<]+)<', answer.text)
        assert error and words in error.group(1), (query, answer.text[:500])
        assert shown(answer.text) == []
    assert "<script>" not in client.get(f"{PATH}?category=%3Cscript%3E").text
    # the export refuses them too
    assert client.get(f"{PATH}/export?format=csv&status=abc").status_code == 400


def test_messages_are_escaped_and_paging_works(
    client: TestClient, db: Database, clock: FrozenClock
):
    now = clock.now_ms()
    for n in range(120):
        add(db, now - n * 1000, message=f"<img src=x onerror=alert({n})> ünïcødé {n}")
    signed_in(client, person(db, clock, "admin"))
    first = client.get(PATH).text
    assert len(shown(first)) == 50 and "Page 1 of 3" in first
    assert "&lt;img src=x onerror=alert(0)&gt; ünïcødé 0" in first
    assert "<img src=x" not in first
    third = client.get(f"{PATH}?page=3").text
    assert len(shown(third)) == 20 and "Page 3 of 3" in third
    assert 'href="/admin/logs?page=2"' in third
    assert len(shown(client.get(f"{PATH}?page=junk").text)) == 50


def test_a_records_page_shows_every_field(client: TestClient, db: Database, clock: FrozenClock):
    record = add(
        db,
        clock.now_ms(),
        level="error",
        category="error",
        message="Crash <b>",
        data={"path": "/x", "n": 1},
        stack_trace="Traceback: boom",
        request_id="req-9",
        method="POST",
        url="/api/content",
        status_code=500,
        duration=12,
    )
    signed_in(client, person(db, clock, "admin"))
    html = client.get(f"{PATH}/{record}?back=level%3Derror").text
    assert "Crash &lt;b&gt;" in html and "Traceback: boom" in html and "req-9" in html
    assert "12 ms" in html and '"path": "/x"' in html
    assert 'href="/admin/logs?level=error"' in html
    assert client.get(f"{PATH}/no-such-record").status_code == 404


def test_the_tail_gives_only_newer_matching_records(
    client: TestClient, db: Database, clock: FrozenClock, records: dict[str, str]
):
    signed_in(client, person(db, clock, "admin"))
    page = client.get(f"{PATH}?level=error").text
    after = re.search(r'data-tail-after="(\d+)"', page).group(1)  # type: ignore[union-attr]
    after_id = re.search(r'data-tail-after-id="([^"]*)"', page).group(1)  # type: ignore[union-attr]
    assert after_id == records["new_error"]
    tail = f"{PATH}/tail?level=error&after={after}&after_id={after_id}"
    nothing = client.get(tail)
    assert nothing.status_code == 200 and shown(nothing.text) == []
    assert nothing.headers["x-tail-after-id"] == after_id
    now = clock.now_ms()
    first = add(db, now + 1, level="error", message="late one")
    add(db, now + 2, level="info", message="not an error")
    second = add(db, now + 3, level="error", message="late two")
    fresh = client.get(tail)
    assert shown(fresh.text) == [second, first]  # newest first, filtered
    assert fresh.headers["x-tail-after"] == str(now + 3)
    assert fresh.headers["x-tail-after-id"] == second
    again = client.get(
        f"{PATH}/tail?level=error&after={fresh.headers['x-tail-after']}"
        f"&after_id={fresh.headers['x-tail-after-id']}"
    )
    assert shown(again.text) == []


def test_export_uses_the_filters(
    client: TestClient, db: Database, clock: FrozenClock, records: dict[str, str]
):
    signed_in(client, person(db, clock, "admin"))
    page = client.get(f"{PATH}?level=error&q=boom").text
    link = re.search(r'href="(/admin/logs/export\?[^"]+format=csv)"', page)
    assert link, page
    answer = client.get(link.group(1).replace("&amp;", "&"))
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == 'attachment; filename="system-logs.csv"'
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [row["id"] for row in rows] == [records["new_error"]]
    as_json = client.get(f"{PATH}/export?level=error&format=json")
    assert as_json.headers["content-type"] == "application/json"
    assert [r["id"] for r in orjson.loads(as_json.content)] == [
        records["new_error"],
        records["old_error"],
    ]
    assert client.get(f"{PATH}/export?format=xml").status_code == 400


def config_of(db: Database, category: str) -> tuple[Any, ...]:
    with db.read() as conn:
        return tuple(
            conn.execute(
                select(
                    LogConfig.enabled,
                    LogConfig.level,
                    LogConfig.retention_days,
                    LogConfig.max_size_mb,
                ).where(LogConfig.category == category)
            ).one()
        )


def test_the_configuration_is_saved_and_validated(
    client: TestClient, db: Database, clock: FrozenClock
):
    csrf = signed_in(client, person(db, clock, "admin"))
    before = config_of(db, "media")
    form = {"csrf_token": csrf, "level": "warn", "retention_days": "7", "max_size_mb": "10"}
    saved = client.post(f"{PATH}/config/media", data=form, follow_redirects=False)
    assert saved.status_code == 303
    assert config_of(db, "media") == (False, "warn", 7, 10)  # unticked: disabled
    assert "Log settings of media saved." in client.get(saved.headers["location"]).text
    bad = [
        ({"retention_days": "0"}, "retention_days", "between 1 and 100000"),
        ({"retention_days": "abc'; --"}, "retention_days", "whole number"),
        ({"max_size_mb": "-5"}, "max_size_mb", "whole number"),
        ({"max_size_mb": "9" * 40}, "max_size_mb", "whole number"),
        ({"level": "loud"}, "level", "must be one of"),
    ]
    for change, field, words in bad:
        answer = client.post(f"{PATH}/config/media", data=form | {"enabled": "1"} | change)
        assert answer.status_code == 422, change
        error = re.search(rf'id="lc-media-{field}-error">([^<]+)<', answer.text)
        assert error and words in error.group(1), change
        assert config_of(db, "media") == (False, "warn", 7, 10)
    assert client.post(f"{PATH}/config/nope", data=form).status_code == 404
    assert before != config_of(db, "media")


def test_clean_up_now_reports_what_it_deleted(client: TestClient, db: Database, clock: FrozenClock):
    now = clock.now_ms()
    old = add(db, now - 40 * 86_400_000, category="api", message="ancient")
    recent = add(db, now - 1000, category="api", message="recent")
    csrf = signed_in(client, person(db, clock, "admin"))
    answer = client.post(f"{PATH}/cleanup", data={"csrf_token": csrf}, follow_redirects=False)
    assert answer.status_code == 303
    html = client.get(answer.headers["location"]).text
    assert "Clean-up done: 1 records deleted (1 past retention, 0 over the size limit)." in html
    assert shown(html) == [recent] and old not in html


def test_roles_without_the_permissions(
    client: TestClient, db: Database, clock: FrozenClock, records: dict[str, str]
):
    csrf = signed_in(client, person(db, clock, "editor"))
    assert 'href="/admin/logs"' not in client.get("/admin").text
    for path in (
        PATH,
        f"{PATH}/tail",
        f"{PATH}/export?format=csv",
        f"{PATH}/{records['api_info']}",
    ):
        assert client.get(path).status_code == 403, path
    form = {"csrf_token": csrf, "level": "warn", "retention_days": "7", "max_size_mb": "10"}
    assert client.post(f"{PATH}/config/api", data=form).status_code == 403
    assert client.post(f"{PATH}/cleanup", data={"csrf_token": csrf}).status_code == 403
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(SystemLog)).scalar_one() == 4
    admin_csrf = signed_in(client, person(db, clock, "admin"))
    assert admin_csrf
    assert client.post(f"{PATH}/cleanup", data={}).status_code == 403  # no CSRF token
