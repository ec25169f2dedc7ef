"""Every contract change is explicit: /openapi.json must equal the committed snapshot.

Regenerate after an intended change with:
    SONIC_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/content/test_openapi_snapshot.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sonic_cms.api.app import create_app
from tests.conftest import make_settings

SNAPSHOT = Path(__file__).resolve().parents[1] / "snapshots" / "openapi.json"


def _spec() -> str:
    app = create_app(make_settings("sqlite:///:memory:"))
    return json.dumps(app.openapi(), indent=2, sort_keys=True) + "\n"


def test_openapi_matches_snapshot():
    spec = _spec()
    if os.environ.get("SONIC_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(spec)
    if not SNAPSHOT.exists():
        pytest.fail(f"{SNAPSHOT} is missing; regenerate it with SONIC_UPDATE_SNAPSHOTS=1")
    assert spec == SNAPSHOT.read_text(), "OpenAPI changed; regenerate the snapshot if intended"


def test_every_content_route_is_documented():
    paths = json.loads(_spec())["paths"]
    for path in (
        "/api/content",
        "/api/content/{item_id}",
        "/api/content/{item_id}/versions/diff",
        "/api/collections/{name}/content",
        "/admin/api/collections/{key}",
        "/admin/api/stats",
    ):
        assert path in paths
