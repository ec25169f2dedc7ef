"""Row ids are canonical random UUIDs, as SonicJS's crypto.randomUUID() makes them."""

from __future__ import annotations

import uuid

from sonic_cms.ids import new_id


def test_ids_are_canonical_version_4_uuids_and_do_not_repeat():
    ids = [new_id() for _ in range(5000)]
    for value in ids:
        parsed = uuid.UUID(value)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
        assert str(parsed) == value  # lower case, hyphenated, 36 characters
    assert len(set(ids)) == len(ids)
