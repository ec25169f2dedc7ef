"""The users page (/admin/users) and the invitation acceptance page, over the app (TestClient),
on both engines: listing, filters and paging; invite, role, deactivate, delete, sessions and
2FA through the services' own rules (403, 409 as toasts); nasty input writes nothing."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select

from sonic_cms.api.app import create_app
from sonic_cms.auth import roles
from sonic_cms.auth.sessions import open_session
from sonic_cms.clock import FrozenClock
from sonic_cms.content import collections, items
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import AuthSession, User
from tests.admin.test_pages import _actor, csrf_of, enable_totp, sign_in
from tests.conftest import make_settings
from tests.utils.auth import TEST_PASSWORD, create_random_user, system_context
from tests.utils.smtp import Inbox, smtp_server

HTMX = {"HX-Request": "true", "HX-Current-URL": "http://testserver/admin/users"}


@pytest.fixture
def mail_client(
    db_url: str, db: Database, clock: FrozenClock
) -> Iterator[tuple[TestClient, Inbox]]:
    """The admin's client with mail going to a real SMTP server."""
    with smtp_server() as (inbox, port):
        settings = make_settings(
            db_url,
            auth_cookie_secure=False,
            mail_sender="smtp",
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_starttls=False,
            public_url="http://testserver",
        )
        app = create_app(settings, db=db, clock=clock)
        with TestClient(app, headers={"Origin": "http://testserver"}) as test_client:
            yield test_client, inbox


def signed_in(client: TestClient, db: Database, clock: FrozenClock, role: str):
    user = create_random_user(db, clock, role)
    assert sign_in(client, user.email).status_code == 303
    return user


def token(client: TestClient) -> str:
    return csrf_of(client.get("/admin/users").text)


def post(client: TestClient, path: str, **form: str):
    return client.post(path, data={"csrf_token": token(client), **form}, headers=HTMX)


def toast(html: str) -> str:
    found = re.search(r'class="toast (toast--\w+)"[^>]*>([^<]*)<', html)
    assert found, html[-2000:]
    return f"{found.group(1)}: {found.group(2)}"


def user_row(db: Database, user_id: str):
    with db.read() as conn:
        return conn.execute(select(User).where(User.id == user_id)).first()


def count_users(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(User)).scalar_one())


def listed(html: str) -> list[str]:
    return re.findall(r'data-user-email="([^"]+)"', html)


def test_list_filters_search_and_pages(client: TestClient, db: Database, clock: FrozenClock):
    admin = signed_in(client, db, clock, "admin")
    people = [create_random_user(db, clock, "author") for _ in range(27)]
    viewer = create_random_user(db, clock, "viewer")
    with db.write() as conn:
        conn.execute(User.__table__.update().where(User.id == viewer.id).values(is_active=False))
    page = client.get("/admin/users")
    assert page.status_code == 200
    assert "29 users" in page.text and len(listed(page.text)) == 25
    assert 'href="/admin/users?page=2"' in page.text
    second = client.get("/admin/users?page=2")
    assert len(listed(second.text)) == 4
    every = set(listed(page.text)) | set(listed(second.text))
    assert every == {p.email for p in [admin, viewer, *people]}
    assert listed(client.get("/admin/users?role=viewer").text) == [viewer.email]
    assert listed(client.get("/admin/users?status=inactive").text) == [viewer.email]
    assert len(listed(client.get("/admin/users?status=active&role=author").text)) == 25
    assert listed(client.get(f"/admin/users?q={people[3].last_name}").text) == [people[3].email]
    # filters keep their values in the page links
    assert "/admin/users?role=author&amp;page=2" in client.get("/admin/users?role=author").text
    # the signed-in admin has no buttons against themselves
    mine = re.search(rf'data-user="{admin.id}".*?</li>', page.text, re.S)
    assert mine and "(you)" in mine.group(0) and "Change role" not in mine.group(0)


@pytest.mark.parametrize(
    "query",
    [
        "q=%25", "q=_", "q=%5C", "q=%27+OR+1%3D1+--", "q=" + "x" * 5000, "q=%F0%9F%98%80",
        "role=superuser", "status=maybe", "page=-1", "page=abc", "page=99999999999999",
        "page=1e3", "q=%00",
    ],
)  # fmt: skip
def test_nasty_list_queries_are_harmless(
    client: TestClient, db: Database, clock: FrozenClock, query: str
):
    signed_in(client, db, clock, "admin")
    answer = client.get(f"/admin/users?{query}")
    assert answer.status_code in {200, 400}, answer.text[:500]
    if answer.status_code == 200 and query.startswith("q=") and query not in {"q=%00", "q=_"}:
        assert "No user matches these filters" in answer.text


