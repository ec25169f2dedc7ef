"""The triggers that fill time travel's change log, on SQLite and PostgreSQL.

SQLite has no generic row-to-JSON, so each table gets three triggers whose ``json_object``
names the table's columns as they are in the database (read by reflection, so a table added
by a later revision is covered by :func:`ensure_capture` without a new revision). PostgreSQL
has one trigger function using ``to_jsonb(NEW)`` and one trigger per table.

Entries record the row as it became (inserts and updates) under the key it had before (updates
and deletes), the database clock in epoch milliseconds, and on PostgreSQL the transaction id,
so a replay can tell which transactions a snapshot already contains.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, inspect, text

#: Never captured: the log itself, migration bookkeeping, engine-managed tables, editors'
#: autosaved working copies (per-user scratch written every few seconds while typing: a log
#: row each, holding the whole form, would buy nothing) and ``system_logs`` (append-only, written
#: on every sampled request: capturing it doubled each log row's cost and filled the change log
#: with rows nobody travels back to), and the webhook outbox and its attempts (a delivery log
#: rewritten on every attempt; travelling back must not resend what was delivered). Backups and
#: snapshots still hold all of them.
UNCAPTURED = frozenset(
    {
        "change_log",
        "change_log_pause",
        "migrations",
        "alembic_version",
        "content_autosaves",
        "system_logs",
        "webhook_events",
        "webhook_attempts",
    }
)
SQLITE_NOW_MS = "CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)"
PG_NOW_MS = "floor(extract(epoch from clock_timestamp()) * 1000)::bigint"
PG_FUNCTION = "sonic_change_log_capture"
PG_TRIGGER = "change_log_capture"
_PG_DDL_LOCK = 0x736F6E6963 + 1

_PG_FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM change_log_pause) THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'DELETE' THEN
    INSERT INTO change_log (table_name, op, row_id, row_data, changed_at, txid)
    VALUES (TG_TABLE_NAME, 'D', OLD.id, NULL,
            {PG_NOW_MS}, txid_current());
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO change_log (table_name, op, row_id, row_data, changed_at, txid)
    VALUES (TG_TABLE_NAME, 'U', OLD.id, to_jsonb(NEW),
            {PG_NOW_MS}, txid_current());
  ELSE
    INSERT INTO change_log (table_name, op, row_id, row_data, changed_at, txid)
    VALUES (TG_TABLE_NAME, 'I', NEW.id, to_jsonb(NEW),
            {PG_NOW_MS}, txid_current());
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql
"""


def captured_tables(conn: Connection) -> dict[str, list[str]]:
    """Tables whose rows are captured, with their columns; a table needs an ``id`` column."""
    inspector = inspect(conn)
    tables: dict[str, list[str]] = {}
    for name in sorted(inspector.get_table_names()):
        if name in UNCAPTURED or name.startswith(("sqlite_", "content_fts")):
            continue
        columns = [c["name"] for c in inspector.get_columns(name)]
        if "id" in columns:
            tables[name] = columns
    return tables


def sqlite_trigger_sql(table: str, columns: list[str]) -> dict[str, str]:
    """The three CREATE TRIGGER statements for one SQLite table, by trigger name."""
    statements = {}
    for suffix, event, op, key, row in (
        ("ins", "INSERT", "I", "NEW", "NEW"),
        ("upd", "UPDATE", "U", "OLD", "NEW"),
        ("del", "DELETE", "D", "OLD", None),
    ):
        name = f"change_log_{table}_{suffix}"
        data = _json_object(columns, row) if row else "NULL"
        statements[name] = (
            f'CREATE TRIGGER "{name}" AFTER {event} ON "{table}" '
            "WHEN NOT EXISTS (SELECT 1 FROM change_log_pause) BEGIN "
            "INSERT INTO change_log (table_name, op, row_id, row_data, changed_at) "
            f"VALUES ('{table}', '{op}', {key}.\"id\", {data}, {SQLITE_NOW_MS}); END"
        )
    return statements


def _json_object(columns: list[str], row: str) -> str:
    pairs = ", ".join(f"'{column}', {row}.\"{column}\"" for column in columns)
    return f"json_object({pairs})"


def ensure_capture(conn: Connection) -> list[str]:
    """Create or refresh the capture triggers of every table, and drop those of tables no
    longer captured (a table moved into :data:`UNCAPTURED` by a later release); returns the
    tables changed."""
    if conn.dialect.name == "postgresql":
        return _drop_uncaptured_postgresql(conn) + _ensure_postgresql(conn)
    return _drop_uncaptured_sqlite(conn) + _ensure_sqlite(conn)


def _drop_uncaptured_sqlite(conn: Connection) -> list[str]:
    dropped = []
    for table in sorted(UNCAPTURED):
        names = [f"change_log_{table}_{suffix}" for suffix in ("ins", "upd", "del")]
        present = conn.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
            {"t": table},
        ).scalars()
        found = [name for name in present if name in names]
        for name in found:
            conn.exec_driver_sql(f'DROP TRIGGER IF EXISTS "{name}"')
        if found:
            dropped.append(table)
    return dropped


def _drop_uncaptured_postgresql(conn: Connection) -> list[str]:
    dropped = sorted(_pg_triggered_tables(conn) & UNCAPTURED)
    for table in dropped:
        conn.exec_driver_sql(f'DROP TRIGGER IF EXISTS {PG_TRIGGER} ON "{table}"')
    return dropped


