"""Two `sonic serve` processes as two hosts, proven with real HTTP (issue 19).

Each host has its own data folder and its own cache generations file, so nothing on the local
disk connects them: they share only what a multi-host deployment shares, one PostgreSQL
database, one Redis (the cache's shared tier and generations) and one S3-compatible bucket
(moto's server). On that pair: a write on one is read at once on the other, a file uploaded on
one is served by the other, scheduled jobs run exactly once with both executors running, a
plugin activated on one is active on the other, and a host killed mid-write lost nothing the
client was told was saved.

PostgreSQL only: SQLite is one host by construction. One pair serves the whole module (a server
takes seconds to start on a busy machine); the kill test restarts its victim for any test after
it (see :meth:`Cluster.host`).
"""

from __future__ import annotations

import io
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from PIL import Image

from sonic_cms.clock import SystemClock
from sonic_cms.db.engine import Database
from sonic_cms.storage.s3 import s3_client
from tests.conftest import _service_url, create_pg_database, drop_pg_database, make_settings
from tests.media.conftest import S3_KEYS, moto_endpoint
from tests.utils.auth import create_random_user, headers_for
from tests.utils.content_rows import make_collection
from tests.utils.live_server import SECRET, LiveServer, live_server
from tests.utils.redis_server import free_port

#: tests/media's S3 server fixture, shared with this module.
__all__ = ["moto_endpoint"]

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

#: A pass of each host's scheduler this often, so due jobs meet two executors at once.
SCHEDULER_INTERVAL_SECONDS = 0.2
#: How long a host trusts its view of the active plugins (the documented bound on how soon
#: another host's plugin activation shows).
PLUGIN_STATUS_TTL_MS = 500
#: Longest wait for the schedulers to work through the due jobs (not a performance bound: a
#: pass takes milliseconds; this only keeps a broken executor from hanging the run).
SCHEDULER_DEADLINE_SECONDS = 60


@dataclass
class Cluster:
    """The hosts, started on demand on the shared database, Redis and bucket."""

    db_url: str
    root: Path
    shared: dict[str, str]
    admin: dict[str, str]
    #: The collection every test writes its items into.
    notes: str
    stack: ExitStack
    hosts: dict[str, LiveServer] = field(default_factory=dict)

    def host(self, name: str) -> LiveServer:
        """The running server of host ``name``, started (again, after a kill) when it is not."""
        server = self.hosts.get(name)
        if server is None or server.process.poll() is not None:
            directory = self.root / name
            directory.mkdir(exist_ok=True)
            settings = {**self.shared, "cache_generations_file": str(self.generations_file(name))}
            server = self.stack.enter_context(
                live_server(self.db_url, directory, port=free_port(), **settings)
            )
            self.hosts[name] = server
        return server

    def generations_file(self, name: str) -> Path:
        """Host ``name``'s own cache generations file (SONIC_CACHE_GENERATIONS_FILE)."""
        return self.root / name / "data" / "cache-generations"


@pytest.fixture(scope="module")
def cluster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    """Hosts ``a`` and ``b`` on a fresh PostgreSQL database, Redis and a fresh bucket."""
    template: str = request.getfixturevalue("pg_template")
    redis_url = _service_url("SONIC_TEST_REDIS_URL", "Redis")
    db_url = create_pg_database(template=template)
    root = tmp_path_factory.mktemp("multi-node")
    shared = {
        "redis_url": redis_url,
        "cache_redis_prefix": f"multi-node-{uuid.uuid4().hex[:8]}:",
        "media_storage": "s3",
        "media_s3_endpoint_url": request.getfixturevalue("moto_endpoint"),
        "media_s3_bucket": f"multi-node-{uuid.uuid4().hex[:12]}",
        "media_s3_path_style": "true",
        **S3_KEYS,
        "scheduler_interval_seconds": str(SCHEDULER_INTERVAL_SECONDS),
        "plugin_status_ttl_ms": str(PLUGIN_STATUS_TTL_MS),
    }
    settings = make_settings(db_url, secret_key=SECRET, **shared)
    s3_client(settings).create_bucket(Bucket=settings.media_s3_bucket)  # the hosts check it
    db = Database(settings)
    admin = headers_for(db, settings, SystemClock(), create_random_user(db, SystemClock(), "admin"))
    notes = make_collection(db, SystemClock(), "notes")
    db.dispose()
    try:
        with ExitStack() as stack:
            nodes = Cluster(db_url, root, shared, admin, notes, stack)
            nodes.host("a")
            nodes.host("b")
            yield nodes
    finally:
        drop_pg_database(db_url)


