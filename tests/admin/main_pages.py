"""The admin's main pages, in one place, and a small sample site to show them with.

Three consumers read :data:`MAIN_PAGES`: the accessibility test (axe-core on every page at
both widths, tests/admin/test_accessibility.py), the screenshots (`make screenshots`,
tests/admin/screenshots.py) and the page-time benchmark (bench/admin_pages.py). A page is
added here once, when it lands, and all three pick it up.

Paths may hold ``{item_id}`` (an item of the sample site with several versions) and
``{collection}`` (the collection the page is about: ``news`` in the sample site).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import httpx
from PIL import Image

from sonic_cms.auth import api_tokens
from sonic_cms.auth.authentication import actor_for_user
from sonic_cms.auth.users import create_user
from sonic_cms.clock import Clock
from sonic_cms.content import collections, items
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.extensions import lifecycle
from sonic_cms.plugins.registry import discover
from sonic_cms.workflow import edits, scheduling, transitions
from tests.utils.auth import TEST_PASSWORD, system_context


@dataclass(frozen=True)
class MainPage:
    """One main page: a short name (test id, screenshot file stem) and its path."""

    name: str
    path: str
    signed_in: bool = True

    def url(self, site: SampleSite, collection: str = "news") -> str:
        """The path with the sample site's ids filled in."""
        return self.path.format(item_id=site.item_id, collection=collection)


MAIN_PAGES: tuple[MainPage, ...] = (
    MainPage("login", "/admin/login", signed_in=False),
    MainPage("forgot-password", "/admin/forgot-password", signed_in=False),
    MainPage("dashboard", "/admin"),
    MainPage("content-list", "/admin/content?collection={collection}"),
    MainPage("editor-new", "/admin/content/new?collection={collection}"),
    MainPage("editor", "/admin/content/{item_id}/edit"),
    MainPage("versions", "/admin/content/{item_id}/versions"),
    MainPage("review-queue", "/admin/workflow"),
    MainPage("comments", "/admin/comments"),
    MainPage("media", "/admin/media"),
    MainPage("users", "/admin/users"),
    MainPage("roles", "/admin/roles"),
    MainPage("profile", "/admin/profile"),
    MainPage("collections", "/admin/collections"),
    MainPage("schema-editor", "/admin/collections/{collection}"),
    MainPage("api-tokens", "/admin/api-tokens"),
    MainPage("plugins", "/admin/plugins"),
    MainPage("logs", "/admin/logs"),
    MainPage("cache", "/admin/cache"),
    MainPage("settings", "/admin/settings"),
    MainPage("database", "/admin/database"),
    MainPage("webhooks", "/admin/webhooks"),
)
WIDTHS = (360, 1440)

NEWS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "summary": {"type": "textarea", "title": "Summary", "maxLength": 500},
        "body": {"type": "quill", "title": "Body"},
        "category": {"type": "select", "title": "Category", "enum": ["news", "feature", "notice"]},
        "tags": {"type": "multiselect", "title": "Tags", "enum": ["harbour", "city", "people"]},
        "image": {"type": "media", "title": "Image"},
        "publishedAt": {"type": "datetime", "title": "Published at"},
    },
}
HEADLINES = (
    ("Spring launch notes", "published"),
    ("Quarterly report: readers up 12%", "published"),
    ("Meet the new editorial team", "published"),
    ("Style guide, second edition", "draft"),
    ("Interview with the harbour master", "draft"),
    ("Winter schedule changes", "archived"),
)


@dataclass(frozen=True)
class SampleSite:
    """Who signs in and what there is to look at."""

    admin_email: str
    editor_email: str
    author_email: str
    item_id: str


def _acting(db: Database, clock: Clock, user_id: str) -> Context:
    system = system_context(db, clock)
    return system.acting_as(actor_for_user(system, user_id))


