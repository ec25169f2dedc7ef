"""The bookkeeping behind the counters summed across processes (cache/shared_stats.py):
deltas since the last flush, the hash layout both ways, and which processes' sizes count."""

from __future__ import annotations

import orjson

from sonic_cms.cache.base import TierStats
from sonic_cms.cache.shared_stats import (
    CounterDeltas,
    flatten,
    fresh_sizes,
    size_record,
    unflatten,
)


def test_only_what_changed_since_the_last_flush_is_sent():
    memory = TierStats()
    memory.count("hits", "content")
    memory.count("misses", "content")
    deltas = CounterDeltas()
    now, pending = deltas.pending({"memory": memory})
    assert pending == {
        "memory|*|hits": 1,
        "memory|*|misses": 1,
        "memory|content|hits": 1,
        "memory|content|misses": 1,
    }
    # a flush that failed leaves the baseline: the next one sends the larger delta
    memory.count("hits", "content")
    _, again = deltas.pending({"memory": memory})
    assert again["memory|content|hits"] == 2
    deltas.done(now)
    memory.count("evictions", "user")
    _, after = deltas.pending({"memory": memory})
    assert after == {
        "memory|*|hits": 1,
        "memory|content|hits": 1,
        "memory|*|evictions": 1,
        "memory|user|evictions": 1,
    }


def test_the_hash_reads_back_as_tier_stats():
    redis = TierStats()
    for what, ns in (("hits", "api"), ("hits", "api"), ("misses", "user"), ("errors", None)):
        redis.count(what, ns)
    flat = flatten({"redis": redis})
    summed = {k: v * 2 for k, v in flat.items()} | {"junk": 5, "memory|x|bogus": 1}
    back = unflatten(summed)
    assert back["redis"].as_dict() == {
        "hits": 4,
        "misses": 2,
        "sets": 0,
        "evictions": 0,
        "errors": 2,
        "hit_rate": 0.6667,
    }
    assert back["redis"].as_dict("api")["hits"] == 4
    assert back["memory"].as_dict()["hits"] == 0 and back["database"].as_dict()["hits"] == 0


def test_stale_and_broken_size_records_are_left_out():
    raw = {
        b"a": size_record({"entries": 3, "bytes": 300}, 100.0),
        b"b": size_record({"entries": 4, "bytes": 400}, 95.0),
        b"old": size_record({"entries": 99, "bytes": 9999}, 10.0),
        b"broken": b"{not json",
        b"partial": orjson.dumps({"entries": 1}),
    }
    size, processes, stale = fresh_sizes(raw, now=101.0, stale_after=15.0)
    assert size == {"entries": 7, "bytes": 700} and processes == 2
    assert sorted(stale) == [b"broken", b"old", b"partial"]
