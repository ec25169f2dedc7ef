"""One shape per resource (issue 14): every route that returns a content item, a media file, a
user, an API token, a schedule or a workflow entry answers with exactly the fields of that
resource's OpenAPI component, on SQLite and PostgreSQL.

The walk over the document finds every operation whose answer holds a representation (directly,
in a list, or beside SonicJS's envelope keys such as login's ``user`` or upload's ``file``); the
scenario calls each of them and compares the keys of each object with the component's fields.
A new route that returns a representation fails the coverage check until it is called here.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from sonic_cms.api.app import create_app
from sonic_cms.clock import FrozenClock
from sonic_cms.db.engine import Database
from tests.conftest import START_MS, make_settings
from tests.utils.auth import TEST_PASSWORD, create_random_user, headers_for, registration_body
from tests.utils.passwordless import code_in, request_mail
from tests.utils.smtp import Inbox, smtp_server

#: The representations, by component name.
REPRESENTATIONS = (
    "ContentItem",
    "MediaFile",
    "User",
    "ApiToken",
    "NewApiToken",
    "Schedule",
    "WorkflowEntry",
    "ContentAutosave",
)
#: A listed item is a content item (``fields=`` narrows it; this walk never sends ``fields=``).
ALIASES = {"ContentListItem": "ContentItem"}


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(out, format="PNG")
    return out.getvalue()


class _Png(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = _png()
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def origin() -> Iterator[str]:
    """A real HTTP server on loopback for ``POST /api/media/import``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Png)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _ref_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref") or schema.get("items", {}).get("$ref")
    if ref is None:
        for option in schema.get("anyOf", []):
            ref = option.get("$ref") or ref
    return ref.rsplit("/", 1)[-1] if ref else None


