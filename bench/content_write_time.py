"""Service time of the content write routes, in-process and one at a time: what creating and
updating one item costs the database layer, without HTTP.

Seeds ``--items`` posts (the same as bench/content_load.py), then, acting as an editor, times
``create_item`` (``POST /api/content``) and ``update_item`` (``PUT /api/content/{id}``: a title
change and a new version) ``--repeat`` times each, and prints the median wall and CPU
milliseconds per call. The floor is the query floor of the same work: the raw DB-API driver
inserting (or updating) one content row whose data orjson serialized, in its own transaction.

    .venv/bin/python -m bench.content_write_time [--items N] [--repeat N] [--database-url URL]
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

import orjson

from bench.content_seed import COLLECTION, bench_context, make_items, seed
from bench.content_service_time import run_timed, timed
from sonic_cms.auth.authentication import actor_for_user
from sonic_cms.content.items import create_item
from sonic_cms.db.engine import Database
from sonic_cms.ids import new_id
from sonic_cms.workflow.edits import update_item


def _post(i: int) -> dict[str, Any]:
    """The body of the ``i``-th new post (fresh titles, so every slug is new)."""
    item = next(make_items(1, seed=i))
    return {"collectionId": COLLECTION, "title": f"Written {i}", "data": item["data"]}


def service_calls(db: Database, author_id: str) -> dict[str, Callable[[], Any]]:
    """The create and update service calls, each call a new post or a new title."""
    ctx = bench_context(db)
    ctx = ctx.acting_as(actor_for_user(ctx, author_id))
    counter = itertools.count()
    target = create_item(ctx, _post(-1))["id"]
    return {
        "create (POST /api/content)": lambda: create_item(ctx, _post(next(counter))),
        "update (PUT /api/content/{id})": lambda: update_item(
            ctx, target, {"title": f"Retitled {next(counter)}"}
        ),
    }


def floor_calls(db: Database, author_id: str, collection_id: str) -> dict[str, Callable[[], Any]]:
    """The raw driver doing the same row work, one transaction per call."""
    raw = db.engine.raw_connection()
    mark = "?" if db.is_sqlite else "%s"
    insert = (
        "INSERT INTO content (id, collection_id, slug, title, data, status, author_id,"
        f" created_at, updated_at) VALUES ({', '.join([mark] * 9)})"
    )
    update = f"UPDATE content SET title = {mark}, updated_at = {mark} WHERE id = {mark}"
    counter = itertools.count()
    target = new_id()

    def run(sql: str, params: tuple[Any, ...]) -> None:
        cursor = raw.cursor()
        cursor.execute(sql, params)
        cursor.close()
        raw.commit()

    def insert_row(item_id: str, i: int) -> None:
        now = int(time.time() * 1000)
        data = orjson.dumps(_post(i)["data"]).decode()
        row = (item_id, collection_id, f"floor-{i}", f"Written {i}", data, "draft")
        run(insert, (*row, author_id, now, now))

    insert_row(target, -1)
    return {
        "floor: insert one row": lambda: insert_row(new_id(), next(counter)),
        "floor: update one row": lambda: run(
            update, (f"Retitled {next(counter)}", int(time.time() * 1000), target)
        ),
    }


def main(argv: list[str] | None = None) -> None:
    """Seed, then time the floor and each write's service call."""
    run_timed(argv, __doc__, report, items=20_000, repeat=200)


def report(db: Database, items: int, repeat: int) -> None:
    """Seed ``items``, then print each write's median time and its ratio to its floor."""
    seeded = seed(db, items, 5000)
    with db.read() as conn:
        collection_id = conn.exec_driver_sql(
            f"SELECT id FROM collections WHERE name = '{COLLECTION}'"
        ).scalar_one()
    print(f"{db.dialect}: {seeded.items:,} items; median of {repeat} calls per write")
    floors = floor_calls(db, seeded.author_id, collection_id)
    services = service_calls(db, seeded.author_id)
    for (floor_name, floor), (name, call) in zip(floors.items(), services.items(), strict=True):
        floor_wall, floor_cpu = timed([floor], repeat)
        wall, cpu = timed([call], repeat)
        print(f"{floor_name:32s} {floor_wall:7.3f} ms {floor_cpu:7.3f} ms CPU")
        ratio = wall / floor_wall
        print(f"{name:32s} {wall:7.3f} ms {cpu:7.3f} ms CPU  ({ratio:.1f}x the floor)", flush=True)


if __name__ == "__main__":
    main()
