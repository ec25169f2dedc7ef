"""/admin/database over the app (TestClient), on both engines: migration state, a backup made
through the page (its background job runs before TestClient returns), downloaded and
verified; time travel shows an item as it was and restores it through the workflow service;
CSRF, nasty input, and the services' 403 for roles without settings.update."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from sonic_cms.api.app import create_app
from sonic_cms.clock import FrozenClock
from sonic_cms.content import history
from sonic_cms.db import migrate
from sonic_cms.db.engine import Database
from sonic_cms.operations import settings_admin
from sonic_cms.workflow import edits
from tests.admin.test_item_panel import HX, Person, make_news, new_item, person, post, signed_in
from tests.conftest import make_settings

PATH = "/admin/database"


@pytest.fixture
def client(db_url: str, db: Database, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    settings = make_settings(
        db_url,
        auth_cookie_secure=False,
        backup_dir=tmp_path / "backups",
        media_local_dir=tmp_path / "media",
    )
    app = create_app(settings, db=db, clock=clock)
    with TestClient(app, headers={"Origin": "http://testserver"}) as test_client:
        yield test_client


@pytest.fixture
def admin(db: Database, clock: FrozenClock) -> Person:
    return person(db, clock, "admin")


def backup_names(html: str) -> list[str]:
    return re.findall(r'data-backup="([^"]+)"', html)


def test_the_page_shows_the_migration_state(client: TestClient, admin: Person):
    signed_in(client, admin)
    html = client.get(PATH).text
    head = migrate.head_revision()
    assert f"<dd data-current-revision>{head}</dd>" in html
    assert "Up to date" in html and "data-pending" not in html
    assert "0011" in html  # every revision is listed
    assert "No backups yet" in html
    assert 'href="/admin/database" aria-current="page"' in html


def test_a_backup_made_in_the_page_is_listed_downloaded_and_verified(
    client: TestClient, admin: Person, tmp_path: Path
):
    token = signed_in(client, admin)
    started = post(client, f"{PATH}/backups", token)
    assert started.status_code == 200
    assert 'hx-trigger="every 1s"' in started.text  # the panel polls while the job runs
    job = re.search(r"/admin/database/backups/jobs/([0-9a-f-]+)", started.text)
    assert job is not None
    done = client.get(f"{PATH}/backups/jobs/{job.group(1)}", headers=HX)
    assert 'data-job-state="done"' in done.text and "every 1s" not in done.text
    (name,) = backup_names(done.text)  # the list, swapped in out of band
    assert (tmp_path / "backups" / name).is_file()
    assert backup_names(client.get(PATH).text) == [name]
    download = client.get(f"{PATH}/backups/{name}")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/gzip"
    assert f'filename="{name}"' in download.headers["content-disposition"]
    assert b"INSERT INTO" in gzip.decompress(download.content)
    verified = post(client, f"{PATH}/backups/{name}/verify", token)
    assert "is whole" in verified.text and "toast--info" in verified.text
    assert f"sonic db restore --env test {name}" in client.get(PATH).text


def test_a_damaged_backup_is_reported_by_verify(client: TestClient, admin: Person, tmp_path: Path):
    token = signed_in(client, admin)
    post(client, f"{PATH}/backups", token)
    (name,) = backup_names(client.get(PATH).text)
    file = tmp_path / "backups" / name
    file.write_bytes(gzip.compress(gzip.decompress(file.read_bytes())[:500]))
    verified = post(client, f"{PATH}/backups/{name}/verify", token)
    assert "is damaged" in verified.text and "toast--error" in verified.text


@pytest.mark.parametrize(
    "name", ["..%2F..%2Fetc%2Fpasswd", "nope.sql.gz", ".jobs%2Fx.json", "%00.sql.gz"]
)
def test_only_stored_backups_download(client: TestClient, admin: Person, name: str):
    signed_in(client, admin)
    assert client.get(f"{PATH}/backups/{name}").status_code in (400, 404)


def test_csrf_is_checked_on_every_post(client: TestClient, admin: Person, tmp_path: Path):
    signed_in(client, admin)
    for path in (f"{PATH}/backups", f"{PATH}/backups/x.sql.gz/verify", f"{PATH}/item/x/restore"):
        assert client.post(path, headers=HX).status_code == 403
    assert not list((tmp_path / "backups").glob("*.sql.gz"))


@pytest.mark.parametrize("role", ["editor", "author"])
def test_other_roles_get_the_service_403_and_no_menu_entry(
    client: TestClient, db: Database, clock: FrozenClock, role: str, tmp_path: Path
):
    who = person(db, clock, role)
    token = signed_in(client, who)
    assert 'href="/admin/database"' not in client.get("/admin").text
    assert client.get(PATH).status_code == 403
    assert post(client, f"{PATH}/backups", token).status_code == 403
    assert client.get(f"{PATH}/backups/backup-test-20260101_000000.sql.gz").status_code == 403
    assert not list((tmp_path / "backups").glob("*.sql.gz"))


def test_time_travel_shows_an_item_as_it_was_and_restores_it(
    client: TestClient, admin: Person, clock: FrozenClock
):
    news = make_news(admin)
    item_id = new_item(admin, news, "First title")  # version 1 at 2026-01-01 00:00 UTC
    clock.advance(3_600_000)
    edits.update_item(admin.ctx, item_id, {"title": "Second title"})
    token = signed_in(client, admin)
    found = client.get(PATH, params={"q": "secon"}).text
    assert f'href="/admin/database?item={item_id}#h-travel"' in found
    moment = {"date": "2026-01-01", "time": "00:30", "timezone": "UTC"}
    page = client.get(PATH, params={"item": item_id, **moment}).text
    assert 'data-past-version="1"' in page and "<dd data-past-title>First title</dd>" in page
    assert "now at version 2" in page
    # the same moment in another zone is another moment: 01:30 in Paris is 00:30 UTC
    paris = client.get(
        PATH, params={"item": item_id, **moment, "time": "01:30", "timezone": "Europe/Paris"}
    ).text
    assert 'data-past-version="1"' in paris
    before = client.get(PATH, params={"item": item_id, **moment, "date": "2025-12-31"}).text
    assert "data-travel-error" in before and "did not exist" in before
    restored = client.post(f"{PATH}/item/{item_id}/restore", data={"csrf_token": token, **moment})
    assert restored.status_code == 200 and "Restored “First title”" in restored.text
    now = history.get_item(admin.ctx, item_id)
    assert now["title"] == "First title" and now["version_number"] == 3


@pytest.mark.parametrize(
    "moment",
    [
        {"date": "2026-13-45", "time": "00:00", "timezone": "UTC"},
        {"date": "2026-01-01", "time": "00:00", "timezone": "Mars/Olympus"},
        {"date": "'; DROP TABLE content; --", "time": "x", "timezone": "UTC"},
    ],
)
def test_a_bad_moment_is_refused_and_nothing_is_restored(
    client: TestClient, admin: Person, clock: FrozenClock, moment: dict[str, str]
):
    news = make_news(admin)
    item_id = new_item(admin, news, "Only title")
    clock.advance(60_000)
    token = signed_in(client, admin)
    answer = client.post(f"{PATH}/item/{item_id}/restore", data={"csrf_token": token, **moment})
    assert answer.status_code == 200 and "Not restored" in answer.text
    assert history.get_item(admin.ctx, item_id)["version_number"] == 1


def test_the_moment_starts_in_the_site_time_zone(
    client: TestClient, admin: Person, db: Database, clock: FrozenClock
):
    item_id = new_item(admin, make_news(admin), "Zoned")
    signed_in(client, admin)
    zone = '<option value="Asia/Tokyo" selected>'
    assert zone not in client.get(PATH, params={"item": item_id}).text
    settings_admin.update_settings(admin.ctx, {"timezone": "Asia/Tokyo"})
    assert zone in client.get(PATH, params={"item": item_id}).text


def test_nasty_search_input_is_text(client: TestClient, admin: Person):
    signed_in(client, admin)
    for q in ("<script>alert(1)</script>", "' OR 1=1 --", "ünï©ødé 🚀", "a" * 200, "\x01"):
        answer = client.get(f"{PATH}?q={quote(q)}")
        assert answer.status_code == 200
        assert "<script>alert(1)</script>" not in answer.text
    assert "data-search-error" in client.get(f"{PATH}?q={'a' * 200}").text
    assert client.get(f"{PATH}?q={'a' * 201}").status_code in (400, 422)
