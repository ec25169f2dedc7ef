"""Facts read from the database, kept in this process's memory while nothing they depend on
has been written: the per-process memory below the HTTP response cache (issue 17).

An entry names the cache namespaces it depends on and carries their generations as read
*before* the fact was read from the database, so a write committed meanwhile already voids it.
It is used only while those generations are unchanged (every process of the host shares them
through the generations file), while it is younger than ``max_age`` seconds (the bound for
processes on other hosts, linked only by Redis) and before its own ``until_ms``. Without
generations (a context built without a cache) nothing is kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

#: The current generation of a cache namespace as this host shares it (``None``: no cache).
Generations = Callable[[str], str | None]
#: The generations of an entry's namespaces when it was read.
Stamp = tuple[str | None, ...]
#: Most entries kept per process; the oldest goes first.
MAX_ENTRIES = 20_000


@dataclass(slots=True)
class _Entry:
    value: Any
    namespaces: tuple[str, ...]
    stamp: Stamp
    stored: float
    until_ms: int | None


def stamp(generations: Generations, namespaces: tuple[str, ...]) -> Stamp | None:
    """The generations to store with a fact about to be read; None when any is unknown."""
    values = tuple(generations(namespace) for namespace in namespaces)
    return None if None in values else values


class Memo:
    """One process's remembered facts (bounded, oldest first out)."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: dict[Hashable, _Entry] = {}

    def get(
        self, key: Hashable, generations: Generations, max_age: float, now_ms: int
    ) -> Any | None:
        """The value stored under ``key`` if it may still be trusted, else None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if (
            time.monotonic() - entry.stored >= max_age
            or (entry.until_ms is not None and entry.until_ms <= now_ms)
            or stamp(generations, entry.namespaces) != entry.stamp
        ):
            self._entries.pop(key, None)
            return None
        return entry.value

    def put(
        self,
        key: Hashable,
        value: Any,
        namespaces: tuple[str, ...],
        read_under: Stamp | None,
        *,
        max_age: float,
        until_ms: int | None = None,
    ) -> None:
        """Keep ``value`` (read under the generations ``read_under``) unless it cannot be
        trusted: no generations, or a zero ``max_age`` (the memory turned off)."""
        if read_under is None or max_age <= 0:
            return
        entries = self._entries
        if key not in entries and len(entries) >= self.max_entries:
            entries.pop(next(iter(entries)))
        entries[key] = _Entry(value, namespaces, read_under, time.monotonic(), until_ms)

    def clear(self) -> None:
        """Forget everything."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