def create_item(http: httpx.Client, url: str, cluster: Cluster, **fields: str) -> str:
    """A new item in the cluster's collection on the host at ``url``; returns its id."""
    created = http.post(
        f"{url}/api/content",
        json={"collectionId": cluster.notes, **fields},
        headers=cluster.admin,
    )
    assert created.status_code == 201, created.text
    return str(created.json()["data"]["id"])


def test_the_hosts_share_no_generations_file(cluster: Cluster) -> None:
    """Each host made its own file (a fresh random epoch each): only Redis connects them."""
    for name in ("a", "b"):
        cluster.host(name)  # running (again, after a kill in an earlier test)
    epoch_a = cluster.generations_file("a").read_bytes()[:16]
    epoch_b = cluster.generations_file("b").read_bytes()[:16]
    assert epoch_a != epoch_b


def test_a_write_on_one_host_is_read_at_once_on_the_other(cluster: Cluster) -> None:
    a, b = cluster.host("a").url, cluster.host("b").url
    with httpx.Client(timeout=30) as http:
        item = create_item(http, a, cluster, title="v0", status="published")
        for i in range(1, 21):
            writer, reader = (a, b) if i % 2 else (b, a)
            http.get(f"{reader}/api/content/{item}")
            warm = http.get(f"{reader}/api/content/{item}")  # anonymous: served by a cache tier
            assert warm.headers["X-Cache-Status"] == "HIT", warm.headers
            assert warm.json()["data"]["title"] == f"v{i - 1}"
            http.get(f"{reader}/api/collections/{cluster.notes}/content")
            done = http.put(
                f"{writer}/api/content/{item}", json={"title": f"v{i}"}, headers=cluster.admin
            )
            assert done.status_code == 200, done.text
            single = http.get(f"{reader}/api/content/{item}")
            assert single.json()["data"]["title"] == f"v{i}", (i, single.headers)
            listed = http.get(f"{reader}/api/collections/{cluster.notes}/content")
            assert f"v{i}" in [entry["title"] for entry in listed.json()["data"]], i


def test_a_file_uploaded_on_one_host_is_served_by_the_other(cluster: Cluster) -> None:
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 90)).save(picture, format="PNG")
    data = picture.getvalue()
    a, b = cluster.host("a"), cluster.host("b")
    uploaded = httpx.post(
        f"{a.url}/api/media/upload",
        files={"file": ("pixel.png", data, "image/png")},
        headers=cluster.admin,
        timeout=30,
    )
    assert uploaded.status_code == 200, uploaded.text  # SonicJS's answer to an upload
    stored = uploaded.json()["file"]
    served = httpx.get(f"{b.url}{stored['publicUrl']}", timeout=30)
    assert served.status_code == 200, served.text
    assert served.content == data
    thumbnail = httpx.get(f"{b.url}{stored['thumbnailUrl']}", timeout=30)
    assert thumbnail.status_code == 200, thumbnail.text
    assert thumbnail.headers["content-type"] == "image/webp"
    # neither host kept a copy on its own disk: B read the bucket
    assert not [path for path in cluster.root.glob("*/media/**/*") if path.is_file()]


