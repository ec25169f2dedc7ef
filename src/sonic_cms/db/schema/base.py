"""The declarative base every table shares."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, MetaData, Text, func, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from sonic_cms.db.types import EpochMs, IntBool, epoch_ms_now

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base sharing one MetaData with a stable constraint naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def pk() -> Mapped[str]:
    """A TEXT primary key, as every seed table has."""
    return mapped_column(Text, primary_key=True)


def references(target: str, *, cascade: bool = False) -> Mapped[Any]:
    """A TEXT foreign key to ``target`` (``"users.id"``); ``cascade`` goes with its parent row.
    Nullability follows the attribute's ``Mapped[...]`` annotation, as for any column."""
    return mapped_column(Text, ForeignKey(target, ondelete="CASCADE" if cascade else None))


def int_flag(default: bool) -> Mapped[Any]:
    """A 0/1 INTEGER flag: the seed's D1 tables keep their booleans as integers."""
    return mapped_column(IntBool, server_default=text("1" if default else "0"))


def bool_flag() -> Mapped[Any]:
    """A BOOLEAN flag defaulting to TRUE, as the seed's plugin tables declare ``is_active``."""
    return mapped_column(Boolean, server_default=text("TRUE"))


def created_now() -> Mapped[Any]:
    """An epoch-milliseconds time the database fills in on insert."""
    return mapped_column(EpochMs, server_default=epoch_ms_now())


def timestamp_now() -> Mapped[Any]:
    """A DATETIME the database fills in on insert (the seed's workflow tables)."""
    return mapped_column(DateTime, server_default=func.current_timestamp())
