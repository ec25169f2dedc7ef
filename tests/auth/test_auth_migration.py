"""Revision 0003 applies, reverts and matches its models on both engines."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from sonic_cms.db import migrate
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import metadata
from tests.conftest import make_settings

AUTH_TABLES = {"auth_sessions", "auth_throttle", "auth_totp_steps"}


def _auth_diffs(db: Database) -> list[object]:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, metadata)
    return [
        d
        for d in diffs
        if any(f"'{t}'" in repr(d) or f"table={t}" in repr(d) for t in AUTH_TABLES)
        or "auth_sessions" in repr(d)
    ]


def test_upgrade_downgrade_upgrade(empty_db_url: str):
    db = Database(make_settings(empty_db_url))
    try:
        migrate.upgrade(db)
        assert set(inspect(db.engine).get_table_names()) >= AUTH_TABLES
        assert _auth_diffs(db) == []
        with db.read() as conn:
            granted = (
                conn.execute(
                    text(
                        "SELECT role FROM role_permissions"
                        " WHERE permission_id = 'perm_roles_manage'"
                    )
                )
                .scalars()
                .all()
            )
        assert granted == ["admin"]
        migrate.downgrade(db, "0001")
        assert not AUTH_TABLES & set(inspect(db.engine).get_table_names())
        with db.read() as conn:
            left = conn.execute(
                text("SELECT count(*) FROM permissions WHERE name = 'roles.manage'")
            ).scalar()
        assert left == 0
        migrate.upgrade(db)
        assert set(inspect(db.engine).get_table_names()) >= AUTH_TABLES
    finally:
        db.dispose()
