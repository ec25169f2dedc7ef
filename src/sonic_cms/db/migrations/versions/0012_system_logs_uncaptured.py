"""system_logs leaves time travel's change log

Every ``api`` record used to be copied into ``change_log`` by its capture trigger: twice the
writes per log row, and a change log mostly made of request records nobody travels back to
(issue 17). The triggers of ``system_logs`` are dropped and its entries deleted from the change
log; backups and snapshots still hold the logs (docs/operations.md says what a restore does).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 23:40:00
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

from sonic_cms.db.change_capture import capture_table, ensure_capture

revision = "0012"
down_revision: str | None = "0011"


def upgrade() -> None:
    """Drop the capture triggers of system_logs and forget its logged changes."""
    conn = op.get_bind()
    ensure_capture(conn)
    conn.execute(text("DELETE FROM change_log WHERE table_name = 'system_logs'"))


def downgrade() -> None:
    """Capture system_logs again (its changes since the upgrade are not in the log)."""
    capture_table(op.get_bind(), "system_logs")
