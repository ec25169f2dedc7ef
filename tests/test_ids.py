"""Row ids are canonical time-ordered UUIDs (version 7)."""

from __future__ import annotations

import time
import uuid

from sonic_cms.ids import new_id


def test_ids_are_canonical_version_7_uuids_and_do_not_repeat():
    ids = [new_id() for _ in range(5000)]
    for value in ids:
        parsed = uuid.UUID(value)
        assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
        assert str(parsed) == value  # lower case, hyphenated, 36 characters
    assert len(set(ids)) == len(ids)


def test_ids_made_later_sort_later_and_carry_their_creation_time():
    before = time.time_ns() // 1_000_000
    first = new_id()
    time.sleep(0.002)
    second = new_id()
    after = time.time_ns() // 1_000_000
    assert first < second
    assert before <= uuid.UUID(first).int >> 80 <= after