def returned_representations(spec: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    """``(METHOD, path)`` -> the representations its success answer holds at the top level of
    its envelope (``data``, ``user``, ``file``, ``uploaded``...)."""
    components = spec["components"]["schemas"]
    found: dict[tuple[str, str], set[str]] = {}
    for path, item in spec["paths"].items():
        for method, op in item.items():
            for status, answer in op.get("responses", {}).items():
                schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
                envelope = _ref_name(schema) if status.startswith("2") else None
                if envelope is None:
                    continue
                for name in _held(components, envelope, depth=2):
                    found.setdefault((method.upper(), path), set()).add(name)
    return found


def _held(components: dict[str, Any], component: str, depth: int) -> set[str]:
    """The representations ``component``'s properties hold, looking ``depth`` levels down
    (a bulk action's ``data`` is a list of results, each holding an item)."""
    held = set()
    for prop in components[component].get("properties", {}).values():
        name = _ref_name(prop)
        name = ALIASES.get(name or "", name)
        if name in REPRESENTATIONS:
            held.add(name)
        elif name is not None and depth > 1:
            held |= _held(components, name, depth - 1)
    return held


class Shapes:
    """Calls routes and checks each representation in the answer against its component."""

    def __init__(self, client: TestClient, spec: dict[str, Any], headers: dict[str, str]):
        self.client, self.spec, self.headers = client, spec, headers
        self.components = spec["components"]["schemas"]
        self.seen: dict[tuple[str, str], set[str]] = {}

    def fields(self, component: str, *optional: str) -> set[str]:
        """The component's required fields plus the optional ones this call asked for."""
        schema = self.components[component]
        declared = set(schema["properties"])
        assert set(optional) <= declared, (component, optional)
        return set(schema.get("required", [])) | set(optional)

    def call(
        self,
        method: str,
        url: str,
        template: str | None = None,
        *,
        expect: dict[str, tuple[str, ...]],
        options: tuple[str, ...] = (),
        **kw: Any,
    ) -> Any:
        """Send the request; ``expect`` maps envelope keys to (component, [component]) and
        each object found there must have exactly the component's fields (+ ``options``)."""
        kw.setdefault("headers", self.headers)
        response = self.client.request(method, url, **kw)
        assert response.status_code < 300, f"{method} {url}: {response.text[:300]}"
        body = response.json()
        for key, (component,) in expect.items():
            value = body
            for part in key.split("."):  # "data.item": the item of each result in data
                value = [v[part] for v in value] if isinstance(value, list) else value[part]
            objects = value if isinstance(value, list) else [value]
            assert objects, f"{method} {url}: {key} is empty, nothing checked"
            wanted = self.fields(component, *options)
            for obj in objects:
                assert set(obj) == wanted, (
                    f"{method} {url} {key}: extra {sorted(set(obj) - wanted)}, "
                    f"missing {sorted(wanted - set(obj))}"
                )
            path = template or url.split("?")[0]
            self.seen.setdefault((method.upper(), path), set()).add(component)
        return body


@pytest.fixture
def shapes(
    db_url: str, clock: FrozenClock, tmp_path: Path
) -> Iterator[tuple[Shapes, Inbox, Database]]:
    with smtp_server() as (inbox, port):
        settings = make_settings(
            db_url,
            media_local_dir=tmp_path / "media",
            registration_enabled=True,
            media_import_allow_loopback=True,
            mail_sender="smtp",
            smtp_host="127.0.0.1",
            smtp_port=port,
            locales="en,fr",
        )
        db = Database(settings)
        app = create_app(settings, db=db, clock=clock)
        with TestClient(app) as client:
            admin = create_random_user(db, clock, "admin")
            headers = headers_for(db, settings, clock, admin)
            yield Shapes(client, app.openapi(), headers), inbox, db
        db.dispose()


ITEM = {"data": ("ContentItem",)}
#: Reads (not writes, not ``as_of``) show the item's approved comment count (issue 18).
READ = ("comments",)
MEDIA = {"data": ("MediaFile",)}
USER = {"data": ("User",)}
ME = {"user": ("User",)}
SCHEDULE = {"data": ("Schedule",)}


def _content_routes(s: Shapes, clock: FrozenClock, image_id: str) -> None:
    schema = {
        "type": "object",
        "properties": {"body": {"type": "string"}, "cover": {"type": "media"}},
    }
    col = s.client.post(
        "/admin/api/collections",
        json={"name": "posts", "display_name": "Posts", "schema": schema},
        headers=s.headers,
    ).json()["data"]
    body = {"collectionId": col["id"], "title": "Hello", "data": {"body": "x", "cover": image_id}}
    item = s.call("POST", "/api/content", expect=ITEM, json=body)["data"]
    one, many = f"/api/content/{item['id']}", "/api/content/{item_id}"
    s.call(
        "POST",
        "/api/collections/posts/content",
        "/api/collections/{name}/content",
        expect=ITEM,
        json={"title": "Two", "data": {"body": "y"}, "status": "published"},
    )
    s.call("GET", one, many, expect=ITEM, options=READ)
    by_slug = f"/api/collections/posts/content/{item['slug']}"
    s.call("GET", by_slug, "/api/collections/{name}/content/{slug}", expect=ITEM, options=READ)
    s.call("GET", f"{one}?include=author", many, expect=ITEM, options=(*READ, "author"))
    clock.advance(1000)
    s.call("PUT", one, many, expect=ITEM, json={"title": "Hello 2"})
    s.call("POST", f"{one}/publish", many + "/publish", expect=ITEM)
    s.call("POST", f"{one}/unpublish", many + "/unpublish", expect=ITEM)
    s.call("POST", f"{one}/rollback", many + "/rollback", expect=ITEM, json={"version": 1})
    bulk = {"action": "unpublish", "ids": [item["id"]]}
    s.call("POST", "/api/content/bulk", expect={"data.item": ("ContentItem",)}, json=bulk)
    copy, autosave = {"data": ("ContentAutosave",)}, many + "/autosave"
    s.call("PUT", f"{one}/autosave", autosave, expect=copy, json={"title": "Typing"})
    s.call("GET", f"{one}/autosave", autosave, expect=copy)
    time_travel = ("version", "as_of")
    s.call("GET", f"{one}?as_of={START_MS}", many, expect=ITEM, options=time_travel)
    restore = f"{one}/restore?as_of={START_MS}"
    s.call("POST", restore, many + "/restore", expect=ITEM, options=time_travel)
    s.call("GET", "/api/content", expect=ITEM, options=READ)
    localised = ("locale", "translationGroupId")
    translations = many + "/translations"
    body = {"locale": "fr", "title": "Bonjour"}
    s.call("POST", f"{one}/translations", translations, expect=ITEM, options=localised, json=body)
    s.call("GET", f"{one}?locale=fr", many, expect=ITEM, options=localised + READ)
    s.call("GET", "/api/content?locale=fr", "/api/content", expect=ITEM, options=("locale", *READ))
    lists = "/api/collections/{name}/content"
    s.call("GET", "/api/collections/posts/content", lists, expect=ITEM, options=READ)
    included = s.call(
        "GET",
        "/api/content?include=author,collection,featured_image",
        "/api/content",
        expect=ITEM,
        options=(*READ, "author", "collection", "featured_image"),
    )
    images = [i["featured_image"] for i in included["data"] if i["featured_image"]]
    assert images and all(set(i) == s.fields("MediaFile") for i in images)  # embedded = media
    at = START_MS + 86_400_000
    schedule_url, schedule_tpl = f"{one}/schedule", "/api/content/{content_id}/schedule"
    sched = s.call(
        "POST",
        schedule_url,
        schedule_tpl,
        expect=SCHEDULE,
        json={"action": "publish", "scheduled_at": at},
    )["data"]
    s.call("GET", f"{one}/schedules", "/api/content/{content_id}/schedules", expect=SCHEDULE)
    s.call("GET", "/api/schedules", expect=SCHEDULE)
    s.call(
        "DELETE", f"/api/schedules/{sched['id']}", "/api/schedules/{schedule_id}", expect=SCHEDULE
    )
    s.call(
        "GET",
        f"{one}/history",
        "/api/content/{content_id}/history",
        expect={"data": ("WorkflowEntry",)},
    )


def _media_routes(s: Shapes, origin: str) -> str:
    png = _png()
    upload = {"file": ("MediaFile",), "uploaded": ("MediaFile",)}
    up = s.call(
        "POST", "/api/media/upload", expect=upload, files={"file": ("a.png", png, "image/png")}
    )
    mid = up["file"]["id"]
    s.call(
        "POST",
        "/api/media/upload-multiple",
        expect={"uploaded": ("MediaFile",)},
        files=[("files", ("b.png", png, "image/png"))],
    )
    s.call("POST", "/api/media/import", expect=upload, json={"url": origin + "/c.png"})
    s.call("GET", "/api/media", expect=MEDIA)
    one, many = f"/api/media/{mid}", "/api/media/{media_id}"
    s.call("GET", one, many, expect=MEDIA)
    s.call("PATCH", one, many, expect={"file": ("MediaFile",)}, json={"caption": "c"})
    doomed = s.call(
        "POST", "/api/media/upload", expect=upload, files={"file": ("d.png", png, "image/png")}
    )["file"]["id"]
    s.client.delete(f"/api/media/{doomed}", headers=s.headers)
    s.call(
        "POST", f"/api/media/{doomed}/restore", many + "/restore", expect={"file": ("MediaFile",)}
    )
    return str(mid)


def _user_routes(s: Shapes, inbox: Inbox) -> None:
    admin_users = "/admin/api/users"
    created = s.call(
        "POST",
        admin_users,
        expect=USER,
        json={
            "email": "u1@example.com",
            "username": "user_one",
            "role": "author",
            "firstName": "Una",
            "lastName": "One",
            "password": TEST_PASSWORD,
        },
    )["data"]
    one, many = f"{admin_users}/{created['id']}", admin_users + "/{user_id}"
    s.call("GET", admin_users, expect=USER)
    s.call("GET", one, many, expect=USER)
    s.call("PATCH", one, many, expect=USER, json={"firstName": "Uno"})
    s.call("PUT", one, many, expect=USER, json={"last_name": "Uno"})
    s.call("GET", "/auth/me", expect=ME)
    s.call("PATCH", "/auth/me", expect=ME, json={"bio": "hi"})
    s.call("PUT", "/auth/me", expect=ME, json={"firstName": "Ada"})
    signed = {"user": ("User",)}
    s.call(
        "POST",
        "/auth/login",
        expect=signed,
        headers={},
        json={"email": "u1@example.com", "password": TEST_PASSWORD},
    )
    s.call(
        "POST",
        "/auth/register",
        expect=signed,
        headers={},
        json=registration_body("new@example.com", "newbie"),
    )
    s.call(
        "POST",
        "/admin/api/users/invite",
        expect=USER,
        json={"email": "inv@example.com", "role": "editor", "firstName": "In"},
    )
    token = inbox.last_token("/auth/accept-invitation")
    s.call(
        "POST",
        "/auth/accept-invitation",
        expect=signed,
        headers={},
        json={"token": token, "password": TEST_PASSWORD},
    )
    s.call(
        "POST",
        "/auth/change-email",
        expect={},
        json={"email": "moved@example.com", "password": TEST_PASSWORD},
    )
    moved = inbox.last_token("/admin/confirm-email")
    s.call("POST", "/auth/confirm-email-change", expect=USER, headers={}, json={"token": moved})
    s.call("POST", f"{one}/deactivate", many + "/deactivate", expect=USER)
    s.call(
        "POST",
        "/api/tokens",
        expect={"data": ("NewApiToken",)},
        json={"name": "ci", "permissions": ["content.read"]},
    )
    s.call("GET", "/api/tokens", expect={"data": ("ApiToken",)})


def _passwordless_routes(s: Shapes, inbox: Inbox) -> None:
    """The built-in sign-in plugins answer the same ``User`` as password sign-in."""
    for plugin in ("otp-login", "magic-link-auth"):
        for step in ("install", "activate"):
            s.client.post(f"/admin/api/plugins/{plugin}/{step}", headers=s.headers)
    email, signed = "new@example.com", {"user": ("User",)}
    code = code_in(request_mail(s.client, inbox, "/auth/otp/request", email))
    body = {"email": email, "code": code}
    s.call("POST", "/auth/otp/verify", expect=signed, headers={}, json=body)
    verify = "/auth/magic-link/verify"
    for method in ("GET", "POST"):
        request_mail(s.client, inbox, "/auth/magic-link/request", email)
        token = inbox.last_token(verify)
        kw: dict[str, Any] = {"params": {"token": token}} if method == "GET" else {}
        kw |= {"json": {"token": token}} if method == "POST" else {}
        s.call(method, verify, expect=signed, headers={}, **kw)


def test_every_route_returns_exactly_its_representation(
    shapes: tuple[Shapes, Inbox, Database], clock: FrozenClock, origin: str
):
    s, inbox, _ = shapes
    image_id = _media_routes(s, origin)
    _content_routes(s, clock, image_id)
    _user_routes(s, inbox)
    _passwordless_routes(s, inbox)
    documented = returned_representations(s.spec)
    assert {n for names in documented.values() for n in names} == set(REPRESENTATIONS)
    missing = {route: names for route, names in documented.items() if route not in s.seen}
    assert missing == {}, "routes returning a representation that this test never called"
    for route, names in s.seen.items():
        assert names <= documented.get(route, set()), (
            f"{route} is documented with {documented.get(route)}"
        )


def test_each_representation_is_declared_once(shapes: tuple[Shapes, Inbox, Database]):
    """No second model repeats a representation under another name (the ImageRef,
    ContentRecord and AuthUser of before issue 14)."""
    s, _, _ = shapes
    components = s.components
    for retired in ("ContentRecord", "ContentRecordEnvelope", "ImageRef", "AuthUser", "MediaItem"):
        assert retired not in components
    signatures: dict[frozenset[str], str] = {}
    for name in REPRESENTATIONS:
        key = frozenset(components[name]["properties"])
        assert key not in signatures, (name, signatures.get(key))
        signatures[key] = name
