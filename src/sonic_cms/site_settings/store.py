"""The site's own settings (``settings`` table): what they are, their defaults, and the cached
read every request makes.

Five settings, kept in SonicJS's rows (category, key, JSON value): the site's name and
description, its default time zone, whether self-registration is open, and maintenance mode.
A setting without a row has its default; registration's default is the environment's
``SONIC_REGISTRATION_ENABLED``, so a value an admin saves wins over the environment, and
clearing it (saving ``null``) hands the decision back to the environment.

Maintenance mode is checked on every request, so the values are cached per process and
:class:`~sonic_cms.db.engine.Database`, like role permissions (:mod:`sonic_cms.auth.roles`):
each entry remembers the ``config`` cache generation it was read under, and a save moves that
generation when it commits (the ``settings`` table feeds ``config``), so every process of this
host reads the table again on its next request. Processes on other hosts see a change within
``site_settings_cache_ttl_seconds``. Writing them is :mod:`sonic_cms.operations.settings_admin`.
"""

from __future__ import annotations

import functools
import threading
import time
import weakref
from collections.abc import Mapping
from typing import Annotated, Any
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
)
from sqlalchemy import Connection, select

from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Setting
from sonic_cms.inputs.bodies import KnownFields
from sonic_cms.inputs.text import check_clean

#: Each setting's (category, key) row in SonicJS's ``settings`` table.
ROWS: dict[str, tuple[str, str]] = {
    "site_name": ("general", "siteName"),
    "site_description": ("general", "siteDescription"),
    "timezone": ("general", "timezone"),
    "registration_enabled": ("security", "registrationEnabled"),
    "maintenance_mode": ("general", "maintenanceMode"),
}
DEFAULT_SITE_NAME = "sonic-cms"


@functools.cache
def zone_names() -> frozenset[str]:
    """The IANA zone names a time zone setting may take (read from disk once)."""
    return frozenset(available_timezones()) | {"UTC"}


def _known_zone(value: str | None) -> str | None:
    if value is not None and value not in zone_names():
        raise ValueError("an IANA time zone name such as Europe/Paris")
    return value


Clean = Annotated[str, AfterValidator(check_clean)]


def _spelled(ours: str, sonicjs: str) -> AliasChoices:
    """Our name first (the documented one), SonicJS's key beside it."""
    return AliasChoices(ours, sonicjs)


class SiteSettings(BaseModel):
    """The settings in effect: saved values, defaults for the rest."""

    model_config = ConfigDict(frozen=True)

    site_name: str
    site_description: str
    timezone: str
    registration_enabled: bool
    maintenance_mode: bool
    #: The settings that hold a saved value (the others have their defaults).
    saved: frozenset[str] = frozenset()


class SiteSettingsChange(KnownFields):
    """A change: the settings given are saved, ``null`` clears one back to its default.

    SonicJS's key names (``siteName``, ``maintenanceMode``...) are accepted as well.
    """

    model_config = KnownFields.model_config | ConfigDict(strict=True, str_strip_whitespace=True)

    site_name: Clean | None = Field(
        None, min_length=1, max_length=100, validation_alias=_spelled("site_name", "siteName")
    )
    site_description: Clean | None = Field(
        None, max_length=500, validation_alias=_spelled("site_description", "siteDescription")
    )
    timezone: str | None = Field(None, max_length=64)
    registration_enabled: StrictBool | None = Field(
        None, validation_alias=_spelled("registration_enabled", "registrationEnabled")
    )
    maintenance_mode: StrictBool | None = Field(
        None, validation_alias=_spelled("maintenance_mode", "maintenanceMode")
    )

    _zone = field_validator("timezone")(_known_zone)


def defaults(ctx: Context) -> dict[str, Any]:
    """Each setting's value when nothing is saved (registration: the environment's)."""
    return {
        "site_name": DEFAULT_SITE_NAME,
        "site_description": "",
        "timezone": "UTC",
        "registration_enabled": ctx.settings.registration_enabled,
        "maintenance_mode": False,
    }


def read_saved(conn: Connection) -> dict[str, Any]:
    """The saved values of the known settings, by name (rows of unknown keys are ignored)."""
    names = {row: name for name, row in ROWS.items()}
    rows = conn.execute(select(Setting.category, Setting.key, Setting.value)).all()
    return {names[(r.category, r.key)]: r.value for r in rows if (r.category, r.key) in names}


def effective(values: Mapping[str, Any], saved: Mapping[str, Any]) -> SiteSettings:
    """The settings in effect from ``values`` (the defaults) and what is ``saved``; a saved
    value of the wrong type (written by hand) is ignored rather than trusted."""
    merged = dict(values)
    kept = set()
    for name, value in saved.items():
        if isinstance(value, type(values[name])):
            merged[name] = value
            kept.add(name)
    return SiteSettings(**merged, saved=frozenset(kept))


#: (read at, config generation, the Settings whose defaults were used, the values).
_Entry = tuple[float, str | None, Settings, SiteSettings]
_CACHE: weakref.WeakKeyDictionary[Database, _Entry] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def cached(ctx: Context) -> SiteSettings | None:
    """This process's cached settings when still fresh, without touching the database (the
    maintenance check runs on the event loop and reads the table only on a miss)."""
    with _LOCK:
        entry = _CACHE.get(ctx.db)
    if entry is None:
        return None
    # A cache age, not a stored time: the monotonic clock is the right one.
    read_at, generation, defaults_from, values = entry
    fresh = time.monotonic() - read_at < ctx.settings.site_settings_cache_ttl_seconds
    same = generation == ctx.generations("config") and defaults_from is ctx.settings
    return values if fresh and same else None


def current(ctx: Context) -> SiteSettings:
    """The settings in effect, from this process's cache when fresh (see the module doc)."""
    hit = cached(ctx)
    if hit is not None:
        return hit
    generation = ctx.generations("config")
    started = time.monotonic()
    with ctx.db.read() as conn:
        settings = effective(defaults(ctx), read_saved(conn))
    with _LOCK:
        _CACHE[ctx.db] = (started, generation, ctx.settings, settings)
    return settings


def forget(db: Database) -> None:
    """Drop this process's cached settings of ``db`` (after a save, for at-once effect)."""
    with _LOCK:
        _CACHE.pop(db, None)


def registration_open(ctx: Context) -> bool:
    """Whether self-registration creates accounts: the saved setting, else the environment's."""
    return current(ctx).registration_enabled
