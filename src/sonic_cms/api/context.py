"""What one running app holds: settings, database, clock. Built by create_app, never global."""

from __future__ import annotations

from dataclasses import dataclass

from sonic_cms.clock import Clock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database


@dataclass
class AppContext:
    """The app's collaborators, reachable from requests as ``request.app.state.ctx``."""

    settings: Settings
    db: Database
    clock: Clock
