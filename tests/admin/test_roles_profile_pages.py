"""The roles grid (/admin/roles) and the profile page (/admin/profile, /admin/confirm-email)
over the app (TestClient), on both engines."""

from __future__ import annotations

import re

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sonic_cms.auth import roles
from sonic_cms.auth.passwords import verify_password
from sonic_cms.auth.sessions import open_session
from sonic_cms.clock import FrozenClock
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import AuthSession, User
from tests.admin.test_pages import csrf_of
from tests.admin.test_users_page import mail_client, signed_in, toast  # noqa: F401 - a fixture
from tests.utils.auth import TEST_PASSWORD, create_random_user, system_context
from tests.utils.smtp import Inbox

GRID = {"HX-Request": "true", "HX-Current-URL": "http://testserver/admin/roles"}
PROFILE = {"HX-Request": "true", "HX-Current-URL": "http://testserver/admin/profile"}


def held(db: Database, clock: FrozenClock, role: str) -> frozenset[str]:
    roles.invalidate(db)
    return roles.role_permissions(system_context(db, clock), role)


def user_row(db: Database, user_id: str):
    with db.read() as conn:
        return conn.execute(select(User).where(User.id == user_id)).one()


# -- roles ------------------------------------------------------------------------------------


def toggle(client: TestClient, role: str, permission: str, grant: bool):
    csrf = csrf_of(client.get("/admin/roles").text)
    form = {"csrf_token": csrf, "permission": permission, "grant": "1" if grant else "0"}
    return client.post(f"/admin/roles/{role}/toggle", data=form, headers=GRID)


def test_the_grid_toggles_grants(client: TestClient, db: Database, clock: FrozenClock):
    signed_in(client, db, clock, "admin")
    page = client.get("/admin/roles")
    assert page.status_code == 200
    assert 'aria-label="viewer: users.read"' in page.text
    assert "users.read" not in held(db, clock, "viewer")
    on = toggle(client, "viewer", "users.read", True)
    assert toast(on.text) == "toast--info: viewer may now use users.read."
    assert "users.read" in held(db, clock, "viewer")
    cell = re.search(r'aria-checked="(\w+)" aria-label="viewer: users.read"', on.text)
    assert cell and cell.group(1) == "true"
    off = toggle(client, "viewer", "users.read", False)
    assert toast(off.text) == "toast--info: viewer no longer has users.read."
    assert "users.read" not in held(db, clock, "viewer")


def test_the_admin_role_keeps_everything(client: TestClient, db: Database, clock: FrozenClock):
    signed_in(client, db, clock, "admin")
    assert 'aria-label="admin: users.read"' not in client.get("/admin/roles").text
    refused = toggle(client, "admin", "roles.manage", False)
    assert toast(refused.text) == "toast--error: The admin role always holds every permission"
    assert "roles.manage" in held(db, clock, "admin")


@pytest.mark.parametrize(
    ("role", "permission"),
    [("superuser", "users.read"), ("viewer", "no.such"), ("viewer", "<script>x</script>"),
     ("viewer", ""), ("viewer", "x" * 5000), ("viewer", "users.read\x00")],
)  # fmt: skip
def test_unknown_roles_and_permissions_change_nothing(
    client: TestClient, db: Database, clock: FrozenClock, role: str, permission: str
):
    signed_in(client, db, clock, "admin")
    before = held(db, clock, "viewer")
    answer = toggle(client, role, permission, True)
    assert answer.status_code in {400, 404, 422}
    assert held(db, clock, "viewer") == before


def test_read_only_without_roles_manage(client: TestClient, db: Database, clock: FrozenClock):
    roles.grant(system_context(db, clock), role="editor", permission="users.read")
    signed_in(client, db, clock, "editor")
    home = client.get("/admin").text
    assert 'href="/admin/roles"' in home
    page = client.get("/admin/roles")
    assert page.status_code == 200 and 'role="switch"' not in page.text
    assert "may look at the grants but not change them" in page.text
    crafted = toggle(client, "editor", "roles.manage", True)
    assert crafted.status_code == 403 and crafted.json()["code"] == "missing_permission"
    assert "roles.manage" not in held(db, clock, "editor")


def test_a_viewer_gets_the_services_403(client: TestClient, db: Database, clock: FrozenClock):
    signed_in(client, db, clock, "viewer")
    assert 'href="/admin/roles"' not in client.get("/admin").text
    assert client.get("/admin/roles").status_code == 403


