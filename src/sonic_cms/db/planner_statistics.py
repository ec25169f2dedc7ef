"""Planner statistics kept current while a bulk write grows a table.

PostgreSQL plans from the statistics ``ANALYZE`` last took (autovacuum takes them again only
after a minute or more). An import into an empty or small collection outgrows them at once: a
plan made for an empty ``content`` table finds a batch's 500 slugs by walking every row of the
collection and comparing each with all 500, and joins a batch's ids to the table by hashing
all of it. A 100k-item import then spent two thirds of the server's time in those lookups,
growing with the square of the import (bench/README.md, "PostgreSQL bulk import and stale
statistics"). :class:`GrowthAnalyzer` takes the statistics again each time the import has
doubled what they describe, so the plans stay index lookups at a cost of a few ``ANALYZE``
runs (each samples at most 30,000 rows).

SQLite needs none of this: without ``sqlite_stat1`` its planner trusts the indexes anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from sonic_cms.db.engine import Database

#: Rows written before the first refresh: small imports never pay for an ANALYZE.
MIN_GROWTH = 2000


@dataclass
class GrowthAnalyzer:
    """Refreshes ``tables``' statistics once the rows written since the last refresh reach
    what the statistics counted then (or :data:`MIN_GROWTH`)."""

    db: Database
    tables: tuple[str, ...]
    #: Rows of the first table when its statistics were last taken (PostgreSQL's estimate).
    counted: float
    written: int = 0

    @classmethod
    def start(cls, db: Database, *tables: str) -> GrowthAnalyzer | None:
        """An analyzer for ``tables`` (the first one's size decides), or None on SQLite."""
        if db.dialect != "postgresql":
            return None
        with db.read() as conn:
            counted = conn.execute(
                text("SELECT reltuples FROM pg_class WHERE oid = CAST(:name AS regclass)"),
                {"name": tables[0]},
            ).scalar()
        # reltuples is -1 for a table never analyzed (PostgreSQL 14+)
        return cls(db, tables, max(float(counted or 0.0), 0.0))

    def wrote(self, rows: int) -> None:
        """Count ``rows`` committed rows; refresh the statistics when they have doubled."""
        self.written += rows
        if self.written < max(self.counted, MIN_GROWTH):
            return
        with self.db.write() as conn:
            for table in self.tables:
                conn.exec_driver_sql(f'ANALYZE "{table}"')
        self.counted += self.written
        self.written = 0
