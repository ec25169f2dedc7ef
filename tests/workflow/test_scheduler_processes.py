"""Two executors in two processes against one database: every due job runs exactly once."""

from __future__ import annotations

import multiprocessing

import pytest
from sqlalchemy import func, insert, select

from sonic_cms.clock import FrozenClock, utc_datetime
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Content, ScheduledContent, WorkflowHistory
from tests.utils.auth import create_random_user
from tests.utils.content_rows import make_collection
from tests.utils.executor_process import execute_until_idle, share_start

JOBS = 1000


def seed_due_jobs(db: Database, clock: FrozenClock) -> None:
    author = create_random_user(db, clock, "editor").id
    collection = make_collection(db, clock)
    now = clock.now_ms()
    due = utc_datetime(now - 1000)
    with db.write() as conn:
        conn.execute(
            insert(Content),
            [
                {
                    "id": f"c{i}",
                    "collection_id": collection,
                    "slug": f"s{i}",
                    "title": "t",
                    "data": {},
                    "status": "draft",
                    "author_id": author,
                    "created_at": now,
                    "updated_at": now,
                    "workflow_state_id": "draft",
                }
                for i in range(JOBS)
            ],
        )
        conn.execute(
            insert(ScheduledContent),
            [
                {
                    "id": f"j{i}",
                    "content_id": f"c{i}",
                    "action": "publish",
                    "scheduled_at": due,
                    "user_id": author,
                    "status": "pending",
                }
                for i in range(JOBS)
            ],
        )


@pytest.mark.slow
def test_two_executor_processes_run_each_job_exactly_once(db: Database, clock: FrozenClock):
    seed_due_jobs(db, clock)
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    with context.Pool(2, initializer=share_start, initargs=(start,)) as pool:
        outcomes = pool.starmap(
            execute_until_idle, [(db.settings.database_url, clock.now_ms())] * 2
        )
    first, second = (set(done) for done in outcomes)
    assert not first & second, "a job ran in both processes"
    assert first | second == {f"j{i}" for i in range(JOBS)}
    assert first and second, "both executors should have taken part"
    with db.read() as conn:
        per_item = conn.execute(
            select(WorkflowHistory.content_id, func.count()).group_by(WorkflowHistory.content_id)
        ).all()
        published = conn.execute(
            select(func.count()).select_from(Content).where(Content.status == "published")
        ).scalar_one()
    assert len(per_item) == JOBS and {count for _, count in per_item} == {1}
    assert published == JOBS
