"""Server time of the admin's main pages with 10,000 items, in-process and one at a time.

Seeds the content benchmark's blog posts (bench/content_seed.py), signs an administrator in (a
session and its access cookie: the one who sees every panel and menu), then GETs each page of
``tests/admin/main_pages.py`` (the list the accessibility test and the screenshots read)
through the app with Starlette's TestClient, ``--repeat`` times, and prints the median wall and
CPU milliseconds per page and its ratio to two floors measured in the same run: the bare floor,
a bare ASGI app (bench/floor_app.py) answering the dashboard's own HTML, precomputed (what the
test client and the ASGI round trip cost on their own), and the query floor, the raw DB-API
driver reading one page of the newest 20 items with their author and collection names and
orjson serializing them (the least database work any list page does). The issue's bar is under
50 ms per page.

    .venv/bin/python -m bench.admin_pages [--items N] [--repeat N] [--database-url URL]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from fastapi.testclient import TestClient
from tests.admin.main_pages import MAIN_PAGES

from bench.content_seed import COLLECTION, bench_context, seed
from bench.content_service_time import run_timed, timed
from bench.floor_app import make_app
from sonic_cms.api.app import create_app
from sonic_cms.auth.sessions import open_session
from sonic_cms.auth.users import create_user
from sonic_cms.content.lists import list_content
from sonic_cms.db.engine import Database

#: The pages the issue names; those not in MAIN_PAGES yet are listed as not measured.
ISSUE_PAGES = ("dashboard", "content-list", "editor", "media", "review-queue")


def getter(client: TestClient, path: str) -> Callable[[], Any]:
    """A GET of ``path`` that must answer 200 (a redirect or an error would time nothing)."""

    def call() -> None:
        answer = client.get(path, follow_redirects=False)
        if answer.status_code != 200:
            raise RuntimeError(f"GET {path}: {answer.status_code}")

    return call


def signed_in_client(db: Database) -> TestClient:
    """A client holding an administrator's access cookie."""
    ctx = bench_context(db)
    admin = create_user(
        ctx, email="bench-admin@example.com", username="bench-admin", password=None, role="admin"
    )
    with db.write() as conn:
        tokens = open_session(
            conn, db.settings, now_ms=ctx.clock.now_ms(), user_id=admin.id, role=admin.role
        )
    client = TestClient(create_app(db.settings, db=db))
    client.cookies.set("auth_token", tokens.access_token)
    return client


def query_floor(db: Database) -> Callable[[], Any]:
    """The raw driver reading a list page's rows (newest 20, joined to author and collection)
    and orjson serializing them: the database work of a page, with no app around it."""
    raw = db.engine.raw_connection()
    sql = (
        "SELECT c.id, c.title, c.slug, c.status, c.updated_at, u.email, k.display_name"
        " FROM content c JOIN users u ON u.id = c.author_id"
        " JOIN collections k ON k.id = c.collection_id"
        " ORDER BY c.updated_at DESC, c.id DESC LIMIT 20"
    )

    def call() -> None:
        cursor = raw.cursor()
        cursor.execute(sql)
        rows = cursor.fetchall()
        cursor.close()
        raw.commit()
        orjson.dumps([list(row) for row in rows])

    return call


def report(db: Database, items: int, repeat: int) -> None:
    """Seed ``items``, then print each main page's median server time next to the floor's."""
    seeded = seed(db, items, 5000)
    first = list_content(bench_context(db), [("limit", "1")], COLLECTION)["data"][0]
    print(f"{db.dialect}: {seeded.items:,} items; median of {repeat} GETs per page")
    with signed_in_client(db) as client, TestClient(client.app) as visitor:
        html = client.get("/admin").content
        with TestClient(make_app({b"/admin": html})) as bare:
            floor, floor_cpu = timed([getter(bare, "/admin")], repeat)
        print(f"{'floor (precomputed HTML)':28s} {floor:7.3f} ms {floor_cpu:7.3f} ms CPU")
        query, query_cpu = timed([query_floor(db)], repeat)
        print(f"{'query floor (raw driver)':28s} {query:7.3f} ms {query_cpu:7.3f} ms CPU")
        for page in MAIN_PAGES:
            path = page.path.format(item_id=first["id"], collection=COLLECTION)
            wall, cpu = timed([getter(client if page.signed_in else visitor, path)], repeat)
            label = f"{page.name} ({path})"[:28]
            ratios = f"{wall / floor:5.1f}x floor {wall / query:5.1f}x query floor"
            print(f"{label:28s} {wall:7.3f} ms {cpu:7.3f} ms CPU  {ratios}")
    measured = {page.name for page in MAIN_PAGES}
    missing = [name for name in ISSUE_PAGES if name not in measured]
    if missing:
        print("not measured yet (their pages have not landed): " + ", ".join(missing))


def main(argv: list[str] | None = None) -> None:
    """Seed a scratch database, then time the pages."""
    run_timed(argv, __doc__, report, items=10_000, repeat=50)


if __name__ == "__main__":
    main()
