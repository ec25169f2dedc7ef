"""A server worker freezes its start-up heap once ready; an app sharing its process does not.

A full collection walked the ~200,000 objects a worker holds after start-up and stopped the
event loop for 100-180 ms a few times a minute under load (bench/README.md, "Mixed load").
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

PROGRAM = textwrap.dedent(
    """
    import gc, sys
    from fastapi.testclient import TestClient
    from sonic_cms.api.app import create_app
    from tests.conftest import make_settings

    settings = make_settings(sys.argv[1], scheduler_interval_seconds=0)
    before = gc.get_freeze_count()
    with TestClient(create_app(settings, owns_process=sys.argv[2] == "own")) as client:
        assert client.get("/api/system/health").status_code == 200
        print(before, gc.get_freeze_count())
    """
)


@pytest.mark.parametrize("engine_name", ["sqlite"])
@pytest.mark.parametrize(("mode", "frozen"), [("own", True), ("shared", False)])
def test_only_an_app_that_owns_its_process_freezes_the_heap(db_url, mode, frozen):
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, db_url, mode],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    before, after = map(int, done.stdout.split()[-2:])
    assert before == 0
    assert (after > 10_000) is frozen  # the modules, routes and models of a ready server