def test_a_grant_shows_in_the_menu(client: TestClient, db: Database, clock: FrozenClock):
    signed_in(client, db, clock, "viewer")
    assert 'href="/admin/users"' not in client.get("/admin").text
    roles.grant(system_context(db, clock), role="viewer", permission="users.read")
    home = client.get("/admin").text
    assert 'href="/admin/users"' in home and 'href="/admin/roles"' in home
    roles.revoke(system_context(db, clock), role="viewer", permission="users.read")
    assert 'href="/admin/users"' not in client.get("/admin").text


# -- profile ----------------------------------------------------------------------------------


def send(client: TestClient, path: str, **form: str):
    csrf = csrf_of(client.get("/admin/profile").text)
    return client.post(path, data={"csrf_token": csrf, **form}, headers=PROFILE)


def test_every_role_has_a_profile_linked_from_the_user_menu(
    client: TestClient, db: Database, clock: FrozenClock
):
    user = signed_in(client, db, clock, "viewer")
    assert 'href="/admin/profile"' in client.get("/admin").text
    page = client.get("/admin/profile")
    assert page.status_code == 200 and user.email in page.text
    assert "This session" in page.text


@pytest.mark.parametrize(
    ("first", "last"),
    [("", "Name"), ("A" * 101, "Name"), ("Bad\x07", "Name"), ("  ", "Name")],
)
def test_a_bad_name_is_refused_and_nothing_is_written(
    client: TestClient, db: Database, clock: FrozenClock, first: str, last: str
):
    user = signed_in(client, db, clock, "author")
    answer = send(client, "/admin/profile/name", first_name=first, last_name=last)
    assert answer.status_code == 200 and toast(answer.text).startswith("toast--error")
    row = user_row(db, user.id)
    assert (row.first_name, row.last_name) == (user.first_name, user.last_name)


def test_names_are_saved_and_escaped(client: TestClient, db: Database, clock: FrozenClock):
    user = signed_in(client, db, clock, "author")
    answer = send(client, "/admin/profile/name", first_name="<b>Zoë</b>", last_name="O'Brien 😀")
    assert toast(answer.text) == "toast--info: Your name was saved."
    assert "&lt;b&gt;Zoë&lt;/b&gt;" in answer.text and "<b>Zoë</b>" not in answer.text
    row = user_row(db, user.id)
    assert (row.first_name, row.last_name) == ("<b>Zoë</b>", "O'Brien 😀")


def test_password_change(client: TestClient, db: Database, clock: FrozenClock):
    user = signed_in(client, db, clock, "author")
    new = "a brand new passphrase"
    wrong = send(
        client, "/admin/profile/password",
        current_password="wrong", new_password=new, new_password_again=new,
    )  # fmt: skip
    assert wrong.status_code == 403 and wrong.json()["code"] == "wrong_password"
    differ = send(
        client, "/admin/profile/password",
        current_password=TEST_PASSWORD, new_password=new, new_password_again=new + "x",
    )  # fmt: skip
    assert toast(differ.text) == "toast--error: The two new passwords differ."
    weak = send(
        client, "/admin/profile/password",
        current_password=TEST_PASSWORD, new_password="short", new_password_again="short",
    )  # fmt: skip
    assert toast(weak.text).startswith("toast--error")
    assert verify_password(user_row(db, user.id).password_hash, TEST_PASSWORD)
    done = send(
        client, "/admin/profile/password",
        current_password=TEST_PASSWORD, new_password=new, new_password_again=new,
    )  # fmt: skip
    assert toast(done.text).startswith("toast--info: Your password was changed")
    assert verify_password(user_row(db, user.id).password_hash, new)
    assert client.get("/admin/profile").status_code == 200  # this session stays


def test_totp_enrolment_shows_a_qr_code_and_a_code_turns_it_on(
    client: TestClient, db: Database, clock: FrozenClock
):
    user = signed_in(client, db, clock, "author")
    started = send(client, "/admin/profile/2fa/enroll")
    svg = re.search(r"<svg[^>]*>.*?</svg>", started.text, re.S)
    assert svg and "<path" in svg.group(0) and "<title>QR code to scan</title>" in svg.group(0)
    secret = re.search(r"data-secret>([A-Z2-7 ]+)<", started.text)
    assert secret
    totp = pyotp.TOTP(secret.group(1).replace(" ", ""))
    assert user_row(db, user.id).two_factor_secret == secret.group(1).replace(" ", "")
    wrong = send(client, "/admin/profile/2fa/confirm", code="000000")
    assert toast(wrong.text).startswith("toast--error: Validation failed")
    assert not user_row(db, user.id).two_factor_enabled
    on = send(client, "/admin/profile/2fa/confirm", code=totp.at(clock.now_ms() / 1000))
    assert toast(on.text) == "toast--info: Two-factor authentication is on."
    assert user_row(db, user.id).two_factor_enabled and 'data-two-factor="on"' in on.text
    assert "<svg" not in on.text  # the secret is never shown again
    clock.advance(31_000)
    off = send(client, "/admin/profile/2fa/disable", code=totp.at(clock.now_ms() / 1000))
    assert toast(off.text) == "toast--info: Two-factor authentication is off."
    assert not user_row(db, user.id).two_factor_enabled