def test_scheduled_jobs_run_exactly_once_with_two_executors(cluster: Cluster) -> None:
    a, b = cluster.host("a").url, cluster.host("b").url
    with httpx.Client(timeout=30, headers=cluster.admin) as http:
        items = [create_item(http, a, cluster, title=f"scheduled {i}") for i in range(16)]
        due = int(time.time() * 1000) + 1500  # all due at one moment, soon
        for i, item in enumerate(items):
            scheduled = http.post(
                f"{(a, b)[i % 2]}/api/content/{item}/schedule",
                json={"action": "publish", "scheduled_at": due},
            )
            assert scheduled.status_code == 201, scheduled.text
        _wait_until_no_pending_schedule(http, a, items)
        for item in items:
            history = http.get(f"{b}/api/content/{item}/history").json()["data"]
            runs = [entry for entry in history if "scheduled" in entry["metadata"]]
            assert [(run["from_state"], run["to_state"]) for run in runs] == [
                ("draft", "published")
            ], (item, history)
            assert http.get(f"{a}/api/content/{item}").json()["data"]["status"] == "published"
        logged = http.get(
            f"{b}/admin/api/logs",
            params={"category": "workflow", "search": "Scheduled publish executed", "limit": 100},
        ).json()["data"]
        ran = sorted(record["data"]["content_id"] for record in logged)
        assert ran == sorted(items)


def _wait_until_no_pending_schedule(http: httpx.Client, url: str, items: list[str]) -> None:
    deadline = time.monotonic() + SCHEDULER_DEADLINE_SECONDS
    while True:
        schedules = [
            schedule
            for item in items
            for schedule in http.get(f"{url}/api/content/{item}/schedules").json()["data"]
        ]
        statuses = {schedule["status"] for schedule in schedules}
        if statuses == {"completed"} and len(schedules) == len(items):
            return
        assert "failed" not in statuses, schedules
        assert time.monotonic() < deadline, f"schedules still pending: {schedules}"
        time.sleep(0.2)


def test_a_plugin_activated_on_one_host_is_active_on_the_other(cluster: Cluster) -> None:
    a, b = cluster.host("a").url, cluster.host("b").url
    with httpx.Client(timeout=30, headers=cluster.admin) as http:
        before = http.get(f"{b}/api/plugins/faq/")
        assert before.status_code == 404, before.text
        assert http.post(f"{a}/admin/api/plugins/faq/install").status_code == 201
        activated = http.post(f"{a}/admin/api/plugins/faq/activate")
        assert activated.status_code == 200, activated.text
        created = http.post(f"{a}/api/plugins/faq/", json={"question": "Two hosts?", "answer": "Y"})
        assert created.status_code == 201, created.text
        # B re-reads the active set when its view is older than the TTL: wait that long once
        time.sleep(PLUGIN_STATUS_TTL_MS / 1000)
        listed = http.get(f"{b}/api/plugins/faq/")
        assert listed.status_code == 200, listed.text
        assert [faq["question"] for faq in listed.json()["data"]] == ["Two hosts?"]


def test_killing_a_host_mid_write_loses_nothing_that_was_acknowledged(
    cluster: Cluster,
) -> None:
    victim, survivor = cluster.host("a"), cluster.host("b")
    acknowledged: dict[str, str] = {}
    stopped_by: list[BaseException] = []
    refused: list[str] = []
    lock = threading.Lock()

    def write(writer: int) -> None:
        with httpx.Client(timeout=30, headers=cluster.admin) as http:
            for n in range(100_000):
                title = f"writer {writer} item {n}"
                try:
                    created = http.post(
                        f"{victim.url}/api/content",
                        json={"collectionId": cluster.notes, "title": title},
                    )
                except httpx.TransportError as exc:  # the host died under the request
                    with lock:
                        stopped_by.append(exc)
                    return
                if created.status_code != 201:
                    refused.append(created.text)
                    return
                with lock:
                    acknowledged[created.json()["data"]["id"]] = title

    writers = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in writers:
        thread.start()
    while len(acknowledged) < 40 and all(thread.is_alive() for thread in writers):
        time.sleep(0.05)
    victim.process.kill()  # SIGKILL: no shutdown, no flush, no goodbye
    victim.process.wait(timeout=30)
    for thread in writers:
        thread.join(timeout=60)
    assert not refused
    assert len(stopped_by) == len(writers), "every writer was cut off by the kill"
    assert len(acknowledged) >= 40
    with httpx.Client(timeout=30, headers=cluster.admin) as http:
        for item, title in acknowledged.items():
            found = http.get(f"{survivor.url}/api/content/{item}")
            assert found.status_code == 200, (item, found.text)
            assert found.json()["data"]["title"] == title
