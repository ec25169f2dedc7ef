"""Collection names that may not be used: engine-internal names and the schema's own tables.

A collection named ``content``, ``users`` or ``sqlite_master`` stores nothing in such a table,
but it makes ``/api/collections/users/content`` and raw SQL in the seed's style ambiguous to a
reader, and a tool that maps a collection to a table of its name (as SonicJS plugins do) would
write into the real one. The list is read at run time: the core MetaData (a table added by a
later revision is covered without editing this file), every table a known plugin declares
(``faqs``) whether installed or not, and every table the database holds right now.
"""

from __future__ import annotations

import functools

from sqlalchemy import Connection, inspect

from sonic_cms.db.schema import metadata
from sonic_cms.plugins.registry import discover

ENGINE_PREFIXES = ("sqlite_", "pg_")
ENGINE_NAMES = frozenset({"information_schema"})
RESERVED_MESSAGE = "is reserved: the name of a database table or an engine-internal name"


@functools.cache
def schema_tables() -> frozenset[str]:
    """Core tables plus the tables every discoverable plugin declares (cached per process)."""
    return frozenset(metadata.tables) | discover().tables()


def database_tables(conn: Connection) -> frozenset[str]:
    """The tables the connected database holds (plugin tables, FTS shadows, Alembic's)."""
    return frozenset(inspect(conn).get_table_names())


def is_reserved(name: str, tables: frozenset[str]) -> bool:
    """Whether ``name`` is an engine-internal name or one of ``tables`` (any letter case)."""
    folded = name.casefold()
    return (
        folded.startswith(ENGINE_PREFIXES)
        or folded in ENGINE_NAMES
        or folded in {t.casefold() for t in tables}
    )


def reserved_tables(conn: Connection) -> frozenset[str]:
    """Every table name a collection may not take on this database."""
    return schema_tables() | database_tables(conn)


def reserved_name_problems(conn: Connection, name: object) -> list[dict[str, str]]:
    """``[{"path": "name", ...}]`` when ``name`` may not be a new collection's name."""
    if isinstance(name, str) and is_reserved(name, reserved_tables(conn)):
        return [{"path": "name", "message": RESERVED_MESSAGE}]
    return []
