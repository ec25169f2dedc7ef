"""The API tokens page (/admin/api-tokens) over the app (TestClient), on both engines: the
checklist holds only the creator's permissions and the service refuses more, the secret is
shown once and works, validation errors sit next to their fields with nothing written,
revoking, and who may see the page."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sonic_cms.auth import api_tokens
from sonic_cms.clock import FrozenClock
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import ApiToken
from tests.admin.test_item_panel import Person, person, signed_in

PATH = "/admin/api-tokens"
SECRET = re.compile(r'id="token-secret" value="(sonic_[0-9A-Za-z]+)"')


def create(client: TestClient, csrf: str, name: str = "CI deploy", **extra: object):
    form: dict[str, object] = {"csrf_token": csrf, "name": name, **extra}
    return client.post(PATH, data=form, follow_redirects=False)


def token_count(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(ApiToken)).scalar_one())


def offered(html: str) -> set[str]:
    return set(re.findall(r'name="permissions" value="([^"]+)"', html))


def test_the_checklist_offers_only_the_creators_permissions(
    client: TestClient, db: Database, clock: FrozenClock
):
    author = person(db, clock, "author")
    signed_in(client, author)
    html = client.get(PATH).text
    assert offered(html) == set(author.ctx.actor.permissions)
    assert "content.publish" not in offered(html)
    assert "Your tokens" in html and "No tokens yet" in html
    assert 'href="/admin/api-tokens" aria-current="page"' in html  # the menu shows it


def test_a_crafted_request_for_more_gets_the_services_403_and_writes_nothing(
    client: TestClient, db: Database, clock: FrozenClock
):
    author = person(db, clock, "author")
    csrf = signed_in(client, author)
    answer = create(client, csrf, permissions=["content.read", "content.publish"])
    assert answer.status_code == 403
    assert answer.json()["code"] == "token_escalation"
    assert token_count(db) == 0


def test_the_secret_is_shown_once_and_works_then_revoking_stops_it(
    client: TestClient, db: Database, clock: FrozenClock
):
    editor = person(db, clock, "editor")
    csrf = signed_in(client, editor)
    answer = create(client, csrf, permissions=["content.read"], expires_at="2026-06-30T12:00")
    assert answer.status_code == 201
    found = SECRET.search(answer.text)
    assert found, answer.text
    secret = found.group(1)
    assert api_tokens.is_well_formed(secret)
    assert "data-copy-secret" in answer.text
    listed = client.get(PATH).text
    assert "CI deploy" in listed and "2026-06-30 12:00 UTC" in listed
    assert secret not in listed  # once only
    token_id = re.search(r'data-token="([^"]+)"', listed).group(1)  # type: ignore[union-attr]
    bearer = {"Authorization": f"Bearer {secret}"}
    client.cookies.clear()
    assert client.get("/api/tokens", headers=bearer).status_code == 403  # content.read only
    csrf = signed_in(client, editor)
    revoked = client.post(
        f"{PATH}/{token_id}/revoke", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert revoked.status_code == 303 and revoked.headers["location"] == PATH + "?done=revoked"
    assert "was revoked" in client.get(revoked.headers["location"]).text
    client.cookies.clear()
    assert client.get("/api/content", headers=bearer).status_code == 401
    assert token_count(db) == 0


def test_validation_errors_stand_next_to_their_fields_and_nothing_is_written(
    client: TestClient, db: Database, clock: FrozenClock
):
    admin = person(db, clock, "admin")
    csrf = signed_in(client, admin)
    cases = [
        ({"name": "", "permissions": ["content.read"]}, "t-name-error", "1 to 200"),
        ({"name": "x" * 201, "permissions": ["content.read"]}, "t-name-error", "1 to 200"),
        ({"name": "bad\x00name", "permissions": ["content.read"]}, "t-name-error", "control"),
        ({"name": "none"}, "t-perms-error", "at least one"),
        (
            {"name": "past", "permissions": ["content.read"], "expires_at": "2020-01-01T00:00"},
            "t-expires-error",
            "future",
        ),
        (
            {"name": "junk", "permissions": ["content.read"], "expires_at": "soon'; DROP"},
            "t-expires-error",
            "date and time",
        ),
    ]
    for form, error_id, words in cases:
        name = str(form.pop("name"))
        answer = create(client, csrf, name, **form)
        assert answer.status_code == 422, form
        error = re.search(rf'id="{error_id}">([^<]+)<', answer.text)
        assert error and words in error.group(1), (form, answer.text[:300])
        assert 'aria-invalid="true"' in answer.text or "field--invalid" in answer.text
    assert token_count(db) == 0
    # what was typed is kept, escaped
    answer = create(client, csrf, "<script>alert(1)</script> ünï", expires_at="nope")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; ünï" in answer.text
    assert "<script>alert(1)" not in answer.text


def test_the_admin_sees_everyones_tokens_and_revokes_them(
    client: TestClient, db: Database, clock: FrozenClock
):
    admin, author = person(db, clock, "admin"), person(db, clock, "author")
    row, _ = api_tokens.create_token(
        author.ctx, name="Author's script", permissions=["content.read"]
    )
    signed_in(client, author)
    assert "All tokens" not in client.get(PATH).text
    csrf = signed_in(client, admin)
    html = client.get(PATH).text
    assert "All tokens" in html and "Author&#39;s script" in html
    answer = client.post(
        f"{PATH}/{row['id']}/revoke", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert token_count(db) == 0


def test_another_authors_token_cannot_be_revoked_by_a_crafted_request(
    client: TestClient, db: Database, clock: FrozenClock
):
    one, other = person(db, clock, "author"), person(db, clock, "author")
    row, _ = api_tokens.create_token(one.ctx, name="mine", permissions=["content.read"])
    csrf = signed_in(client, other)
    assert "mine" not in client.get(PATH).text
    answer = client.post(
        f"{PATH}/{row['id']}/revoke", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert answer.status_code == 404
    assert token_count(db) == 1


def test_a_viewer_gets_403_and_no_menu_entry(client: TestClient, db: Database, clock: FrozenClock):
    viewer: Person = person(db, clock, "viewer")
    csrf = signed_in(client, viewer)
    assert 'href="/admin/api-tokens"' not in client.get("/admin").text
    assert client.get(PATH).status_code == 403
    answer = create(client, csrf, permissions=["content.read"])
    assert answer.status_code == 403
    assert token_count(db) == 0


def test_forms_without_the_csrf_token_are_refused(
    client: TestClient, db: Database, clock: FrozenClock
):
    admin = person(db, clock, "admin")
    signed_in(client, admin)
    answer = client.post(PATH, data={"name": "x", "permissions": "content.read"})
    assert answer.status_code == 403
    assert token_count(db) == 0