def live_sessions(db: Database, user_id: str) -> int:
    with db.read() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(AuthSession)
                .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
            ).scalar_one()
        )


def test_own_sessions_one_by_one_and_everywhere(
    client: TestClient, db: Database, clock: FrozenClock
):
    user = signed_in(client, db, clock, "viewer")
    other = create_random_user(db, clock, "viewer")
    with db.write() as conn:
        phone = open_session(
            conn, db.settings, now_ms=clock.now_ms(), user_id=user.id, role="viewer"
        )
        theirs = open_session(
            conn, db.settings, now_ms=clock.now_ms(), user_id=other.id, role="viewer"
        )
    page = client.get("/admin/profile").text
    assert f'data-session="{phone.session_id}"' in page
    assert theirs.session_id not in page
    foreign = send(client, f"/admin/profile/sessions/{theirs.session_id}/revoke")
    assert foreign.status_code == 404 and live_sessions(db, other.id) == 1
    done = send(client, f"/admin/profile/sessions/{phone.session_id}/revoke")
    assert toast(done.text) == "toast--info: That session was signed out."
    assert live_sessions(db, user.id) == 1
    dialog = re.search(r'<dialog[^>]*id="sign-out-all".*?</dialog>', page, re.S)
    assert dialog and "this one included" in dialog.group(0)
    everywhere = send(client, "/admin/profile/sign-out-everywhere")
    assert everywhere.status_code == 204
    assert everywhere.headers["hx-redirect"] == "/admin/login?signed_out=1"
    assert live_sessions(db, user.id) == 0
    assert client.get("/admin/profile", follow_redirects=False).status_code == 303


def test_email_change_through_the_profile_and_the_mailed_link(
    mail_client: tuple[TestClient, Inbox],  # noqa: F811
    db: Database,
    clock: FrozenClock,
):
    client, inbox = mail_client
    user = signed_in(client, db, clock, "editor")
    taken = create_random_user(db, clock, "viewer")
    clash = send(client, "/admin/profile/email", email=taken.email, password=TEST_PASSWORD)
    assert toast(clash.text) == "toast--error: A user with this email already exists"
    bad = send(client, "/admin/profile/email", email="<svg onload=x>", password=TEST_PASSWORD)
    assert toast(bad.text).startswith("toast--error: Validation failed")
    assert "<svg onload" not in bad.text
    wrong = send(client, "/admin/profile/email", email="fresh@example.com", password="nope")
    assert wrong.status_code == 403
    asked = send(client, "/admin/profile/email", email="fresh@example.com", password=TEST_PASSWORD)
    assert toast(asked.text).startswith("toast--info: A confirmation link was sent to fresh@")
    assert user_row(db, user.id).email == user.email
    mail = inbox.wait_for(1)[-1]
    assert mail["To"] == "fresh@example.com"
    token = inbox.last_token("http://testserver/admin/confirm-email")
    client.cookies.clear()  # the link may be opened anywhere, signed in or not
    shown = client.get(f"/admin/confirm-email?token={token}")
    assert shown.status_code == 200 and "fresh@example.com" in shown.text
    assert user_row(db, user.id).email == user.email  # opening the link changes nothing yet
    no_csrf = client.post("/admin/confirm-email", data={"token": token})
    assert no_csrf.status_code == 403
    done = client.post(
        "/admin/confirm-email", data={"token": token, "csrf_token": csrf_of(shown.text)}
    )
    assert done.status_code == 200 and "Your address is now" in done.text
    assert user_row(db, user.id).email == "fresh@example.com"
    notice = inbox.wait_for(2)[-1]
    assert notice["To"] == user.email and "fresh@example.com" in str(notice.get_payload())
    reused = client.post(
        "/admin/confirm-email", data={"token": token, "csrf_token": csrf_of(shown.text)}
    )
    assert reused.status_code == 400 and "Invalid or expired" in reused.text
    assert client.get(f"/admin/confirm-email?token={token}").status_code == 400
    assert client.get("/admin/confirm-email?token=" + "x" * 3000).status_code == 400
