"""Seeding for the content benchmark: a migrated database, the shipped collections, 100k items.

Items are blog posts (the shipped ``blog-posts`` collection) with a few hundred characters of
text drawn from a fixed vocabulary, so full-text search has realistic posting lists; 90% are
published, the rest drafts (anonymous readers must not see them).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sonic_cms.actors import SYSTEM, Actor
from sonic_cms.auth.users import create_user
from sonic_cms.clock import SystemClock
from sonic_cms.config import Settings
from sonic_cms.content.bulk import bulk_create_items
from sonic_cms.content.collection_sync import sync_collections
from sonic_cms.context import Context
from sonic_cms.db import migrate
from sonic_cms.db.engine import Database
from sonic_cms.storage import build_storage

COLLECTION = "blog-posts"
COLLECTIONS_DIR = Path(__file__).resolve().parent.parent / "collections"
CATEGORIES = ("news", "tutorial", "opinion")
TAGS = ("python", "cms", "sqlite", "postgresql", "api")
WORDS = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
    "mike",
    "november",
    "oscar",
    "papa",
    "quebec",
    "romeo",
    "sierra",
    "tango",
    "uniform",
    "victor",
    "whiskey",
    "xray",
    "yankee",
    "zulu",
    "amber",
    "basil",
    "cedar",
    "dune",
    "ember",
    "fjord",
    "garnet",
    "harbor",
    "iris",
    "jasper",
    "kelp",
    "lagoon",
    "maple",
    "nectar",
    "onyx",
    "pebble",
    "quartz",
    "raven",
    "saffron",
    "thistle",
    "umber",
    "violet",
    "willow",
    "yarrow",
    "zephyr",
    "anchor",
    "beacon",
    "canyon",
    "drift",
    "estuary",
    "falcon",
    "glacier",
    "heron",
    "island",
    "jungle",
    "kestrel",
    "lantern",
    "meadow",
    "nimbus",
    "orchard",
    "prairie",
    "quiver",
    "ridge",
    "summit",
    "tundra",
    "upland",
    "valley",
    "wharf",
]
#: A word that appears in about 1 item in 60: the benchmark's search term.
RARE_WORD = "kaleidoscope"


@dataclass
class Seeded:
    """What the load phase needs to know about the seeded database."""

    author_id: str
    items: int
    seconds: float
    cpu_seconds: float
    #: CPU of the PostgreSQL backends serving the import, when the server runs on this machine
    server_cpu_seconds: float | None = None

    @property
    def rate(self) -> float:
        """Items per second of the bulk path."""
        return self.items / self.seconds

    @property
    def cpu_rate(self) -> float:
        """Items per CPU-second of the importing process (less sensitive to a busy machine)."""
        return self.items / self.cpu_seconds

    @property
    def server_cpu_rate(self) -> float | None:
        """Items per CPU-second of the database server's backends (PostgreSQL on this machine)."""
        return self.items / self.server_cpu_seconds if self.server_cpu_seconds else None


def bench_settings(url: str) -> Settings:
    """Settings for the benchmark database: production durability, no start-up sync."""
    return Settings(
        database_url=url,
        env="development",
        collections_dir=COLLECTIONS_DIR,
        collections_sync_on_start=False,
        sqlite_synchronous="NORMAL",
    )


def make_items(count: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """``count`` blog posts, deterministic for a given seed."""
    rng = random.Random(seed)
    for i in range(count):
        words = rng.choices(WORDS, k=60)
        if i % 60 == 0:
            words[rng.randrange(60)] = RARE_WORD
        yield {
            "title": f"{words[0].title()} {words[1]} {words[2]} {i}",
            "status": "draft" if i % 10 == 9 else "published",
            "data": {
                "excerpt": " ".join(words[3:15]),
                "content": "<p>" + " ".join(words[15:]) + "</p>",
                "category": CATEGORIES[i % 3],
                "tags": rng.sample(TAGS, k=2),
                "readingMinutes": 1 + i % 30,
            },
        }


def bench_context(db: Database, actor: Actor = SYSTEM) -> Context:
    """The services' context on ``db`` acting for ``actor``: the system clock, no plugin hooks
    (the benchmark measures the core)."""
    clock = SystemClock()
    storage = build_storage(db.settings, clock)
    return Context(db=db, clock=clock, settings=db.settings, storage=storage, actor=actor)


def prepare(db: Database) -> str:
    """Migrate, sync the shipped collections, create the author; returns the author's id."""
    migrate.upgrade(db)
    ctx = bench_context(db)
    sync_collections(ctx, COLLECTIONS_DIR)
    user = create_user(
        ctx, email="bench@example.com", username="bench", password=None, role="editor"
    )
    return user.id


def seed(
    db: Database, count: int, batch_size: int = 1000, items: Iterable[dict[str, Any]] | None = None
) -> Seeded:
    """Prepare the database and bulk-import ``count`` items (:func:`make_items`, unless
    ``items`` gives them); times the import only."""
    author = prepare(db)
    server_started = server_cpu_seconds(db)
    started, cpu_started = time.perf_counter(), time.process_time()
    report = bulk_create_items(
        bench_context(db),
        COLLECTION,
        make_items(count) if items is None else items,
        batch_size=batch_size,
        author_id=author,
    )
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    server_ended = server_cpu_seconds(db)
    if report.rejected:
        first = report.rejected[0].problems[0]
        raise RuntimeError(f"seeding refused line {first.line}: {first.path} {first.message}")
    server = None if server_ended is None else server_ended - (server_started or 0.0)
    return Seeded(author, report.created, seconds, cpu, server)


def server_cpu_seconds(db: Database) -> float | None:
    """CPU time used so far by the PostgreSQL backends connected to ``db``'s database, read from
    /proc (None for SQLite or when no backend is visible: a server on another machine). On a
    shared machine the wall clock measures the neighbours too; CPU-seconds on both sides of
    the connection say what the import itself costs."""
    if db.dialect != "postgresql" or not os.path.isdir("/proc"):
        return None
    name = f" {db.engine.url.database} "
    tick = os.sysconf("SC_CLK_TCK")
    total, seen = 0.0, False
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                title = cmdline.read().decode(errors="replace")
            if not title.startswith("postgres:") or name not in title:
                continue
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        total, seen = total + (int(fields[11]) + int(fields[12])) / tick, True
    return total if seen else None
