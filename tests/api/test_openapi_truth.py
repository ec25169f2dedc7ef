"""/openapi.json tells the truth: every answer documented with its real model, errors with the
error envelope, security per route, and /docs and /redoc served without a CDN.

The walk over the document fails for any new route that documents a JSON answer without a
schema; the scenario calls real routes on SQLite and PostgreSQL and validates each body against
the schema the document gives for that operation and status.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from PIL import Image

from sonic_cms.api.app import create_app
from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from tests.conftest import START_MS, make_settings
from tests.utils.auth import create_random_user, headers_for, registration_body

VENDOR = Path(__file__).resolve().parents[2] / "src" / "sonic_cms" / "api" / "static" / "vendor"
METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return create_app(make_settings("sqlite:///:memory:")).openapi()


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


# -- the document's shape -------------------------------------------------------------------


def test_no_json_answer_is_a_string_or_schemaless(spec: dict[str, Any]):
    problems = []
    for path, method, op in operations(spec):
        for status, answer in op["responses"].items():
            for media_type, content in answer.get("content", {}).items():
                if not _is_json(media_type):
                    continue
                schema = content.get("schema")
                where = f"{method.upper()} {path} {status}"
                if not schema:
                    problems.append(f"{where}: no schema")
                elif schema.get("type") == "string":
                    problems.append(f"{where}: documented as a string")
                elif status.startswith("2") and not ({"$ref", "properties"} & schema.keys()):
                    problems.append(f"{where}: no model ({schema})")
    assert problems == []


def test_every_operation_documents_a_success_answer(spec: dict[str, Any]):
    missing = [
        f"{method.upper()} {path}"
        for path, method, op in operations(spec)
        if not any(status.startswith("2") for status in op["responses"])
    ]
    assert missing == []


#: Health routes answer their own report when unhealthy (SonicJS's shapes), not the envelope;
#: /health/ready answers the envelope with every check's result beside it (NotReady).
HEALTH_REPORTS = {
    ("/health", "503"),
    ("/health/ready", "503"),
    ("/api/system/health", "503"),
    ("/api/system/ping", "503"),
}


def test_errors_are_the_error_envelope(spec: dict[str, Any]):
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    wrong = []
    for path, method, op in operations(spec):
        for status, answer in op["responses"].items():
            json_content = answer.get("content", {}).get("application/json")
            own_body = (path, status) in HEALTH_REPORTS  # the health report itself
            is_error = status[0] in "45" and json_content is not None and not own_body
            if is_error and json_content["schema"] != {"$ref": "#/components/schemas/ErrorBody"}:
                wrong.append(f"{method.upper()} {path} {status}")
        assert {"400", "422", "500"} <= op["responses"].keys(), f"{method} {path}"
    assert wrong == []


def test_security_schemes_are_declared(spec: dict[str, Any]):
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert schemes["apiToken"]["scheme"] == "bearer"
    assert schemes["cookieAuth"] == {**schemes["cookieAuth"], "in": "cookie", "name": "auth_token"}


def _security(spec: dict[str, Any], method: str, path: str) -> list[dict[str, Any]] | None:
    security: list[dict[str, Any]] | None = spec["paths"][path][method].get("security")
    return security


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("get", "/api/content", "optional"),
        ("get", "/api/collections/{name}", "optional"),
        ("get", "/api/plugins/faq/", "optional"),
        ("post", "/auth/logout", "optional"),
        ("post", "/api/content", "required"),
        ("get", "/admin/api/users", "required"),
        ("get", "/api/media", "required"),
        ("get", "/auth/me", "required"),
        ("post", "/auth/login", "none"),
        ("get", "/health", "none"),
        ("get", "/files/{key}", "none"),
    ],
)
def test_security_follows_how_the_route_gets_its_actor(
    spec: dict[str, Any], method: str, path: str, expected: str
):
    security = _security(spec, method, path)
    schemes = [{"bearerAuth": []}, {"apiToken": []}, {"cookieAuth": []}]
    if expected == "none":
        assert security is None
    elif expected == "optional":
        assert security == [{}, *schemes]
    else:
        assert security == schemes


def test_routes_documented_as_needing_auth_refuse_anonymous_callers(
    spec: dict[str, Any], client: TestClient
):
    """Every GET without path or required query parameters that the document says needs
    credentials answers 401 to a caller without any."""
    checked = 0
    for path, method, op in operations(spec):
        params = op.get("parameters", [])
        if method != "get" or "{" in path or any(p.get("required") for p in params):
            continue
        security = op.get("security")
        if security is None or {} in security:
            continue
        response = client.get(path)
        assert response.status_code == 401, f"GET {path}: {response.status_code}"
        checked += 1
    assert checked >= 15


# -- the documented schemas against real answers ----------------------------------------------


class Checker:
    """Calls routes and validates every answer against the document."""

    def __init__(self, client: TestClient, spec: dict[str, Any], headers: dict[str, str]):
        self.client, self.spec, self.headers = client, spec, headers
        self.checked: set[tuple[str, str]] = set()

    def call(self, method: str, url: str, template: str | None = None, **kw: Any) -> Any:
        """Send the request; fail unless the body matches the schema documented for it."""
        kw.setdefault("headers", self.headers)
        response: httpx.Response = self.client.request(method, url, **kw)
        path = template or url.split("?")[0]
        self.validate(method.lower(), path, response)
        self.checked.add((method.upper(), path))
        return response.json()

    def validate(self, method: str, path: str, response: httpx.Response) -> None:
        where = f"{method.upper()} {path} -> {response.status_code}: {response.text[:300]}"
        assert response.status_code < 500, where
        answers = self.spec["paths"][path][method]["responses"]
        answer = answers.get(str(response.status_code))
        assert answer is not None, f"undocumented status: {where}"
        media_type = response.headers["content-type"].split(";")[0]
        schema = answer["content"][media_type]["schema"]
        validator = Draft202012Validator({**schema, "components": self.spec["components"]})
        errors = [
            f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(response.json())
        ]
        assert errors == [], where


@pytest.fixture
def media_settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, media_local_dir=tmp_path / "media", registration_enabled=True)


@pytest.fixture
def checker(
    media_settings: Settings, clock: FrozenClock, spec: dict[str, Any]
) -> Iterator[tuple[Checker, Database, FrozenClock]]:
    db = Database(media_settings)
    app = create_app(media_settings, db=db, clock=clock)
    with TestClient(app) as client:
        admin = create_random_user(db, clock, "admin")
        yield Checker(client, spec, headers_for(db, media_settings, clock, admin)), db, clock
    db.dispose()


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(out, format="PNG")
    return out.getvalue()


def test_content_answers_match_their_schemas(checker: tuple[Checker, Database, FrozenClock]):
    c, _, clock = checker
    c.call("GET", "/health", headers={})
    schema = {"type": "object", "properties": {"body": {"type": "string"}}}
    col = c.call(
        "POST",
        "/admin/api/collections",
        json={"name": "posts", "display_name": "Posts", "schema": schema},
    )["data"]
    c.call("GET", "/admin/api/collections")
    c.call(
        "PATCH",
        f"/admin/api/collections/{col['id']}",
        "/admin/api/collections/{key}",
        json={"description": "d"},
    )
    c.call("GET", "/api/collections", headers={})
    c.call("GET", "/api/collections/posts", "/api/collections/{name}", headers={})
    body = {"collectionId": col["id"], "title": "Hello", "data": {"body": "x"}}
    item = c.call("POST", "/api/content", json=body)["data"]
    one, many = f"/api/content/{item['id']}", "/api/content/{item_id}"
    c.call(
        "POST",
        "/api/collections/posts/content",
        "/api/collections/{name}/content",
        json={"title": "Two", "data": {"body": "y"}, "status": "published"},
    )
    c.call("GET", "/api/collections/posts/content", "/api/collections/{name}/content")
    c.call("GET", "/api/content?include=author,collection,featured_image", "/api/content")
    c.call("GET", "/api/content?fields=title", "/api/content", headers={})
    c.call("GET", f"/api/content/check-slug?collectionId={col['id']}&slug=zz")
    c.call("GET", one, many)
    clock.advance(1000)
    c.call("PUT", one, many, json={"title": "Hello 2"})
    c.call("POST", f"{one}/publish", many + "/publish")
    c.call("POST", f"{one}/unpublish", many + "/unpublish")
    c.call("GET", f"{one}/versions", many + "/versions")
    c.call("GET", f"{one}/versions/1", many + "/versions/{number}")
    c.call("GET", f"{one}/versions/diff?from=1&to=2", many + "/versions/diff")
    c.call("POST", f"{one}/rollback", many + "/rollback", json={"version": 1})
    c.call("GET", f"{one}?as_of={START_MS}", many)
    c.call("POST", f"{one}/restore?as_of={START_MS}", many + "/restore")
    c.call("GET", "/admin/api/stats")
    c.call("GET", f"/api/content/{item['id']}/transitions", "/api/content/{content_id}/transitions")
    c.call("GET", f"/api/content/{item['id']}/history", "/api/content/{content_id}/history")
    c.call("GET", "/api/workflow/queue")
    c.call("GET", "/admin/api/workflows")
    c.call("GET", "/admin/api/workflow/states")
    c.call(
        "POST",
        f"/api/content/{item['id']}/schedule",
        "/api/content/{content_id}/schedule",
        json={"action": "publish", "scheduled_at": START_MS + 86_400_000},
    )
    c.call("GET", "/api/schedules")
    c.call("GET", "/api/content/missing", many)  # 404: the error envelope
    c.call("DELETE", one, many)
    assert len(c.checked) >= 25


def test_media_user_and_admin_answers_match_their_schemas(
    checker: tuple[Checker, Database, FrozenClock],
):
    c, _, _ = checker
    png = _png()
    up = c.call(
        "POST",
        "/api/media/upload",
        files={"file": ("a.png", png, "image/png")},
        data={"alt": "A", "tags": "x,y"},
    )
    mid = up["file"]["id"]
    c.call(
        "POST",
        "/api/media/upload-multiple",
        files=[("files", ("b.png", png, "image/png")), ("files", ("c.exe", b"MZ", "x/y"))],
    )
    c.call("GET", "/api/media")
    c.call("GET", "/api/media/stats")
    c.call("GET", "/api/media/folders")
    c.call("GET", f"/api/media/{mid}", "/api/media/{media_id}")
    c.call("PATCH", f"/api/media/{mid}", "/api/media/{media_id}", json={"caption": "c"})
    c.call("POST", "/api/media/bulk-move", json={"fileIds": [mid, "nope"], "folder": "pics"})
    c.call("DELETE", f"/api/media/{mid}", "/api/media/{media_id}")
    user = c.call(
        "POST",
        "/admin/api/users",
        json={"email": "u1@example.com", "username": "user_one", "role": "author"},
    )
    c.call("GET", "/admin/api/users")
    c.call("GET", f"/admin/api/users/{user['data']['id']}", "/admin/api/users/{user_id}")
    c.call("GET", "/admin/api/permissions")
    c.call("GET", "/admin/api/roles")
    c.call("POST", "/api/tokens", json={"name": "ci", "permissions": ["content.read"]})
    c.call("GET", "/api/tokens")
    c.call("GET", "/auth/me")
    c.call("GET", "/auth/sessions")
    c.call(
        "POST",
        "/auth/register",
        headers={},
        json=registration_body("new@example.com", "newbie"),
    )
    c.call("GET", "/admin/api/plugins")
    c.call("POST", "/admin/api/plugins/faq/install", "/admin/api/plugins/{name}/install")
    c.call("POST", "/admin/api/plugins/faq/activate", "/admin/api/plugins/{name}/activate")
    settings = "/admin/api/plugins/{name}/settings"
    c.call("PUT", "/admin/api/plugins/faq/settings", settings, json={})
    c.call("POST", "/api/plugins/faq/", json={"question": "Why?", "answer": "Because."})
    c.call("POST", "/auth/login", headers={}, json={"email": "x@example.com", "password": "no"})
    c.call("GET", "/api/plugins/faq/", headers={})
    c.client.app.state.ctx.logs.flush()  # the request log is written by a background thread
    logs = c.call("GET", "/admin/api/logs")
    c.call("GET", f"/admin/api/logs/{logs['data'][0]['id']}", "/admin/api/logs/{log_id}")
    c.call("GET", "/admin/api/logs/config")
    c.call("GET", "/admin/cache/stats")
    c.call("POST", "/admin/cache/invalidate", json={"pattern": "content:*"})
    c.call("GET", "/admin/api/users?bogus=1", "/admin/api/users")  # 400: the error envelope
    assert len(c.checked) >= 28


# -- /docs and /redoc without a CDN ----------------------------------------------------------

_URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\s*:\s*["']([^"']+)["']""")
_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_only_from_this_server(page: str):
    with TestClient(create_app(make_settings("sqlite:///:memory:"))) as client:
        html = client.get(page)
        assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
        assert "http://" not in html.text and "https://" not in html.text
        # the bundles themselves may name other hosts (ReDoc's logo): the browser is told not to go
        policy = html.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "img-src 'self' data:" in policy
        urls = [a or b for a, b in _URL.findall(html.text)]
        assets = [u for u in urls if Path(u).suffix in _TYPES]
        assert len(assets) >= (3 if page == "/docs" else 2) and "/openapi.json" in html.text
        for url in urls:
            assert url.startswith("/") and not url.startswith("//"), url
        for url in assets:
            answer = client.get(url)
            assert answer.status_code == 200, url
            assert answer.headers["content-type"].startswith(_TYPES[Path(url).suffix]), url
            assert len(answer.content) > 500, url


@pytest.mark.parametrize("package", ["swagger-ui", "redoc"])
def test_vendored_assets_keep_their_licenses(package: str):
    assert (VENDOR / package / "LICENSE").stat().st_size > 500
