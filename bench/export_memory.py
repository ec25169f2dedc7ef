"""Peak memory of `sonic db export` on 1,000,000 content rows (acceptance: under 300 MB).

    python -m bench.export_memory [--rows N] [--database-url URL]

Seeds a migrated database (a temporary SQLite file unless --database-url names an empty
PostgreSQL database) with N content rows in batched inserts, then runs the export in a child
process and reads its peak RSS from getrusage. The floor is the peak RSS of a child that loads
the same modules and opens the database without exporting; the ratio shows what streaming costs.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
from sqlalchemy import insert, text

from sonic_cms.config import Settings
from sonic_cms.db import migrate
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Collection, User

BATCH = 10_000
LIMIT_MB = 300
CHILD = """
import os
import resource
import sys
from pathlib import Path
from sonic_cms.config import Settings
from sonic_cms.operations.dump_format import open_output
from sonic_cms.db.engine import Database
from sonic_cms.operations.export_sql import export_dump
PAGE = os.sysconf("SC_PAGE_SIZE")
during = [0]
def sample(table, done, total):
    with open("/proc/self/statm") as statm:
        during[0] = max(during[0], int(statm.read().split()[1]) * PAGE // 1024)
db = Database(Settings(database_url=sys.argv[1], config_file=Path("/nonexistent")))
if sys.argv[2] != "-":
    with open_output(Path(sys.argv[2])) as out:
        export_dump(db, out, progress=sample)
else:
    db.engine.connect().close()
    sample("", 0, 0)
print(during[0], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def seed(db: Database, rows: int) -> None:
    """One user, one collection, ``rows`` content items of about 300 bytes of JSON each."""
    now = 1_767_225_600_000
    with db.write() as conn:
        conn.execute(
            insert(User),
            {
                "id": "bench-user",
                "email": "b@example.com",
                "username": "bench",
                "first_name": "B",
                "last_name": "U",
                "created_at": now,
                "updated_at": now,
            },
        )
        conn.execute(
            insert(Collection),
            {
                "id": "bench",
                "name": "bench",
                "display_name": "Bench",
                "schema": {},
                "created_at": now,
                "updated_at": now,
            },
        )
    body = orjson.dumps({"title": "x" * 40, "body": "lorem ipsum " * 20, "tags": ["a", "b"]})
    data = "CAST(:data AS jsonb)" if db.dialect == "postgresql" else ":data"
    statement = text(
        "INSERT INTO content (id, collection_id, slug, title, data, author_id, created_at, "
        f"updated_at) VALUES (:id, 'bench', :slug, :title, {data}, 'bench-user', :at, :at)"
    )
    for start in range(0, rows, BATCH):
        with db.write() as conn:
            conn.execute(
                statement,
                [
                    {
                        "id": f"item-{i:08d}",
                        "slug": f"item-{i}",
                        "title": f"Item {i}",
                        "data": body.decode(),
                        "at": now + i,
                    }
                    for i in range(start, min(start + BATCH, rows))
                ],
            )


def peak_rss_mb(url: str, output: str) -> tuple[float, float, float]:
    """Run the child; return (its peak RSS, its largest RSS sampled while exporting, both in
    MB, and the seconds it took)."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, url, output], check=True, capture_output=True, text=True
    )
    # The child reports ru_maxrss of itself (KB on Linux), so earlier children do not count.
    during, peak = (int(v) / 1024 for v in done.stdout.split()[-2:])
    return peak, during, time.perf_counter() - started


def main() -> None:
    """Seed, measure the floor, measure the export, print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="sonic-bench-"))
    url = args.database_url or f"sqlite:///{scratch / 'bench.db'}"
    db = Database(Settings(database_url=url, config_file=Path("/nonexistent")))
    migrate.upgrade(db)
    # Seeding is not what is measured; the change log would double it, so capture is paused.
    with db.write() as conn:
        conn.exec_driver_sql("INSERT INTO change_log_pause (id) VALUES (1)")
    started = time.perf_counter()
    seed(db, args.rows)
    with db.write() as conn:
        conn.exec_driver_sql("DELETE FROM change_log_pause")
    print(f"seeded {args.rows:,} content rows in {time.perf_counter() - started:.1f} s")
    db.dispose()
    floor, _, _ = peak_rss_mb(url, "-")
    output = scratch / "dump.sql.gz"
    peak, during, seconds = peak_rss_mb(url, str(output))
    print(f"engine:            {db.dialect}")
    print(f"floor (no export): {floor:.1f} MB peak RSS")
    size_mb = output.stat().st_size / 1e6
    verdict = "OK" if peak < LIMIT_MB else "OVER"
    print(f"export:            {peak:.1f} MB peak RSS, {seconds:.1f} s, {size_mb:.1f} MB gzipped")
    print(f"largest RSS sampled every 1,000 rows while exporting: {during:.1f} MB")
    print(f"ratio to floor:    {peak / floor:.2f}x; limit {LIMIT_MB} MB: {verdict}")
    print(f"rows per second:   {args.rows / seconds:,.0f}")


if __name__ == "__main__":
    main()
