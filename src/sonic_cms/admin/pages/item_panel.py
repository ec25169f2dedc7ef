"""The editor's side panel: status, workflow buttons and history, schedules, versions,
and the pages behind them (diff, rollback)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from sonic_cms.context import Context

router = APIRouter(include_in_schema=False)


def item_panel_values(ctx: Context, item: dict[str, Any]) -> dict[str, Any]:
    """What ``_item_panel.html`` needs for ``item``; call inside ``ctx.run_read``."""
    return {}
