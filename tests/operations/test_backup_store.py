"""Backups on the storage backend (issue 16): made, listed, downloaded, verified and pruned in
the backup store (SONIC_BACKUP_DIR with local media, the bucket's ``backups/`` with S3, on
moto's real S3 server), seen by a second process's store, as a background job with progress,
and through ``sonic db backup`` / ``sonic db restore NAME``."""

from __future__ import annotations

import gzip
import io
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from sonic_cms.actors import SYSTEM
from sonic_cms.auth.authentication import actor_for_user
from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.errors import Forbidden, NotFound
from sonic_cms.operations import backup_jobs, backup_store
from sonic_cms.operations.dump_format import DumpError
from tests.conftest import make_settings
from tests.media.conftest import (
    backend_settings,
    build_test_storage,
    combination,
    engine_name,
    moto_endpoint,
)
from tests.test_cli import sonic
from tests.utils.auth import create_random_user
from tests.utils.sample_data import seed_sample

#: tests/media's fixtures: the S3 server, and the (engine, backend) pairs each test runs on.
__all__ = ["combination", "engine_name", "moto_endpoint"]


@pytest.fixture
def ops_settings(
    db_url: str, combination: tuple[str, str], request: pytest.FixtureRequest, tmp_path: Path
) -> Settings:
    values = backend_settings(combination[1], request, tmp_path)
    return make_settings(db_url, backup_dir=tmp_path / "backups", **values)


@pytest.fixture
def ops_db(ops_settings: Settings):
    database = Database(ops_settings)
    yield database
    database.dispose()


def context(db: Database, clock: FrozenClock, settings: Settings | None = None) -> Context:
    """The system acting on ``db`` with the backend of ``settings`` (a fresh storage client,
    as another server would have)."""
    settings = settings or db.settings
    storage = build_test_storage(settings, clock)
    return Context(db=db, clock=clock, settings=settings, storage=storage, actor=SYSTEM)


def test_a_backup_is_stored_where_another_server_sees_it(
    ops_db: Database, clock: FrozenClock, tmp_path: Path, combination: tuple[str, str]
):
    seed_sample(ops_db, clock)
    ops = context(ops_db, clock)
    stored = backup_store.store_backup(ops)
    assert stored.name == "backup-test-20260101_000000.sql.gz" and stored.size_bytes > 0
    store = backup_store.backup_store(ops)
    if combination[1] == "s3":
        assert store.storage.head("backups/" + stored.name) is not None
        assert not list((tmp_path / "backups").glob("*.sql.gz"))  # no copy left behind
    else:
        assert (tmp_path / "backups" / stored.name).is_file()
    # a second server (its own storage client) lists, downloads and verifies it
    other = context(ops_db, clock)
    _, listed = backup_store.list_backups(other)
    assert [b.name for b in listed] == [stored.name]
    info, stream = backup_store.open_backup(other, stored.name)
    body = gzip.decompress(stream.read_all())
    assert info.size_bytes == stored.size_bytes
    assert b"INSERT INTO" in body and b"col-blog-1a2b3c4d" in body
    counts = backup_store.verify_stored_backup(other, stored.name)
    assert counts["collections"] == 1 and sum(counts.values()) > 10
    # a second backup in the same second gets its own name
    again = backup_store.store_backup(ops)
    assert again.name == "backup-test-20260101_000000-2.sql.gz"
    assert len(backup_store.list_backups(other)[1]) == 2


@pytest.mark.parametrize("combination", [("sqlite", "s3")], indirect=True)
def test_backups_can_live_in_their_own_private_bucket(ops_settings: Settings, clock: FrozenClock):
    """SONIC_BACKUP_S3_BUCKET applies with S3 media storage only."""
    own = ops_settings.model_copy(
        update={"backup_s3_bucket": ops_settings.media_s3_bucket + "-backups"}
    )
    database = Database(own)
    try:
        seed_sample(database, clock)
        ops = context(database, clock, own)
        store = backup_store.backup_store(ops)
        store.storage.ensure_bucket()  # type: ignore[attr-defined]
        stored = backup_store.store_backup(ops)
        assert store.where == f"s3://{own.backup_s3_bucket}/"
        assert store.storage.head(stored.name) is not None
        assert ops.storage.head("backups/" + stored.name) is None  # nothing in the media bucket
        assert [b.name for b in backup_store.list_backups(ops)[1]] == [stored.name]
    finally:
        database.dispose()


