"""docs/example_plugin is a real package: pip installs it, its entry point is discovered, and
it installs, activates and serves its route."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "docs" / "example_plugin"

SCRIPT = textwrap.dedent(
    """
    import sys
    from fastapi.testclient import TestClient
    from sonic_cms.api.app import create_app
    from sonic_cms.config import Settings
    from sonic_cms.db import migrate
    from sonic_cms.db.engine import Database
    from sonic_cms.plugins import hookspecs
    from sonic_cms.plugins.registry import discover
    from sonic_cms.extensions import lifecycle
    from sonic_cms.actors import SYSTEM
    from sonic_cms.plugins.hooks import Cancel, HookCancelled
    from sonic_cms.clock import SystemClock
    from sonic_cms.context import Context
    from sonic_cms.storage import build_storage

    settings = Settings(database_url=sys.argv[1], env="development",
                        config_file="/nonexistent.toml")
    db = Database(settings)
    migrate.upgrade(db)
    registry = discover()
    assert "hello" in registry.specs, (registry.specs.keys(), registry.invalid)
    clock = SystemClock()
    ctx = Context(db=db, clock=clock, settings=settings, storage=build_storage(settings, clock),
                  actor=SYSTEM)
    lifecycle.install(ctx, registry, "hello")
    lifecycle.activate(ctx, registry, "hello")
    lifecycle.update_settings(ctx, registry, "hello", {"greeting": "Howdy"})
    with TestClient(create_app(settings, db=db)) as client:
        body = client.get("/api/plugins/hello/greeting").json()
        assert body == {"data": {"message": "Howdy, world"}}, body
        bus = client.app.state.ctx.hooks
        assert bus.filter(hookspecs.CONTENT_CREATE, {"title": " fine "}) == {"title": "fine"}
        try:
            bus.filter(hookspecs.CONTENT_CREATE, {"title": "a forbidden title"})
        except HookCancelled as exc:
            assert exc.plugin == "hello"
        else:
            raise AssertionError("the example plugin did not cancel")
    print("EXAMPLE-OK")
    """
)


@pytest.mark.slow
def test_the_example_plugin_installs_and_works(tmp_path: Path):
    target = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target)]
    if importlib.util.find_spec("setuptools") and importlib.util.find_spec("wheel"):
        pip.append("--no-build-isolation")  # otherwise pip fetches the build backend
    done = subprocess.run([*pip, str(EXAMPLE)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert list(target.glob("sonic_example_plugin-*.dist-info/entry_points.txt"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), str(ROOT)])}
    script = tmp_path / "check.py"
    script.write_text(SCRIPT)
    run = subprocess.run(
        [sys.executable, str(script), f"sqlite:///{tmp_path / 'example.db'}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "EXAMPLE-OK" in run.stdout