def _ensure_sqlite(conn: Connection) -> list[str]:
    existing: dict[str, str] = dict(
        conn.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE :p"),
            {"p": "change_log_%"},
        ).all()
    )
    changed = []
    for table, columns in captured_tables(conn).items():
        wanted = sqlite_trigger_sql(table, columns)
        if all(existing.get(name) == sql for name, sql in wanted.items()):
            continue
        for name, sql in wanted.items():
            conn.exec_driver_sql(f'DROP TRIGGER IF EXISTS "{name}"')
            conn.exec_driver_sql(sql)
        changed.append(table)
    return changed


def _pg_triggered_tables(conn: Connection) -> set[str]:
    """Tables of this schema that already carry the capture trigger."""
    return set(
        conn.execute(
            text(
                "SELECT DISTINCT event_object_table FROM information_schema.triggers "
                "WHERE trigger_name = :name AND trigger_schema = current_schema()"
            ),
            {"name": PG_TRIGGER},
        ).scalars()
    )


def _ensure_postgresql(conn: Connection) -> list[str]:
    # Workers starting together would race on CREATE OR REPLACE FUNCTION; take turns.
    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_DDL_LOCK})
    conn.exec_driver_sql(_PG_FUNCTION_SQL)
    have = _pg_triggered_tables(conn)
    changed = []
    for table in captured_tables(conn):
        if table in have:
            continue
        capture_table(conn, table)
        changed.append(table)
    return changed


def capture_table(conn: Connection, table: str) -> None:
    """Create the capture triggers of one table, whatever :data:`UNCAPTURED` says (a
    migration's downgrade puts back the capture a later release removed)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(_PG_FUNCTION_SQL)
        conn.exec_driver_sql(f'DROP TRIGGER IF EXISTS {PG_TRIGGER} ON "{table}"')
        conn.exec_driver_sql(
            f'CREATE TRIGGER {PG_TRIGGER} AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
            f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()"
        )
        return
    columns = [c["name"] for c in inspect(conn).get_columns(table)]
    for name, sql in sqlite_trigger_sql(table, columns).items():
        conn.exec_driver_sql(f'DROP TRIGGER IF EXISTS "{name}"')
        conn.exec_driver_sql(sql)


def drop_capture(conn: Connection) -> None:
    """Remove every capture trigger (and the PostgreSQL function)."""
    if conn.dialect.name == "postgresql":
        for table in sorted(_pg_triggered_tables(conn)):
            conn.exec_driver_sql(f'DROP TRIGGER IF EXISTS {PG_TRIGGER} ON "{table}"')
        conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()")
        return
    names = conn.execute(
        text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE :p"),
        {"p": "change_log_%"},
    ).scalars()
    for name in list(names):
        conn.exec_driver_sql(f'DROP TRIGGER IF EXISTS "{name}"')


def uncovered_tables(conn: Connection) -> list[str]:
    """Tables whose capture triggers are missing or outdated (nothing changes)."""
    if conn.dialect.name == "postgresql":
        have = _pg_triggered_tables(conn)
        return [t for t in captured_tables(conn) if t not in have]
    existing: dict[str, str] = dict(
        conn.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE :p"),
            {"p": "change_log_%"},
        ).all()
    )
    return [
        table
        for table, columns in captured_tables(conn).items()
        if any(existing.get(n) != s for n, s in sqlite_trigger_sql(table, columns).items())
    ]


@contextmanager
def capture_paused(conn: Connection) -> Iterator[bool]:
    """Silence the capture triggers inside this transaction; yields whether the caller must log
    its own changes (False when capture was already paused, e.g. by a restore).

    The pause row is inserted and deleted in the caller's transaction, so no other transaction
    ever sees it: SQLite has one writer and readers see committed data only; on PostgreSQL the
    uncommitted row is invisible to other transactions.
    """
    if conn.exec_driver_sql("SELECT 1 FROM change_log_pause LIMIT 1").first() is not None:
        yield False
        return
    conn.exec_driver_sql("INSERT INTO change_log_pause (id) VALUES (1)")
    yield True
    conn.exec_driver_sql("DELETE FROM change_log_pause WHERE id = 1")


def last_rowid(conn: Connection, table: str) -> int:
    """The highest SQLite rowid of ``table`` (rows inserted afterwards get larger ones)."""
    return int(conn.exec_driver_sql(f'SELECT coalesce(max(rowid), 0) FROM "{table}"').scalar_one())


def sqlite_log_inserted(conn: Connection, table: str, after_rowid: int) -> None:
    """Log the rows of ``table`` past ``after_rowid`` exactly as its insert trigger would have,
    in insertion order, with one statement (the bulk import's set-based capture: about a third
    of the per-row trigger's cost)."""
    columns = [c["name"] for c in inspect(conn).get_columns(table)]
    row = f'"{table}"'
    conn.exec_driver_sql(
        "INSERT INTO change_log (table_name, op, row_id, row_data, changed_at) "
        f"SELECT '{table}', 'I', {row}.\"id\", {_json_object(columns, row)}, {SQLITE_NOW_MS} "
        f"FROM {row} WHERE rowid > ? ORDER BY rowid",
        (after_rowid,),
    )


def pg_log_inserted(conn: Connection, table: str, ids: list[str]) -> None:
    """Log the rows of ``table`` with ``ids`` exactly as PostgreSQL's capture trigger would have
    (``to_jsonb`` of the stored row, the database clock, this transaction's id), in the order
    of ``ids``, with one statement: the bulk import's set-based capture, for a batch inserted
    while capture was paused."""
    conn.execute(
        text(
            "INSERT INTO change_log (table_name, op, row_id, row_data, changed_at, txid) "
            f"SELECT '{table}', 'I', t.id, to_jsonb(t), {PG_NOW_MS}, txid_current() "
            "FROM unnest(CAST(:ids AS text[])) WITH ORDINALITY AS new (id, n) "
            f'JOIN "{table}" t ON t.id = new.id ORDER BY new.n'
        ),
        {"ids": ids},
    )