def test_a_damaged_backup_fails_verification(ops_db: Database, clock: FrozenClock):
    ops = context(ops_db, clock)
    stored = backup_store.store_backup(ops)
    store = backup_store.backup_store(ops)
    whole = store.open(stored.name).read_all()
    store.storage.delete(store.key(stored.name))
    cut = gzip.compress(gzip.decompress(whole)[: len(gzip.decompress(whole)) // 2])
    store.storage.put(store.key(stored.name), io.BytesIO(cut), backup_store.GZIP_TYPE)
    with pytest.raises(DumpError) as failure:
        backup_store.verify_stored_backup(ops, stored.name)
    assert failure.value.code in ("truncated_dump", "corrupt_dump")


@pytest.mark.parametrize(
    "name",
    ["../secret.sql.gz", ".jobs/x.json", "notes.txt", "x.sql", "", "a/b.sql.gz", "nope.sql.gz"],
)
def test_only_stored_backups_can_be_opened(ops_db: Database, clock: FrozenClock, name: str):
    ops = context(ops_db, clock)
    with pytest.raises(NotFound):
        backup_store.open_backup(ops, name)
    with pytest.raises(NotFound):
        backup_store.verify_stored_backup(ops, name)


def test_backups_past_retention_are_pruned(ops_db: Database, clock: FrozenClock):
    ops = context(ops_db, clock)
    stored = backup_store.store_backup(ops)
    job_id = backup_jobs.start_job(ops)
    assert backup_store.prune_stored(ops) == []
    month_later = FrozenClock(int(time.time() * 1000) + 31 * 86_400_000)
    later = context(ops_db, month_later)
    assert backup_store.prune_stored(later) == [stored.name]
    assert backup_store.list_backups(later)[1] == []
    with pytest.raises(NotFound):  # the job's document went with it
        backup_jobs.job_state(later, job_id)


def test_only_settings_update_reaches_backups(ops_db: Database, clock: FrozenClock):
    ops = context(ops_db, clock)
    stored = backup_store.store_backup(ops)
    editor = ops.acting_as(actor_for_user(ops, create_random_user(ops_db, clock, "editor").id))
    for call in (
        lambda: backup_store.list_backups(editor),
        lambda: backup_store.store_backup(editor),
        lambda: backup_store.open_backup(editor, stored.name),
        lambda: backup_store.verify_stored_backup(editor, stored.name),
        lambda: backup_jobs.start_job(editor),
    ):
        with pytest.raises(Forbidden):
            call()
    assert len(backup_store.list_backups(ops)[1]) == 1


def test_a_backup_job_reports_its_progress_to_any_server(ops_db: Database, clock: FrozenClock):
    seed_sample(ops_db, clock)
    ops = context(ops_db, clock)
    job_id = backup_jobs.start_job(ops)
    other = context(ops_db, clock)
    assert backup_jobs.job_state(other, job_id)["state"] == "queued"
    backup_jobs.run_job(ops, job_id)
    done = backup_jobs.job_state(other, job_id)
    assert done["state"] == "done" and done["percent"] == 100
    assert [b.name for b in backup_store.list_backups(other)[1]] == [done["name"]]
    # nothing moved for two minutes while queued: stalled (its server died)
    stale = backup_jobs.start_job(ops)
    clock.advance(backup_jobs.STALLED_AFTER_MS + 1)
    assert backup_jobs.job_state(other, stale)["state"] == "stalled"
    for unknown in ("nope", "../../etc", "x" * 65):
        with pytest.raises(NotFound):
            backup_jobs.job_state(other, unknown)


def test_a_failed_backup_job_says_why(ops_settings: Settings, clock: FrozenClock, tmp_path: Path):
    broken = Database(
        ops_settings.model_copy(update={"database_url": f"sqlite:///{tmp_path}/missing/dir/x.db"})
    )
    try:
        ops = context(broken, clock, ops_settings)
        job_id = backup_jobs.start_job(ops)
        backup_jobs.run_job(ops, job_id)
        state = backup_jobs.job_state(ops, job_id)
        assert state["state"] == "failed" and state["error"]
        assert backup_store.list_backups(ops)[1] == []
    finally:
        broken.dispose()


def test_the_cli_backs_up_to_the_store_and_restores_by_name(
    ops_settings: Settings, ops_db: Database, clock: FrozenClock, combination: tuple[str, str]
):
    seed_sample(ops_db, clock)
    ops = context(ops_db, clock)  # creates the test's bucket on S3
    env = {
        "SONIC_BACKUP_DIR": str(ops_settings.backup_dir),
        "SONIC_MEDIA_STORAGE": ops_settings.media_storage,
        "SONIC_MEDIA_LOCAL_DIR": str(ops_settings.media_local_dir),
    }
    if combination[1] == "s3":
        env |= {
            "SONIC_MEDIA_S3_ENDPOINT_URL": str(ops_settings.media_s3_endpoint_url),
            "SONIC_MEDIA_S3_BUCKET": ops_settings.media_s3_bucket,
            "SONIC_MEDIA_S3_PATH_STYLE": "true",
            "SONIC_MEDIA_S3_ACCESS_KEY_ID": "testing",
            "SONIC_MEDIA_S3_SECRET_ACCESS_KEY": "testing",
        }
    url = ops_settings.database_url
    made = sonic("db", "backup", url=url, env=env)
    assert made.exit_code == 0 and "Backup completed" in made.output, made.output
    (stored,) = backup_store.list_backups(ops)[1]
    assert ("s3://" in made.output) is (combination[1] == "s3")
    with ops_db.write() as conn:
        conn.execute(text("UPDATE content SET title = 'changed later'"))
    restored = sonic("db", "restore", stored.name, "--yes", url=url, env=env)
    assert restored.exit_code == 0, restored.output
    with ops_db.read() as conn:
        titles = conn.execute(text("SELECT title FROM content")).scalars().all()
    assert titles and "changed later" not in titles
    missing = sonic("db", "restore", "backup-none.sql.gz", "--yes", url=url, env=env)
    assert missing.exit_code == 1 and "no stored backup" in missing.output