def test_permissions_menu_and_crafted_requests(
    client: TestClient, db: Database, clock: FrozenClock
):
    target = create_random_user(db, clock, "author")
    signed_in(client, db, clock, "viewer")
    assert 'href="/admin/users"' not in client.get("/admin").text
    assert client.get("/admin/users").status_code == 403
    csrf = csrf_of(client.get("/admin").text)
    for action in ("deactivate", "delete", "revoke-sessions", "reset-2fa", "activate"):
        answer = client.post(f"/admin/users/{target.id}/{action}", data={"csrf_token": csrf})
        assert answer.status_code == 403, action
    answer = client.post(
        f"/admin/users/{target.id}/role", data={"csrf_token": csrf, "role": "admin"}
    )
    assert answer.status_code == 403
    invite = client.post(
        "/admin/users/invite", data={"csrf_token": csrf, "email": "x@example.com", "role": "viewer"}
    )
    assert invite.status_code == 403
    row = user_row(db, target.id)
    assert row.role == "author" and row.is_active


def test_an_action_without_the_csrf_token_is_refused(
    client: TestClient, db: Database, clock: FrozenClock
):
    target = create_random_user(db, clock, "author")
    signed_in(client, db, clock, "admin")
    answer = client.post(f"/admin/users/{target.id}/deactivate", headers=HTMX)
    assert answer.status_code == 403 and answer.json()["code"] == "csrf_failed"
    assert user_row(db, target.id).is_active
    unknown = post(client, f"/admin/users/{target.id}/promote-to-god")
    assert unknown.status_code == 404 and user_row(db, target.id).is_active


def test_change_role_and_never_ones_own(client: TestClient, db: Database, clock: FrozenClock):
    admin = signed_in(client, db, clock, "admin")
    target = create_random_user(db, clock, "author")
    done = post(client, f"/admin/users/{target.id}/role", role="editor", who="Target")
    assert done.status_code == 200 and toast(done.text) == "toast--info: Target is now editor."
    assert user_row(db, target.id).role == "editor"
    assert 'id="user-list"' in done.text
    unknown = post(client, f"/admin/users/{target.id}/role", role="<script>alert(1)</script>")
    assert toast(unknown.text).startswith("toast--error: Validation failed")
    assert "<script>alert(1)" not in unknown.text
    assert user_row(db, target.id).role == "editor"
    mine = post(client, f"/admin/users/{admin.id}/role", role="viewer")
    assert mine.status_code == 403 and mine.json()["code"] == "self_escalation"
    assert user_row(db, admin.id).role == "admin"


def test_an_editor_cannot_hand_out_admin(client: TestClient, db: Database, clock: FrozenClock):
    system = system_context(db, clock)
    roles.grant(system, role="editor", permission="users.update")
    roles.grant(system, role="editor", permission="users.read")
    target = create_random_user(db, clock, "author")
    signed_in(client, db, clock, "editor")
    page = client.get("/admin/users")
    select_box = re.search(rf'id="role-{target.id}".*?</select>', page.text, re.S)
    assert select_box and 'value="admin"' not in select_box.group(0)
    answer = post(client, f"/admin/users/{target.id}/role", role="admin")
    assert answer.status_code == 403 and answer.json()["code"] == "role_escalation"
    assert user_row(db, target.id).role == "author"


def test_the_last_active_admin_stays(client: TestClient, db: Database, clock: FrozenClock):
    system = system_context(db, clock)
    for permission in ("users.read", "users.update", "users.delete"):
        roles.grant(system, role="editor", permission=permission)
    admin = create_random_user(db, clock, "admin")
    signed_in(client, db, clock, "editor")
    for action in ("deactivate", "delete"):
        answer = post(client, f"/admin/users/{admin.id}/{action}", who="The admin")
        assert answer.status_code == 200
        assert toast(answer.text) == "toast--error: Cannot remove the last active admin"
    row = user_row(db, admin.id)
    assert row is not None and row.is_active and row.role == "admin"


