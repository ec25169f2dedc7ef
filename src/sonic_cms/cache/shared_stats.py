"""Cache counters summed across processes through Redis.

Each process counts hits, misses, sets, evictions and errors in its own :class:`TierStats`
(plain integer additions: the hot path never talks to Redis for a counter). Every
``cache_stats_flush_seconds``, on every stats read, and at shut-down, the process sends what
changed since its last flush to one Redis hash with ``HINCRBY`` (one pipelined round trip;
nothing is sent when nothing changed), and records its memory tier's size with a timestamp in a
second hash. A stats read flushes its own process first, then reads both hashes: the counters
are then the sums over every process that ever flushed (since Redis last started), the memory
size the sum over the processes seen within three flush intervals (the others are dropped).
What other processes counted since their last flush is not in the sum yet: the figures lag by
at most one flush interval.

Layout (under ``cache_redis_prefix``): ``stats`` is a hash of ``tier|namespace|counter`` ->
count, where namespace ``*`` is the tier's total (errors without a namespace count only there);
``stats:sizes`` is a hash of process id -> ``{"entries", "bytes", "at"}``.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from typing import Any

import orjson

from sonic_cms.cache.base import TierStats

COUNTERS = ("hits", "misses", "sets", "evictions", "errors")
TIERS = ("memory", "redis", "database")
TOTAL = "*"


def process_id() -> str:
    """This process's name in the sizes hash: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def flatten(tiers: dict[str, TierStats]) -> dict[str, int]:
    """Every counter of ``tiers`` as ``tier|namespace|counter`` -> value."""
    flat: dict[str, int] = {}
    for tier, stats in tiers.items():
        for counter in COUNTERS:
            flat[f"{tier}|{TOTAL}|{counter}"] = int(getattr(stats, counter))
        for namespace, counts in stats.by_namespace.items():
            for counter, value in counts.items():
                flat[f"{tier}|{namespace}|{counter}"] = value
    return flat


def unflatten(flat: dict[str, int]) -> dict[str, TierStats]:
    """The summed hash back as one :class:`TierStats` per tier."""
    tiers = {tier: TierStats() for tier in TIERS}
    for field, value in flat.items():
        parts = field.split("|")
        if len(parts) != 3 or parts[0] not in tiers or parts[2] not in COUNTERS:
            continue
        tier, namespace, counter = parts
        stats = tiers[tier]
        if namespace == TOTAL:
            setattr(stats, counter, value)
        else:
            stats.by_namespace.setdefault(namespace, {})[counter] = value
    return tiers


class CounterDeltas:
    """What this process has counted since its last successful flush."""

    def __init__(self) -> None:
        self.flushed: dict[str, int] = {}
        #: One flush at a time: two at once would send the same delta twice.
        self.lock = asyncio.Lock()

    def pending(self, tiers: dict[str, TierStats]) -> tuple[dict[str, int], dict[str, int]]:
        """(the counters now, the non-zero differences from the last flush)."""
        now = flatten(tiers)
        deltas = {k: v - self.flushed.get(k, 0) for k, v in now.items()}
        return now, {k: d for k, d in deltas.items() if d}

    def done(self, now: dict[str, int]) -> None:
        """The flush of ``now`` reached Redis: the next one starts from there."""
        self.flushed = now


def size_record(size: dict[str, int], at: float) -> bytes:
    """A process's memory size as the sizes hash stores it."""
    return orjson.dumps(
        {"entries": size.get("entries", 0), "bytes": size.get("bytes", 0), "at": at}
    )


def fresh_sizes(
    raw: dict[Any, Any], now: float, stale_after: float
) -> tuple[dict[str, int], int, list[Any]]:
    """(summed memory size, processes counted, fields too old to count)."""
    entries = size_bytes = processes = 0
    stale = []
    for field, value in raw.items():
        try:
            record = orjson.loads(value)
            at = float(record["at"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            stale.append(field)
            continue
        if now - at > stale_after:
            stale.append(field)
            continue
        entries += int(record.get("entries", 0))
        size_bytes += int(record.get("bytes", 0))
        processes += 1
    return {"entries": entries, "bytes": size_bytes}, processes, stale
