"""`slow`: a test-only plugin whose route holds a request until the test releases it.

Installed into a real `sonic serve` process as a distribution on the path (its entry point
names :data:`SLOW`), for the graceful-shutdown tests: a request is in flight, for as long as the
test wants, while the server receives SIGTERM. The route is never part of the product.

The route writes ``entered`` into ``$SONIC_TEST_SLOW_DIR`` when it starts and waits until a
file named ``release`` appears there.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any

from fastapi import APIRouter

from sonic_cms.plugins.spec import PluginSpec

DIRECTORY_VARIABLE = "SONIC_TEST_SLOW_DIR"
#: The longest a held request waits for its release (a test that forgets it must not hang).
HOLD_LIMIT_SECONDS = 120
logger = logging.getLogger("sonic_cms.plugins.slow")


def slow_router() -> APIRouter:
    api = APIRouter()

    @api.post("/hold")
    async def hold() -> dict[str, Any]:
        directory = Path(os.environ[DIRECTORY_VARIABLE])
        (directory / "entered").touch()
        for _ in range(HOLD_LIMIT_SECONDS * 50):
            if (directory / "release").exists():
                break
            await asyncio.sleep(0.02)
        logger.warning("held request released")  # above every default log_config level
        return {"data": "released"}

    return api


SLOW = PluginSpec(
    name="slow",
    display_name="Slow",
    version="1.0.0",
    author="tests",
    category="testing",
    router=slow_router,
)


def install_distribution(site: Path) -> Path:
    """Write a distribution whose entry point is :data:`SLOW` into ``site`` (a directory to put
    on the server's PYTHONPATH); returns ``site``."""
    info = site / "sonic_test_slow-1.0.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: sonic-test-slow\nVersion: 1.0.0\n")
    (info / "entry_points.txt").write_text(
        "[sonic_cms.plugins]\nslow = tests.utils.slow_plugin:SLOW\n"
    )
    return site