def test_deactivate_reactivate_and_sessions(client: TestClient, db: Database, clock: FrozenClock):
    signed_in(client, db, clock, "admin")
    target = create_random_user(db, clock, "author")
    with db.write() as conn:
        open_session(conn, db.settings, now_ms=clock.now_ms(), user_id=target.id, role="author")
    off = post(client, f"/admin/users/{target.id}/deactivate", who="T")
    assert toast(off.text) == "toast--info: T was deactivated."
    assert not user_row(db, target.id).is_active
    assert "Reactivate" in off.text
    on = post(client, f"/admin/users/{target.id}/activate", who="T")
    assert toast(on.text) == "toast--info: T was reactivated." and user_row(db, target.id).is_active
    with db.write() as conn:
        open_session(conn, db.settings, now_ms=clock.now_ms(), user_id=target.id, role="author")
    out = post(client, f"/admin/users/{target.id}/revoke-sessions", who="T")
    assert toast(out.text) == "toast--info: T was signed out everywhere."
    with db.read() as conn:
        live = conn.execute(
            select(func.count())
            .select_from(AuthSession)
            .where(AuthSession.user_id == target.id, AuthSession.revoked_at.is_(None))
        ).scalar_one()
    assert live == 0


def test_reset_two_factor(client: TestClient, db: Database, clock: FrozenClock):
    signed_in(client, db, clock, "admin")
    target = create_random_user(db, clock, "author")
    enable_totp(db, clock, target.id)
    page = client.get("/admin/users")
    assert "2FA on" in page.text and f"/admin/users/{target.id}/reset-2fa" in page.text
    done = post(client, f"/admin/users/{target.id}/reset-2fa", who="T")
    assert toast(done.text) == "toast--info: Two-factor authentication of T was reset."
    row = user_row(db, target.id)
    assert not row.two_factor_enabled and row.two_factor_secret is None
    missing = post(client, f"/admin/users/{uuid.uuid4().hex}/reset-2fa")
    assert missing.status_code == 404


def test_delete_asks_in_a_dialog_and_refuses_an_owner(
    client: TestClient, db: Database, clock: FrozenClock
):
    admin = signed_in(client, db, clock, "admin")
    plain, owner = create_random_user(db, clock, "viewer"), create_random_user(db, clock, "author")
    ctx = system_context(db, clock).acting_as(_actor(db, clock, admin.id))
    news = collections.create_collection(
        ctx, {"name": "news", "display_name": "News", "schema": {}}
    )
    author_ctx = system_context(db, clock).acting_as(_actor(db, clock, owner.id))
    items.create_item(author_ctx, {"collectionId": news["id"], "title": "Mine", "data": {}})
    page = client.get("/admin/users").text
    dialog = re.search(rf'<dialog[^>]*id="delete-{plain.id}".*?</dialog>', page, re.S)
    assert dialog and plain.email in dialog.group(0) and "removed for good" in dialog.group(0)
    refused = post(client, f"/admin/users/{owner.id}/delete", who="Owner")
    assert toast(refused.text).startswith("toast--error: The user still owns content")
    assert user_row(db, owner.id) is not None
    gone = post(client, f"/admin/users/{plain.id}/delete", who="Plain")
    assert toast(gone.text) == "toast--info: Plain was deleted."
    assert user_row(db, plain.id) is None and plain.email not in gone.text
    myself = post(client, f"/admin/users/{admin.id}/delete")
    assert myself.status_code == 403 and user_row(db, admin.id) is not None


