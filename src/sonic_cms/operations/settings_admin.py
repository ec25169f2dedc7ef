"""Reading and saving the site settings (``GET``/``PUT /admin/api/settings``, ``/admin/settings``).

What the settings are, their defaults and the cached read live in
:mod:`sonic_cms.site_settings.store`; this module checks permissions (``settings.read``,
``settings.update``), validates a change, writes the rows and the audit entry in one
transaction, and drops this process's cached copy so the change applies at once (the commit
moves the ``config`` generation for the host's other processes).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, delete, insert, select, update

from sonic_cms.auth.users import validation_details
from sonic_cms.context import Context
from sonic_cms.db.schema import Setting
from sonic_cms.errors import ValidationFailed
from sonic_cms.ids import new_id
from sonic_cms.logs.audit import log_in_transaction
from sonic_cms.site_settings import store as site_settings
from sonic_cms.site_settings.store import ROWS, SiteSettings, SiteSettingsChange

READ_PERMISSION = "settings.read"
UPDATE_PERMISSION = "settings.update"


def as_document(settings: SiteSettings) -> dict[str, Any]:
    """The settings as the API shows them: each value, and which ones are saved."""
    values = settings.model_dump(exclude={"saved"})
    return {**values, "saved": sorted(settings.saved)}


def get_settings(ctx: Context) -> dict[str, Any]:
    """The settings in effect (read from the table, not the cache: this is the admin's view)."""
    ctx.actor.require(READ_PERMISSION)
    with ctx.db.read() as conn:
        saved = site_settings.read_saved(conn)
    return as_document(site_settings.effective(site_settings.defaults(ctx), saved))


def parse_change(body: Any) -> dict[str, Any]:
    """The settings a body sets (``None``: back to the default), validated.

    Raises:
        ValidationFailed: not an object, an unknown field, or a bad value (one detail each).
    """
    if not isinstance(body, Mapping):
        raise ValidationFailed(
            "Validation failed", details=[{"path": "", "message": "expected a JSON object"}]
        )
    try:
        change = SiteSettingsChange.model_validate(body)
    except ValidationError as exc:
        raise ValidationFailed("Validation failed", details=validation_details(exc)) from exc
    return {name: getattr(change, name) for name in change.model_fields_set}


def update_settings(ctx: Context, body: Any) -> dict[str, Any]:
    """Save the settings ``body`` gives (partial: the others keep their values) and audit it.

    Raises:
        ValidationFailed: see :func:`parse_change`; nothing is written.
    """
    ctx.actor.require(UPDATE_PERMISSION)
    wanted = parse_change(body)
    now = ctx.clock.now_ms()
    with ctx.db.write() as conn:
        before = site_settings.effective(
            site_settings.defaults(ctx), site_settings.read_saved(conn)
        )
        for name, value in wanted.items():
            _store(conn, name, value, now)
        after = site_settings.effective(site_settings.defaults(ctx), site_settings.read_saved(conn))
        changes = _differences(before, after)
        if changes:
            log_in_transaction(
                conn,
                now,
                category="system",
                message=_summary(changes),
                user_id=ctx.actor.user_id,
                data={"changes": changes},
            )
    site_settings.forget(ctx.db)
    return as_document(after)


def _store(conn: Connection, name: str, value: Any, now: int) -> None:
    category, key = ROWS[name]
    where = (Setting.category == category, Setting.key == key)
    if value is None:
        conn.execute(delete(Setting).where(*where))
        return
    exists = conn.execute(select(Setting.id).where(*where)).first()
    if exists is None:
        row = {"id": new_id(), "category": category, "key": key, "created_at": now}
        conn.execute(insert(Setting).values(**row, value=value, updated_at=now))
    else:
        conn.execute(update(Setting).where(*where).values(value=value, updated_at=now))


def _differences(before: SiteSettings, after: SiteSettings) -> dict[str, dict[str, Any]]:
    """``{name: {"from", "to", "saved"}}`` for each setting whose value or saved state moved."""
    changes = {}
    for name in ROWS:
        old, new = getattr(before, name), getattr(after, name)
        if old != new or (name in before.saved) != (name in after.saved):
            changes[name] = {"from": old, "to": new, "saved": name in after.saved}
    return changes


def _summary(changes: Mapping[str, Any]) -> str:
    maintenance = changes.get("maintenance_mode")
    if maintenance is not None and maintenance["from"] != maintenance["to"]:
        state = "on" if maintenance["to"] else "off"
        return f"Maintenance mode turned {state}; site settings changed: {', '.join(changes)}"
    return f"Site settings changed: {', '.join(changes)}"
