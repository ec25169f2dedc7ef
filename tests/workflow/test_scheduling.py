"""Scheduling: validation, content columns kept in step, and the executor's outcomes."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from sonic_cms.clock import FrozenClock, utc_datetime
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Content, ScheduledContent
from sonic_cms.workflow.executor import run_due
from tests.utils.content_rows import make_collection, make_content, make_schedule
from tests.workflow.test_workflow import People, move

MINUTE = 60_000


@pytest.fixture
def people(db, settings, clock) -> People:
    return People(db, settings, clock)


@pytest.fixture
def item(db: Database, clock: FrozenClock, people: People) -> str:
    return make_content(db, clock, make_collection(db, clock), people.ids["author"])


def schedule(client, people, item, who="editor", **body):
    return client.post(f"/api/content/{item}/schedule", json=body, headers=people.headers[who])


def content_row(db: Database, item: str):
    with db.read() as conn:
        return conn.execute(select(Content).where(Content.id == item)).one()


def schedules(db: Database) -> list:
    with db.read() as conn:
        return conn.execute(select(ScheduledContent)).all()


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"action": "explode", "scheduled_at": "2030-01-01T00:00:00Z"}, "action"),
        ({"action": "publish", "scheduled_at": "2020-01-01T00:00:00Z"}, "scheduled_at"),
        ({"action": "publish", "scheduled_at": "not a date"}, "scheduled_at"),
        ({"action": "publish", "scheduled_at": ["2030"]}, "scheduled_at"),
        (
            {"action": "publish", "scheduled_at": "2030-01-01T00:00", "timezone": "Mars/Olympus"},
            "timezone",
        ),
        (
            {"action": "publish", "scheduled_at": "2030-01-01T00:00", "timezone": "../etc/passwd"},
            "timezone",
        ),
    ],
)
def test_bad_schedules_are_422_and_write_nothing(client, people, item, db, body, path):
    response = schedule(client, people, item, **body)
    assert response.status_code == 422
    assert response.json()["details"][0]["path"] == path
    assert schedules(db) == []


def test_authors_and_viewers_cannot_schedule(client, people, item, db):
    body = {"action": "publish", "scheduled_at": "2030-01-01T00:00:00Z"}
    assert schedule(client, people, item, who="author", **body).status_code == 403
    assert schedule(client, people, item, who="viewer", **body).status_code == 403
    assert schedules(db) == []


def test_local_time_is_read_in_the_given_zone(client, people, item, db):
    created = schedule(
        client,
        people,
        item,
        action="publish",
        scheduled_at="2030-07-01T09:00",
        timezone="Europe/Paris",
    )
    assert created.status_code == 201, created.text
    data = created.json()["data"]
    assert data["scheduled_at"] == 1_909_119_600_000  # 2030-07-01T07:00:00Z: CEST is UTC+2
    assert data["timezone"] == "Europe/Paris"
    assert content_row(db, item).scheduled_publish_at == data["scheduled_at"]


def test_unpublish_schedule_sets_expiry_and_cancel_clears_it(client, people, item, db, clock):
    at = clock.now_ms() + 10 * MINUTE
    created = schedule(client, people, item, action="unpublish", scheduled_at=at).json()["data"]
    row = content_row(db, item)
    assert row.scheduled_unpublish_at == at and row.expires_at == at
    cancel = client.delete(f"/api/schedules/{created['id']}", headers=people.headers["editor"])
    assert cancel.status_code == 200 and cancel.json()["data"]["status"] == "cancelled"
    row = content_row(db, item)
    assert row.scheduled_unpublish_at is None and row.expires_at is None
    again = client.delete(f"/api/schedules/{created['id']}", headers=people.headers["editor"])
    assert again.status_code == 409


def test_scheduled_publish_runs_at_its_minute(client, people, item, db, clock, ctx):
    move(client, people, "author", item, "pending-review")
    move(client, people, "editor", item, "approved")
    at = clock.now_ms() + 5 * MINUTE
    schedule(client, people, item, action="publish", scheduled_at=at)
    clock.advance(4 * MINUTE)
    assert run_due(ctx).completed == []
    assert content_row(db, item).status == "draft"
    clock.advance(MINUTE)
    report = run_due(ctx)
    assert len(report.completed) == 1
    row = content_row(db, item)
    assert row.status == "published" and row.published_at == at
    assert row.scheduled_publish_at is None
    job = schedules(db)[0]
    assert job.status == "completed" and job.executed_at == utc_datetime(at)
    history = client.get(f"/api/content/{item}/history", headers=people.headers["editor"])
    last = history.json()["data"][-1]
    assert (last["to_state"], last["user_id"], last["created_at"]) == (
        "published",
        people.ids["editor"],
        at,
    )
    assert run_due(ctx).completed == []  # never twice


def test_a_failing_job_is_marked_failed_and_others_still_run(db, clock, ctx, people, item):
    due = clock.now_ms() - MINUTE
    jobs = {"bad": ("teleport", due), "good": ("archive", due)}
    make_schedule(db, item, people.ids["editor"], jobs)
    report = run_due(ctx)
    assert report.failed == ["bad"] and report.completed == ["good"]
    by_id = {job.id: job for job in schedules(db)}
    assert by_id["bad"].status == "failed" and "teleport" in by_id["bad"].error_message
    assert content_row(db, item).status == "archived"


class _SetAfter(threading.Event):
    """An event that reads as set from its ``checks``-th check on (a server's shutdown flag,
    set while a pass is running)."""

    def __init__(self, checks: int) -> None:
        super().__init__()
        self.left = checks

    def is_set(self) -> bool:
        self.left -= 1
        return self.left < 0


def test_a_pass_stops_between_jobs_when_the_server_stops(db, clock, ctx, people, item):
    due = clock.now_ms() - MINUTE
    jobs = {f"job{n}": (action, due) for n, action in enumerate(["archive", "publish", "archive"])}
    make_schedule(db, item, people.ids["editor"], jobs)
    stopped = run_due(ctx, stopping=_SetAfter(1))
    assert len(stopped.completed) == 1 and stopped.failed == []
    assert [job.status for job in schedules(db)].count("pending") == 2  # left for the next pass
    assert len(run_due(ctx).completed) == 2


def test_list_schedules_filters_by_status(client, people, item, clock):
    schedule(client, people, item, action="publish", scheduled_at=clock.now_ms() + MINUTE)
    pending = client.get("/api/schedules?status=pending", headers=people.headers["editor"])
    assert len(pending.json()["data"]) == 1
    done = client.get("/api/schedules?status=completed", headers=people.headers["editor"])
    assert done.json()["data"] == []
    bad = client.get("/api/schedules?status=' OR 1=1 --", headers=people.headers["editor"])
    assert bad.status_code == 400


def test_public_reads_honour_embargo_and_expiry_before_the_executor_runs(
    client, people, item, db, clock
):
    move(client, people, "editor", item, "published")
    assert client.get(f"/api/content/{item}").status_code == 200
    at = clock.now_ms() + 10 * MINUTE
    schedule(client, people, item, action="unpublish", scheduled_at=at)
    clock.advance(10 * MINUTE)  # due, but no executor has run
    assert client.get(f"/api/content/{item}").status_code == 404
    listed = client.get("/api/content").json()["data"]
    assert item not in [row["id"] for row in listed]
    assert client.get(f"/api/content/{item}", headers=people.headers["editor"]).status_code == 200
    embargo = client.put(
        f"/api/content/{item}/embargo",
        json={"embargo_until": clock.now_ms() + MINUTE},
        headers=people.headers["editor"],
    )
    assert embargo.status_code == 200
    client.delete(f"/api/schedules/{schedules(db)[0].id}", headers=people.headers["editor"])
    assert client.get(f"/api/content/{item}").status_code == 404  # embargoed now
    clock.advance(MINUTE)
    assert client.get(f"/api/content/{item}").status_code == 200
