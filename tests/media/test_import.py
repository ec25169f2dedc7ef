"""URL import: a real HTTP server on 127.0.0.1, refused by default, reachable with the knob."""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient

from sonic_cms.api.app import create_app
from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from sonic_cms.inputs.addresses import address_allowed
from sonic_cms.storage import Storage
from tests.media.helpers import image_bytes, media_count, stored_keys
from tests.utils.auth import bearer_headers

PNG = image_bytes(120, 90)


class _Handler(BaseHTTPRequestHandler):
    """``/img.png``, ``/hop/N`` (N redirects to /img.png), ``/to?u=...``, ``/big``, ``/404``."""

    def do_GET(self) -> None:
        path = self.path
        if path.startswith("/hop/"):
            remaining = int(path.rsplit("/", 1)[1])
            self._redirect("/img.png" if remaining == 0 else f"/hop/{remaining - 1}")
        elif path.startswith("/to?u="):
            self._redirect(path.removeprefix("/to?u="))
        elif path == "/img.png":
            self._send(PNG, {"Content-Type": "image/png"})
        elif path == "/named":
            self._send(PNG, {"Content-Disposition": 'attachment; filename="from header.png"'})
        elif path == "/big":
            self._send(b"a" * 2_000_001, {"Content-Type": "text/plain"})
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(200)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    """A real HTTP server on a free loopback port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def loopback_client(
    media_settings: Settings, media_db: Database, clock: FrozenClock, media_storage: Storage
) -> Iterator[TestClient]:
    """The app with SONIC_MEDIA_IMPORT_ALLOW_LOOPBACK=true (the test/development knob)."""
    settings = media_settings.model_copy(update={"media_import_allow_loopback": True})
    app = create_app(settings, db=media_db, clock=clock, storage=media_storage)
    with TestClient(app) as client:
        yield client


def _import(client: TestClient, headers: dict[str, str], url: str) -> object:
    return client.post("/api/media/import", headers=headers, json={"url": url, "alt": "Imported"})


def test_loopback_is_refused_by_default(
    media_client: TestClient, media_db: Database, media_settings: Settings,
    clock: FrozenClock, media_storage: Storage, origin: str,
):  # fmt: skip
    headers = bearer_headers(media_db, media_settings, clock, "author")
    response = media_client.post(
        "/api/media/import", headers=headers, json={"url": origin + "/img.png"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "url_not_allowed"
    assert media_count(media_db) == 0 and stored_keys(media_storage) == []


def test_import_with_the_loopback_knob(
    loopback_client: TestClient, media_db: Database, media_settings: Settings,
    clock: FrozenClock, origin: str,
):  # fmt: skip
    headers = bearer_headers(media_db, media_settings, clock, "author")
    response = loopback_client.post(
        "/api/media/import", headers=headers,
        json={"url": origin + "/hop/2", "alt": "Imported", "folder": "imports"},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    item = response.json()["file"]
    assert (item["mimeType"], item["width"], item["height"]) == ("image/png", 120, 90)
    assert (item["originalName"], item["alt"], item["folder"]) == ("img.png", "Imported", "imports")
    assert loopback_client.get(item["publicUrl"]).content == PNG
    named = loopback_client.post(
        "/api/media/import", headers=headers, json={"url": origin + "/named"}
    )
    assert named.json()["file"]["originalName"] == "from header.png"


IMPORT_REFUSALS = [
    ("/hop/3", 400, "too_many_redirects"),
    ("/big", 413, "file_too_large"),
    ("/404", 400, "import_failed"),
    ("/to?u=http://169.254.169.254/latest/meta-data/", 400, "url_not_allowed"),
    ("/to?u=http://10.0.0.1/", 400, "url_not_allowed"),
    ("/to?u=http://[::ffff:192.168.0.1]/", 400, "url_not_allowed"),
    ("/to?u=file:///etc/passwd", 400, "invalid_url"),
]


@pytest.mark.parametrize(("path", "status", "code"), IMPORT_REFUSALS)
def test_import_refusals_leave_nothing(
    loopback_client: TestClient, media_db: Database, media_settings: Settings,
    clock: FrozenClock, media_storage: Storage, origin: str, path: str, status: int, code: str,
):  # fmt: skip
    headers = bearer_headers(media_db, media_settings, clock, "author")
    response = loopback_client.post(
        "/api/media/import", headers=headers, json={"url": origin + path}
    )
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert media_count(media_db) == 0 and stored_keys(media_storage) == []


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://example.com/a.png", "invalid_url"),
        ("file:///etc/passwd", "invalid_url"),
        ("http://user:pw@example.com/a.png", "invalid_url"),
        ("not a url", "invalid_url"),
        ("http://0.0.0.0/", "url_not_allowed"),
        ("http://[::1]/", "url_not_allowed"),
        ("http://localhost/", "url_not_allowed"),
        ("http://169.254.169.254/latest/meta-data/", "url_not_allowed"),
    ],
)
def test_urls_refused_before_any_connection(
    media_client: TestClient, media_db: Database, media_settings: Settings,
    clock: FrozenClock, url: str, code: str,
):  # fmt: skip
    headers = bearer_headers(media_db, media_settings, clock, "author")
    response = media_client.post("/api/media/import", headers=headers, json={"url": url})
    assert response.status_code == 400, response.text
    assert response.json()["code"] == code


def test_viewer_may_not_import(
    media_client: TestClient, media_db: Database, media_settings: Settings, clock: FrozenClock
):
    headers = bearer_headers(media_db, media_settings, clock, "viewer")
    response = media_client.post("/api/media/import", headers=headers, json={"url": "http://x/"})
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("address", "loopback", "allowed"),
    [
        ("93.184.216.34", False, True),
        ("2606:2800:220:1:248:1893:25c8:1946", False, True),
        ("127.0.0.1", False, False),
        ("127.0.0.1", True, True),
        ("::1", True, True),
        ("10.1.2.3", True, False),
        ("172.16.0.1", False, False),
        ("192.168.1.1", False, False),
        ("169.254.169.254", True, False),
        ("100.100.100.200", False, False),
        ("100.64.0.1", False, False),
        ("fd00:ec2::254", False, False),
        ("fe80::1", False, False),
        ("224.0.0.1", False, False),
        ("239.255.255.250", False, False),
        ("240.0.0.1", False, False),
        ("0.0.0.0", False, False),
        ("::ffff:127.0.0.1", False, False),
        ("::ffff:10.0.0.1", True, False),
    ],
)
def test_address_rules(address: str, loopback: bool, allowed: bool):
    assert address_allowed(ipaddress.ip_address(address), loopback) is allowed
