"""The content list page over the app (TestClient), on both engines: filters, search, sorting,
both paging modes, bulk actions with their per-item results and permissions, CSRF, and the
number of statements a page costs (no N+1).

The browser flow (search, filter, sort, select, publish, the toast) is in
test_browser_content_list.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sonic_cms.actors import Actor
from sonic_cms.admin.security import CSP
from sonic_cms.clock import FrozenClock
from sonic_cms.content import collections, items
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.db.schema.tables import CONTENT
from tests.admin.test_pages import csrf_of, sign_in
from tests.utils.auth import create_random_user, system_context
from tests.utils.query_count import counting_statements

HTMX = {"HX-Request": "true"}
ROW_TITLE = re.compile(r'<th scope="row" class="content-table__title"><a href="[^"]+">([^<]*)</a>')
LINK = re.compile(r'<a class="button" rel="(next|prev)" href="([^"]+)"')
MINUTE = 60_000
#: Statements that are not the page's reads: transaction control, the plugin registry's reload
#: (on its own schedule) and the request log's slow-request entries.
#: Statements that are not the page's: transaction control, the plugin set's re-read, and the
#: system-logs writer thread (its inserts, and its log_config re-read every 5 s, which once fell
#: inside a counted request on a slow machine).
OFF_PAGE = re.compile(
    r"^(BEGIN|COMMIT|ROLLBACK)|FROM plugins|INSERT INTO system_logs|FROM log_config"
)


def actor_of(db: Database, clock: FrozenClock, user_id: str) -> Actor:
    from sonic_cms.auth.authentication import actor_for_user

    return actor_for_user(system_context(db, clock), user_id)


@dataclass
class World:
    """Users of each role and a "news" collection."""

    db: Database
    clock: FrozenClock
    users: dict[str, Any]
    news: dict[str, Any]

    def ctx(self, role: str) -> Context:
        user = self.users[role]
        return system_context(self.db, self.clock).acting_as(actor_of(self.db, self.clock, user.id))

    def add(self, title: str, status: str = "draft", role: str = "editor", **data: Any) -> str:
        """A news item by the user of ``role``; the clock moves on a minute after it."""
        body = {"collectionId": self.news["id"], "title": title, "data": data, "status": status}
        item = items.create_item(self.ctx(role), body)
        self.clock.advance(MINUTE)
        return str(item["id"])

    def status_of(self, item_id: str) -> str | None:
        with self.db.read() as conn:
            return conn.execute(select(CONTENT.c.status).where(CONTENT.c.id == item_id)).scalar()


NEWS_SCHEMA = {
    "type": "object",
    "properties": {"category": {"type": "string", "title": "Category"}},
}


@pytest.fixture
def world(db: Database, clock: FrozenClock) -> World:
    users = {role: create_random_user(db, clock, role) for role in ("admin", "editor", "author")}
    users["viewer"] = create_random_user(db, clock, "viewer")
    ctx = system_context(db, clock).acting_as(actor_of(db, clock, users["admin"].id))
    body = {"name": "news", "display_name": "News", "schema": NEWS_SCHEMA}
    return World(db, clock, users, collections.create_collection(ctx, body))


def titles(html: str) -> list[str]:
    return [unescape(t) for t in ROW_TITLE.findall(html)]


def link(html: str, rel: str) -> str | None:
    found = dict(LINK.findall(html))
    return unescape(found[rel]) if rel in found else None


def enter(client: TestClient, world: World, role: str) -> None:
    client.cookies.clear()
    assert sign_in(client, world.users[role].email).status_code == 303


def test_signed_out_visitors_go_to_the_sign_in_page(client: TestClient):
    answer = client.get("/admin/content?collection=news", follow_redirects=False)
    assert answer.status_code == 303
    # through the refresh address, which renews a session whose access cookie expired
    target = "/auth/refresh-session?next=/admin/content%3Fcollection%3Dnews"
    assert answer.headers["location"] == target


def test_the_list_shows_rows_badges_links_and_the_new_action(client: TestClient, world: World):
    draft = world.add("Spring notes")
    world.add("Welcome", "published")
    world.add("Old news", "archived")
    enter(client, world, "editor")
    answer = client.get("/admin/content?collection=news")
    assert answer.status_code == 200 and answer.headers["content-security-policy"] == CSP
    html = answer.text
    assert '<h1 class="page-header__title">News</h1>' in html
    assert (
        '<a class="button button--primary" href="/admin/content/new?collection=news">New News'
        in html
    )
    assert f'<a href="/admin/content/{draft}/edit">Spring notes</a>' in html
    assert titles(html) == ["Old news", "Welcome", "Spring notes"]  # newest change first
    for status, text in (("draft", "Draft"), ("published", "Published"), ("archived", "Archived")):
        assert f'<span class="badge badge--{status}" data-status>{text}</span>' in html
    assert 'aria-sort="descending"' in html  # the default sort: updated, newest first
    assert (
        html.count('name="ids"') == 3 and 'value="publish"' in html and "data-bulk-delete" in html
    )
    assert 'href="/admin/content?collection=news" aria-current="page"' in html  # the sidebar
    assert "<script>" not in html and 'style="' not in html and " onclick" not in html


def test_list_fields_choose_the_columns(client: TestClient, world: World):
    admin = world.ctx("admin")
    schema = {**NEWS_SCHEMA, "listFields": ["title", "category", "updated_at"]}
    collections.update_collection(admin, "news", {"schema": schema})
    world.add("Tagged", category="Politics & more")
    enter(client, world, "editor")
    html = client.get("/admin/content?collection=news").text
    headers = re.findall(r'<th scope="col"[^>]*>\s*(?:<a [^>]+>)?([A-Za-z]+)', html)
    assert headers == ["Title", "Category", "Updated"]
    assert "Politics &amp; more" in html


def test_all_collections_show_a_collection_column(client: TestClient, world: World):
    admin = world.ctx("admin")
    body = {"name": "pages", "display_name": "Pages", "schema": {"type": "object"}}
    pages = collections.create_collection(admin, body)
    items.create_item(admin, {"collectionId": pages["id"], "title": "About us", "data": {}})
    world.add("Headline")
    enter(client, world, "editor")
    html = client.get("/admin/content").text
    assert '<h1 class="page-header__title">All content</h1>' in html
    assert "<td>Pages</td>" in html and "<td>News</td>" in html
    assert sorted(titles(html)) == ["About us", "Headline"]
    assert "/admin/content/new" not in html  # a new item needs a collection


def test_a_viewer_sees_published_items_and_no_actions(client: TestClient, world: World):
    world.add("Secret draft")
    world.add("Public story", "published")
    enter(client, world, "viewer")
    html = client.get("/admin/content?collection=news").text
    assert titles(html) == ["Public story"]
    assert "New News" not in html and 'name="ids"' not in html and "data-bulk-bar" not in html


def test_an_empty_collection_says_what_to_do_next(client: TestClient, world: World):
    enter(client, world, "editor")
    html = client.get("/admin/content?collection=news").text
    assert "No News yet." in html and "Create the first one" in html
    filtered = client.get("/admin/content?collection=news&status=published").text
    assert "Nothing matches these filters." in filtered
    assert 'href="/admin/content?collection=news">clear the filters' in filtered
    enter(client, world, "viewer")
    assert "Items appear here once someone" in client.get("/admin/content?collection=news").text


def test_filters_by_status_author_and_dates(client: TestClient, world: World):
    first = world.clock.now_ms()
    world.add("Editor draft")
    world.add("Editor story", "published")
    world.clock.advance(3 * 24 * 3600 * 1000)
    world.add("Author draft", role="author")
    enter(client, world, "editor")
    base = "/admin/content?collection=news"
    assert titles(client.get(f"{base}&status=published").text) == ["Editor story"]
    assert titles(client.get(f"{base}&author=me").text) == ["Editor story", "Editor draft"]
    author_id = world.users["author"].id
    assert titles(client.get(f"{base}&author={author_id}").text) == ["Author draft"]
    from datetime import UTC, datetime

    day = datetime.fromtimestamp(first / 1000, UTC).date().isoformat()
    on_day = client.get(f"{base}&date=created&from={day}&to={day}").text
    assert titles(on_day) == ["Editor story", "Editor draft"]
    assert titles(client.get(f"{base}&date=updated&from={day}").text) == [
        "Author draft",
        "Editor story",
        "Editor draft",
    ]
    bad = client.get(f"{base}&from=yesterday")
    assert bad.status_code == 200 and "Dates are written YYYY-MM-DD" in bad.text
    assert titles(bad.text) == []


def test_htmx_gets_only_the_results(client: TestClient, world: World):
    world.add("Only one", "published")
    enter(client, world, "editor")
    answer = client.get("/admin/content?collection=news&status=published", headers=HTMX)
    assert answer.status_code == 200 and answer.headers["content-security-policy"] == CSP
    html = answer.text
    assert "<html" not in html and 'id="sidebar"' not in html and titles(html) == ["Only one"]
    form = client.get("/admin/content?collection=news&q=&status=published&from=", headers=HTMX)
    assert form.headers["hx-push-url"] == "/admin/content?collection=news&status=published"
    restore = client.get(
        "/admin/content?collection=news", headers={**HTMX, "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore.text


def test_search_finds_accented_words_and_shrugs_off_injection(client: TestClient, world: World):
    world.add("Crème brûlée recipe", category="Caramel on top")
    world.add("Plain toast", category="Bread")
    enter(client, world, "editor")
    base = "/admin/content?collection=news"
    html = client.get(f"{base}&q=creme").text
    assert titles(html) == ["Crème brûlée recipe"]
    assert "Sorted by relevance" in html and "aria-sort" not in html
    assert titles(client.get(base, params={"q": "brûlée"}).text) == ["Crème brûlée recipe"]
    hostile = "'; DROP TABLE content; -- <script>alert(1)</script> \" OR 1=1"
    answer = client.get(base, params={"q": hostile})
    assert answer.status_code == 200 and titles(answer.text) == []
    assert "<script>alert(1)" not in answer.text and "&lt;script&gt;alert(1)" in answer.text
    nothing = client.get(base, params={"q": "%%% ***"})
    assert nothing.status_code == 200 and 'class="form-error" role="alert"' in nothing.text
    assert len(titles(client.get(base).text)) == 2  # the table is still there


def test_sorting_by_each_column_sets_aria_sort(client: TestClient, world: World):
    world.add("Banana", "published")
    world.add("apple", role="author")
    world.add("Cherry", "archived")
    enter(client, world, "editor")
    base = "/admin/content?collection=news"
    html = client.get(f"{base}&sort=title").text
    assert titles(html) == ["Banana", "Cherry", "apple"] or titles(html) == [
        "apple",
        "Banana",
        "Cherry",
    ]
    assert re.search(
        r'<th scope="col" aria-sort="ascending">\s*<a class="sort-link" href="([^"]+)"', html
    )
    assert (
        'href="/admin/content?collection=news&amp;sort=-title"' in html
    )  # click again: descending
    assert titles(client.get(f"{base}&sort=-title").text) == list(reversed(titles(html)))
    assert titles(client.get(f"{base}&sort=status").text) == ["Cherry", "apple", "Banana"]
    by_author = titles(client.get(f"{base}&sort=author").text)
    assert by_author[0] == "apple"  # "Author …" before "Editor …"
    assert titles(client.get(f"{base}&sort=-author").text)[-1] == "apple"
    assert titles(client.get(f"{base}&sort=created_at").text) == ["Banana", "apple", "Cherry"]
    assert titles(client.get(f"{base}&sort=-created_at").text) == ["Cherry", "apple", "Banana"]


def walk(client: TestClient, url: str, rel: str = "next") -> list[list[str]]:
    """Follow ``rel`` links from ``url`` to the end: the titles of each page."""
    pages = []
    while url:
        html = client.get(url, headers=HTMX).text
        pages.append(titles(html))
        url = link(html, rel) or ""
        assert len(pages) < 10
    return pages


def test_cursor_paging_forward_and_back(client: TestClient, world: World):
    names = [f"Item {n}" for n in range(1, 6)]
    for name in names:
        world.add(name)
    enter(client, world, "editor")
    first = client.get("/admin/content?collection=news&limit=2").text
    assert "cursor=" in (link(first, "next") or "") and link(first, "prev") is None
    assert "1 to 2 of 5" in first
    forward = walk(client, "/admin/content?collection=news&limit=2")
    assert forward == [["Item 5", "Item 4"], ["Item 3", "Item 2"], ["Item 1"]]
    last = client.get(link(client.get(link(first, "next") or "").text, "next") or "").text
    assert link(last, "next") is None and "First page" in last and "page=" not in last
    back = walk(client, link(last, "prev") or "", "prev")
    assert back == [["Item 3", "Item 2"], ["Item 5", "Item 4"]]


@pytest.mark.parametrize("query", ["sort=status", "sort=-author", "q=story"])
def test_numbered_paging_where_the_sort_has_no_cursor(client: TestClient, world: World, query: str):
    for n in range(1, 6):
        world.add(f"Story {n}")
    enter(client, world, "editor")
    url = f"/admin/content?collection=news&limit=2&{query}"
    first = client.get(url).text
    assert "cursor=" not in first and "1 to 2 of 5" in first
    assert '<span class="button pager__current" aria-current="page">' in first
    assert re.findall(r"</span>(\d)</a>", first) == ["2", "3"]
    pages = walk(client, url)
    assert [len(p) for p in pages] == [2, 2, 1]
    assert sorted(t for p in pages for t in p) == [f"Story {n}" for n in range(1, 6)]
    third = client.get(f"{url}&page=3").text
    assert link(third, "next") is None and "5 to 5 of 5" in third
    assert walk(client, link(third, "prev") or "", "prev") == pages[1::-1]


def bulk(client: TestClient, action: str, ids: list[str], token: str | None, **headers: str):
    form: dict[str, Any] = {"action": action, "ids": ids, "state": "collection=news"}
    if token is not None:
        form["csrf_token"] = token
    return client.post("/admin/content/bulk", data=form, headers=headers)


def test_bulk_publish_tells_the_result_per_item(client: TestClient, world: World):
    ids = [world.add(f"Draft {n}") for n in range(3)]
    enter(client, world, "editor")
    token = csrf_of(client.get("/admin/content?collection=news").text)
    answer = bulk(client, "publish", [*ids, "no-such-item"], token, **HTMX)
    assert answer.status_code == 200
    html = answer.text
    assert 'hx-swap-oob="beforeend:#toasts"' in html and "toast--error" in html
    assert "3 published, 1 refused: Content not found" in html
    assert html.count('<span class="badge badge--published" data-status>Published</span>') == 3
    assert all(world.status_of(i) == "published" for i in ids)
    plain = bulk(client, "archive", ids[:2], token)  # without htmx: the whole page, a toast
    assert plain.status_code == 200 and "<html" in plain.text
    assert '<div class="toast toast--info">2 archived' in plain.text
    assert world.status_of(ids[0]) == "archived" and world.status_of(ids[2]) == "published"


def test_bulk_delete_and_unpublish(client: TestClient, world: World):
    ids = [world.add(f"Gone {n}", "published") for n in range(2)]
    enter(client, world, "editor")
    token = csrf_of(client.get("/admin/content?collection=news").text)
    assert "1 unpublished" in bulk(client, "unpublish", ids[:1], token, **HTMX).text
    assert world.status_of(ids[0]) == "draft"
    html = client.get("/admin/content?collection=news").text
    assert "data-bulk-dialog" in html and 'value="delete"' in html
    answer = bulk(client, "delete", ids, token, **HTMX)
    assert "2 deleted" in answer.text and "No News yet." in answer.text
    assert world.status_of(ids[0]) is None and world.status_of(ids[1]) is None


def test_an_author_sees_no_publish_action_and_gets_403_per_item(client: TestClient, world: World):
    mine = world.add("My draft", role="author")
    theirs = world.add("Editor story", "published")
    enter(client, world, "author")
    html = client.get("/admin/content?collection=news").text
    assert titles(html) == ["Editor story", "My draft"]
    assert 'value="publish"' not in html and 'value="archive"' not in html
    assert "data-bulk-delete" in html  # authors delete their own items
    token = csrf_of(html)
    crafted = bulk(client, "publish", [mine], token, **HTMX)
    assert crafted.status_code == 403 and crafted.json()["code"] == "missing_permission"
    assert world.status_of(mine) == "draft"
    answer = bulk(client, "delete", [theirs, mine], token, **HTMX)
    assert answer.status_code == 200
    assert "1 deleted, 1 refused: " in answer.text and "toast--error" in answer.text
    assert world.status_of(theirs) == "published" and world.status_of(mine) is None


def test_bulk_without_the_csrf_token_is_refused(client: TestClient, world: World):
    draft = world.add("Draft")
    enter(client, world, "editor")
    client.get("/admin/content?collection=news")
    answer = bulk(client, "publish", [draft], None)
    assert answer.status_code == 403 and answer.json()["code"] == "csrf_failed"
    forged = bulk(client, "publish", [draft], "0" * 64)
    assert forged.status_code == 403
    assert world.status_of(draft) == "draft"


def test_bulk_with_nothing_selected_or_an_unknown_action(client: TestClient, world: World):
    enter(client, world, "editor")
    token = csrf_of(client.get("/admin/content?collection=news").text)
    assert "Select at least one item first." in bulk(client, "publish", [], token, **HTMX).text
    assert bulk(client, "explode", ["x"], token).status_code == 400


def test_the_list_costs_the_same_statements_for_3_and_30_items(
    client: TestClient, world: World, db: Database
):
    def count() -> int:
        enter(client, world, "admin")  # adding items moved the clock past the token's life
        client.get("/admin/content")  # warm
        with counting_statements(db.engine) as seen:
            answer = client.get("/admin/content")
        assert answer.status_code == 200 and len(titles(answer.text)) == min(n_items(), 25)
        return len([sql for sql in seen.sql if not OFF_PAGE.search(sql)])

    roles = ("editor", "author", "admin")  # authors may not publish: theirs stay drafts
    for n in range(3):
        role = roles[n % 3]
        world.add(f"Few {n}", "draft" if role == "author" else "published", role=role)

    def n_items() -> int:
        with db.read() as conn:
            return int(conn.execute(select(func.count()).select_from(CONTENT)).scalar_one())

    few = count()
    assert few >= 8  # session, list, authors, collections, count, users, me, stats, nav
    for n in range(27):
        role = roles[n % 3]
        world.add(f"Many {n}", "draft" if role == "author" else "published", role=role)
    assert n_items() == 30
    assert few == count()


def test_the_api_sorts_by_author_name_with_page_numbers(client: TestClient, world: World):
    """The service rule the list's Author column uses, as GET /api/content answers it."""
    world.add("By editor", "published")
    world.add("By author", role="author")
    enter(client, world, "admin")
    answer = client.get("/api/content", params={"collection": "news", "sort": "author"})
    assert answer.status_code == 200
    body = answer.json()
    assert [i["title"] for i in body["data"]] == ["By author", "By editor"]
    assert "next_cursor" not in body["meta"] and body["meta"]["pagination"]["total"] == 2
    reverse = client.get("/api/content", params={"collection": "news", "sort": "-author"}).json()
    assert [i["title"] for i in reverse["data"]] == ["By editor", "By author"]
    cursor = client.get("/api/content", params={"sort": "author", "cursor": "x"})
    assert cursor.status_code == 400