def test_a_plain_post_goes_back_to_the_list(client: TestClient, db: Database, clock: FrozenClock):
    signed_in(client, db, clock, "admin")
    target = create_random_user(db, clock, "author")
    answer = client.post(
        f"/admin/users/{target.id}/deactivate",
        data={"csrf_token": token(client)},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/admin/users"


@pytest.mark.parametrize(
    ("email", "role"),
    [
        ("not-an-email", "viewer"),
        ("<script>alert(1)</script>@example.com", "viewer"),
        ("x" * 400 + "@example.com", "viewer"),
        ("ok@example.com", "superuser"),
        ("ok@example.com", ""),
        ("ok\x00@example.com", "viewer"),
    ],
)
def test_nasty_invitations_write_nothing(
    client: TestClient, db: Database, clock: FrozenClock, email: str, role: str
):
    signed_in(client, db, clock, "admin")
    before = count_users(db)
    answer = post(client, "/admin/users/invite", email=email, role=role)
    assert answer.status_code in {200, 400, 422}
    if answer.status_code == 200:
        assert toast(answer.text).startswith("toast--error")
        assert "<script>alert(1)</script>" not in answer.text
    assert count_users(db) == before


def test_invite_mails_a_link_that_opens_the_acceptance_page(
    mail_client: tuple[TestClient, Inbox], db: Database, clock: FrozenClock
):
    client, inbox = mail_client
    signed_in(client, db, clock, "admin")
    answer = post(
        client, "/admin/users/invite", email="New.Person@Example.com", role="author",
        first_name="Zoë", last_name="Ångström",
    )  # fmt: skip
    assert toast(answer.text) == "toast--info: Invitation sent to New.Person@Example.com."
    assert "new.person@example.com" in answer.text and ">Invited<" in answer.text
    again = post(client, "/admin/users/invite", email="new.person@example.com", role="author")
    assert toast(again.text) == "toast--error: A user with this email already exists"
    # a refused invitation keeps what was typed; a sent one empties the form
    assert re.search(r'id="invite-email"[^>]*value="new.person@example.com"', again.text)
    assert re.search(r'id="invite-email"[^>]*value=""', answer.text)
    link = inbox.last_token("/auth/accept-invitation")
    client.cookies.clear()
    # the mailed link, opened by a browser, leads to the acceptance page; API clients get JSON
    opened = client.get(
        f"/auth/accept-invitation?token={link}",
        headers={"Accept": "text/html"},
        follow_redirects=False,
    )
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/admin/accept-invitation?token={link}"
    assert client.get(f"/auth/accept-invitation?token={link}").json()["data"]["role"] == "author"
    form_page = client.get(opened.headers["location"])
    assert form_page.status_code == 200 and "new.person@example.com" in form_page.text
    assert 'value="Zoë"' in form_page.text
    csrf = csrf_of(form_page.text)
    base = {"csrf_token": csrf, "token": link, "first_name": "Zoë", "last_name": "Å"}
    differ = client.post(
        "/admin/accept-invitation", data=base | {"password": TEST_PASSWORD, "password_again": "x"}
    )
    assert differ.status_code == 422 and "The two passwords differ." in differ.text
    short = client.post(
        "/admin/accept-invitation", data=base | {"password": "a", "password_again": "a"}
    )
    assert short.status_code in {400, 422} and 'class="form-error"' in short.text
    no_csrf = client.post(
        "/admin/accept-invitation",
        data={"token": link, "password": TEST_PASSWORD, "password_again": TEST_PASSWORD},
    )
    assert no_csrf.status_code == 403
    accepted = client.post(
        "/admin/accept-invitation",
        data=base | {"password": TEST_PASSWORD, "password_again": TEST_PASSWORD},
        follow_redirects=False,
    )
    assert accepted.status_code == 303 and accepted.headers["location"] == "/admin"
    home = client.get("/admin")
    assert home.status_code == 200 and "Zoë" in home.text
    with db.read() as conn:
        row = conn.execute(select(User).where(User.email == "new.person@example.com")).one()
    assert row.is_active and row.accepted_invitation_at is not None
    client.cookies.clear()
    dead = client.get(f"/admin/accept-invitation?token={link}")
    assert dead.status_code == 400 and "Invalid or expired invitation" in dead.text
    assert client.get("/admin/accept-invitation?token=%27%3B--").status_code == 400
    assert sign_in(client, "new.person@example.com").status_code == 303


def test_users_are_listed_with_a_fixed_number_of_queries(
    client: TestClient, db: Database, clock: FrozenClock
):
    from tests.utils.query_count import counting_statements

    signed_in(client, db, clock, "admin")
    now = clock.now_ms()
    rows = [
        {"id": uuid.uuid4().hex, "email": f"bulk{n}@example.com", "username": f"bulk{n}",
         "first_name": "Bulk", "last_name": str(n), "role": "viewer", "is_active": True,
         "created_at": now - n, "updated_at": now - n}
        for n in range(60)
    ]  # fmt: skip
    with db.write() as conn:
        conn.execute(insert(User), rows)
    client.get("/admin/users")
    # The log writer's thread (its batches and its log_config reads) is not the page's work:
    # what earlier requests queued is written now, and these two requests queue nothing.
    client.app.state.ctx.logs.flush()  # type: ignore[attr-defined]
    client.app.state.ctx.logs.enabled = False  # type: ignore[attr-defined]
    with counting_statements(db.engine) as few:
        client.get("/admin/users?page=1")
    with counting_statements(db.engine) as more:
        client.get("/admin/users?page=2")

    assert len(more.sql) == len(few.sql), (few.sql, more.sql)