def seed_sample_site(db: Database, clock: Clock, suffix: str = "") -> SampleSite:
    """Three collections, items in every status (draft, in review, scheduled, published,
    archived), an edited item with versions; an admin, an editor and an author, all with the
    password ``TEST_PASSWORD``. Media need a running server: :func:`upload_sample_media`."""
    system = system_context(db, clock)
    people = {
        role: create_user(
            system,
            email=f"{role}{suffix}@example.com",
            username=f"{role}{suffix}",
            password=TEST_PASSWORD,
            role=role,
            first_name=first,
            last_name=last,
        )
        for role, (first, last) in {
            "admin": ("Ada", "Admin"),
            "editor": ("Eddie", "Editor"),
            "author": ("Aurora", "Author"),
        }.items()
    }
    admin = _acting(db, clock, people["admin"].id)
    author = _acting(db, clock, people["author"].id)
    news = _collection(admin, "news", "News", NEWS_SCHEMA)
    pages = _collection(admin, "pages", "Pages", NEWS_SCHEMA)
    events = _collection(admin, "events", "Events", NEWS_SCHEMA)
    created = [
        _item(admin, news["id"], title, status, n) for n, (title, status) in enumerate(HEADLINES)
    ]
    for n, title in enumerate(("About us", "Contact", "Privacy policy")):
        _item(admin, pages["id"], title, "published", 10 + n)
    launch = _item(admin, events["id"], "Summer open day", "draft", 20)
    when = clock.now_ms() + 3 * 86_400_000
    scheduling.schedule(admin, launch["id"], {"action": "publish", "scheduled_at": when})
    for title in ("Opening hours over the holidays", "Volunteers wanted"):
        submitted = _item(author, news["id"], title, "draft", 30)
        transitions.transition(author, submitted["id"], "pending-review", "Ready for a look")
    first = created[0]
    for n, summary in enumerate(("A first edit of the summary.", "A second, shorter edit.")):
        revised = {"summary": summary, "body": f"Revision {n + 2}."}
        edits.update_item(admin, first["id"], {"data": revised})
    _operations_samples(admin)
    return SampleSite(
        people["admin"].email, people["editor"].email, people["author"].email, first["id"]
    )


def _operations_samples(admin: Context) -> None:
    """For the operations pages: two API tokens, one plugin installed with its settings."""
    api_tokens.create_token(admin, name="Deploy bot", permissions=["content.read"])
    api_tokens.create_token(
        admin,
        name="Nightly export",
        permissions=["content.read", "media.read"],
        expires_at=admin.clock.now_ms() + 30 * 86_400_000,
    )
    lifecycle.install(admin, discover(), "otp-login")


def _collection(ctx: Context, name: str, display: str, schema: dict[str, Any]) -> dict[str, Any]:
    body = {"name": name, "display_name": display, "schema": schema}
    return collections.create_collection(ctx, body)


def _item(ctx: Context, collection_id: str, title: str, status: str, n: int) -> dict[str, Any]:
    data = {"summary": f"{title}: a short summary for the list.", "body": f"Text of item {n}."}
    body = {"collectionId": collection_id, "title": title, "data": data, "status": status}
    return items.create_item(ctx, body)


def sample_png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    """A small solid-colour PNG with a lighter band, so thumbnails look like pictures."""
    image = Image.new("RGB", (width, height), colour)
    r, g, b = (min(255, c + 60) for c in colour)
    image.paste((r, g, b), (0, height // 3, width, height // 2))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def upload_sample_media(server_url: str, email: str) -> int:
    """Upload three images through the running server's media API; how many it took."""
    with httpx.Client(base_url=server_url, timeout=30) as client:
        login = client.post("/auth/login", json={"email": email, "password": TEST_PASSWORD})
        login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        pictures = (
            ("harbour.png", (40, 90, 140), "photos"),
            ("meadow.png", (60, 130, 70), "photos"),
            ("logo.png", (150, 60, 90), "brand"),
        )
        for name, colour, folder in pictures:
            answer = client.post(
                "/api/media/upload",
                headers=headers,
                files={"file": (name, sample_png(640, 400, colour), "image/png")},
                data={"folder": folder},
            )
            answer.raise_for_status()
    return len(pictures)
