"""Webhook fixtures: a service context whose bus writes the outbox (as the composition root
wires it), a clock near the real time (receivers verify the timestamp against their own clock),
settings that let deliveries reach loopback receivers, and an administrator."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sonic_cms.actors import SYSTEM, Actor
from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.runtime import build_runtime
from sonic_cms.storage.local import LocalStorage
from tests.conftest import make_settings
from tests.utils.auth import actor_with_role
from tests.webhooks.receiver import Receiver, running_receiver

#: Few attempts and a short failure run, so tests reach the limits quickly.
WEBHOOK_SETTINGS: dict[str, object] = {
    "webhooks_allow_loopback": True,
    "webhooks_max_attempts": 5,
    "webhooks_disable_after_failures": 3,
    "webhooks_timeout_seconds": 5.0,
    "webhooks_retry_base_seconds": 1.0,
}


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_settings(db_url, trusted_proxies="testclient", **WEBHOOK_SETTINGS)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(time.time_ns() // 1_000_000)


@pytest.fixture
def wctx(settings: Settings, db: Database, clock: FrozenClock, tmp_path: Path) -> Iterator[Context]:
    """The system acting, wired by the composition root: its bus writes the outbox, and the
    cache's generations void the remembered subscriptions when an endpoint changes."""
    storage = LocalStorage(tmp_path / "media", "/files", settings.effective_secret_key, clock)
    runtime = build_runtime(settings, db=db, clock=clock, storage=storage)
    yield runtime.context.acting_as(SYSTEM)
    runtime.cache.detach(db)
    runtime.cache.close_sync()


@pytest.fixture
def admin(db: Database, clock: FrozenClock) -> Actor:
    return actor_with_role(db, clock, "admin")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def with_settings(ctx: Context, **changes: object) -> Context:
    """``ctx`` with some settings changed (the same database, clock, bus and actor)."""
    settings = ctx.settings.model_copy(update=changes)
    return Context(
        db=ctx.db,
        clock=ctx.clock,
        settings=settings,
        storage=ctx.storage,
        hooks=ctx.hooks,
        actor=ctx.actor,
    )
