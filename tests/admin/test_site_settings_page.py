"""/admin/settings over the app (TestClient), on both engines: the form shows the settings in
effect, a save goes through the settings service (validated, audited), a bad value comes back
inline with nothing saved, CSRF is checked, and a role without settings.read gets the
service's 403 and no menu entry."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sonic_cms.clock import FrozenClock
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Setting, SystemLog
from tests.admin.test_item_panel import HX, Person, person, post, signed_in

PATH = "/admin/settings"
FORM = {
    "site_name": "Field notes",
    "site_description": "",
    "timezone": "UTC",
    "registration": "default",
}


@pytest.fixture
def admin(db: Database, clock: FrozenClock) -> Person:
    return person(db, clock, "admin")


def saved_rows(db: Database) -> dict[tuple[str, str], object]:
    with db.read() as conn:
        rows = conn.execute(select(Setting.category, Setting.key, Setting.value)).all()
    return {(r.category, r.key): r.value for r in rows}


def audit_count(db: Database) -> int:
    with db.read() as conn:
        query = select(func.count()).select_from(SystemLog).where(SystemLog.category == "system")
        return int(conn.execute(query).scalar_one())


def test_the_form_shows_the_settings_in_effect(client: TestClient, admin: Person):
    signed_in(client, admin)
    answer = client.get(PATH)
    assert answer.status_code == 200
    html = answer.text
    assert 'name="site_name" value="sonic-cms"' in html
    assert '<option value="Europe/Paris">' in html and '<option value="UTC" selected>' in html
    assert 'value="default" checked' in html and "now closed" in html
    assert 'href="/admin/settings" aria-current="page"' in html
    assert "Maintenance mode is on" not in html


def test_a_save_goes_through_the_service_with_a_toast(
    client: TestClient, admin: Person, db: Database
):
    token = signed_in(client, admin)
    form = {**FORM, "timezone": "Asia/Tokyo", "registration": "open", "maintenance_mode": "on"}
    answer = post(client, PATH, token, **form)
    assert answer.status_code == 200
    assert "Settings saved" in answer.text and 'id="toasts" hx-swap-oob' in answer.text
    assert "Maintenance mode is on" in answer.text
    assert saved_rows(db) == {
        ("general", "siteName"): "Field notes",
        ("general", "siteDescription"): "",
        ("general", "timezone"): "Asia/Tokyo",
        ("security", "registrationEnabled"): True,
        ("general", "maintenanceMode"): True,
    }
    assert audit_count(db) == 1
    # the admin still sees the page; the form now reads what was saved
    html = client.get(PATH).text
    assert '<option value="Asia/Tokyo" selected>' in html and 'value="open" checked' in html
    # unticking the box turns maintenance off again; "default" clears the saved registration
    post(client, PATH, token, **{**FORM, "timezone": "Asia/Tokyo"})
    rows = saved_rows(db)
    assert rows[("general", "maintenanceMode")] is False
    assert ("security", "registrationEnabled") not in rows


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("timezone", "Nowhere/Atlantis", "an IANA time zone name"),
        ("site_name", "", "at least 1"),
        ("site_name", "x" * 101, "at most 100"),
        ("site_name", "tab\x01", "control characters"),
        ("registration", "sometimes", "valid boolean"),
    ],
)
def test_a_bad_value_is_shown_inline_and_nothing_is_saved(
    client: TestClient, admin: Person, db: Database, field: str, value: str, shown: str
):
    token = signed_in(client, admin)
    answer = post(client, PATH, token, **{**FORM, field: value, "maintenance_mode": "on"})
    assert answer.status_code == 200  # htmx swaps only 2xx answers
    html = answer.text
    assert 'class="field__error"' in html and shown in html
    assert "field--invalid" in html and "Not saved" in html
    assert saved_rows(db) == {} and audit_count(db) == 0
    plain = client.post(PATH, data={"csrf_token": token, **FORM, field: value})
    assert plain.status_code == 422 and shown in plain.text


def test_injection_strings_are_saved_as_text_and_escaped(
    client: TestClient, admin: Person, db: Database
):
    token = signed_in(client, admin)
    name = "<script>alert(1)</script>' OR 1=1 --"
    post(client, PATH, token, **{**FORM, "site_name": name})
    assert saved_rows(db)[("general", "siteName")] == name
    html = client.get(PATH).text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_site_name_brands_every_admin_page(client: TestClient, admin: Person):
    token = signed_in(client, admin)
    assert '<a class="topbar__brand" href="/admin">sonic-cms</a>' in client.get("/admin").text
    post(client, PATH, token, **{**FORM, "site_name": "Ünïcode & News"})
    for path in ("/admin", "/admin/media", "/admin/users"):
        html = client.get(path).text
        assert '<a class="topbar__brand" href="/admin">Ünïcode &amp; News</a>' in html, path
        assert "· Ünïcode &amp; News</title>" in html, path


def test_csrf_is_checked(client: TestClient, admin: Person, db: Database):
    signed_in(client, admin)
    answer = client.post(PATH, data=FORM, headers=HX, follow_redirects=False)
    assert answer.status_code == 403
    assert saved_rows(db) == {}


@pytest.mark.parametrize("role", ["editor", "author", "viewer"])
def test_other_roles_get_the_service_403_and_no_menu_entry(
    client: TestClient, db: Database, clock: FrozenClock, role: str
):
    who = person(db, clock, role)
    token = signed_in(client, who)
    assert 'href="/admin/settings"' not in client.get("/admin").text
    assert client.get(PATH).status_code == 403
    assert post(client, PATH, token, **FORM).status_code == 403
    assert saved_rows(db) == {}
